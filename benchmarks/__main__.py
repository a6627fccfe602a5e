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
# `all`: the benchmarks that report figures (benchmarks/figures.py), with the number of messages
# each runs by default: enough that p99 is the 99th of hundreds, short enough for a coffee.
# dlp and portal print their own reports (make bench runs them beside this).
FIGURES = {"acceptance": 400, "check": 300, "pipeline": 300, "protect": 100, "outbox": 3000}

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
parser.add_argument("--messages", type=int, help="messages per benchmark (all: each benchmark's own default)")
parser.add_argument("--write", type=Path, metavar="FILE", help="all: write the figures table into FILE")
args = parser.parse_args()
if args.name != "all":
    sys.exit(importlib.import_module(BENCHMARKS[args.name]).main(args.messages or 200))

from benchmarks import figures as figures_mod  # noqa: E402 - after the conformance runner's early exit

collected, failed = [], []
for name, count in FIGURES.items():
    count = args.messages or count
    print(f"== {name} ({count} messages)", flush=True)
    try:
        found = importlib.import_module(BENCHMARKS[name]).figures(count)
    except (RuntimeError, OSError, SystemExit) as exc:  # a tool missing, a server that did not start
        failed.append(f"{name}: {exc}")
        print(f"benchmark {name} failed: {exc}", file=sys.stderr)
        continue
    for figure in found:
        print(figure.line(), flush=True)
    collected.extend(found)
print(f"== machine: {figures_mod.machine()}")
if failed:
    # Fail closed: a table with figures missing would read as complete.
    print(f"benchmarks: {len(failed)} failed ({'; '.join(failed)}); {args.write or 'no file'} left as it was")
    sys.exit(1)
if args.write:
    try:
        figures_mod.write(args.write, collected)
    except (OSError, ValueError) as exc:
        sys.exit(f"benchmarks: cannot write the figures table: {exc}")
    print(f"benchmarks: the figures table written into {args.write}")
