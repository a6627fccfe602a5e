"""`python -m benchmarks all`: every benchmark that reports figures, one after the other, and
their table written into a document (benchmarks/figures.py).

Fails closed: a benchmark that fails (a missing tool, a server that did not start, anything)
is one line naming it and why, the run goes on so that every failure is named, and the document
is left as it was — a table with a figure missing would read as complete.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from benchmarks import figures as figures_mod

# Each benchmark's module and the messages it runs by default: enough that a p99 is the 99th of
# hundreds, short enough to wait for. dlp prints its own report (make bench runs it).
FIGURES = {
    "acceptance": ("benchmarks.acceptance", 400),
    "check": ("benchmarks.check", 300),
    "pipeline": ("benchmarks.pipeline", 300),
    "protect": ("benchmarks.protect", 100),
    "outbox": ("benchmarks.outbox", 3000),
    "portal": ("benchmarks.portal", 200),
}


def run(messages: int | None = None, write: Path | None = None, benchmarks: dict | None = None) -> int:
    """0 when every benchmark ran (and the table was written, if asked); 1 otherwise."""
    collected, failed = [], []
    for name, (module, default) in (benchmarks or FIGURES).items():
        count = messages or default
        print(f"== {name} ({count} messages)", flush=True)
        try:
            found = importlib.import_module(module).figures(count)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure: one line naming the benchmark
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"benchmark {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            continue
        for figure in found:
            print(figure.line(), flush=True)
        collected.extend(found)
    print(f"== machine: {figures_mod.machine()}")
    if failed:
        print(f"benchmarks: {len(failed)} failed ({'; '.join(failed)}); {write or 'no file'} left as it was")
        return 1
    if write:
        try:
            figures_mod.write(write, collected)
        except (OSError, ValueError) as exc:
            print(f"benchmarks: cannot write the figures table: {exc}")
            return 1
        print(f"benchmarks: the figures table written into {write}")
    return 0
