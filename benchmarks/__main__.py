import argparse
import importlib
import sys

BENCHMARKS = {
    "pipeline": "benchmarks.pipeline",
    "outbox": "benchmarks.outbox",
    "dlp": "benchmarks.dlp",
    "protect": "benchmarks.protect",
    "portal": "benchmarks.portal",
}

# The conformance runner takes paths and its own options (benchmarks/conformance.py).
if sys.argv[1:2] == ["conformance"]:
    from benchmarks import conformance

    sys.exit(conformance.main(sys.argv[2:]))

parser = argparse.ArgumentParser(
    prog="python -m benchmarks", epilog="python -m benchmarks conformance --help: the conformance runner"
)
parser.add_argument("name", choices=sorted(BENCHMARKS))
parser.add_argument("--messages", type=int, default=200)
args = parser.parse_args()
sys.exit(importlib.import_module(BENCHMARKS[args.name]).main(args.messages))
