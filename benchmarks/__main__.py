import argparse
import importlib
import sys

BENCHMARKS = {"pipeline": "benchmarks.pipeline", "outbox": "benchmarks.outbox", "dlp": "benchmarks.dlp",
              "protect": "benchmarks.protect", "portal": "benchmarks.portal"}

parser = argparse.ArgumentParser(prog="python -m benchmarks")
parser.add_argument("name", choices=sorted(BENCHMARKS))
parser.add_argument("--messages", type=int, default=200)
args = parser.parse_args()
sys.exit(importlib.import_module(BENCHMARKS[args.name]).main(args.messages))
