import argparse
import importlib
import os
import sys
from pathlib import Path

BENCHMARKS = {
    "acceptance": "benchmarks.acceptance",
    "check": "benchmarks.check",
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

# Throwaway homes keep their keys' passphrases in files beside them, not in the desktop's keyring.
os.environ.setdefault("POSTSEAL_KEYRING", "file")
parser = argparse.ArgumentParser(
    prog="python -m benchmarks", epilog="python -m benchmarks conformance --help: the conformance runner"
)
parser.add_argument("name", choices=[*sorted(BENCHMARKS), "all"])
parser.add_argument(
    "--messages", type=int, help="messages per benchmark (all: each one's default, benchmarks/suite.py)"
)
parser.add_argument("--write", type=Path, metavar="FILE", help="all: write the figures table into FILE")
args = parser.parse_args()
if args.name != "all":
    try:
        sys.exit(importlib.import_module(BENCHMARKS[args.name]).main(args.messages or 200))
    except (RuntimeError, OSError) as exc:  # a tool missing, a process that did not start: one line
        sys.exit(f"benchmark {args.name} failed: {exc}")

from benchmarks import suite  # noqa: E402 - after the conformance runner's early exit

sys.exit(suite.run(args.messages, args.write))
