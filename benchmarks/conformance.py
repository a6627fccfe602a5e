"""Conformance runner: Postseal's bounce parsing, MIME intake + inspection and MTA-STS
evaluation over folders of other projects' test data (issue 20; docs/conformance.md).

    python -m benchmarks conformance [--kind bounce|mime|mta-sts] [--expect PATH] PATH...

Each kind has a checker module, `benchmarks/conformance_<kind>.py`, with

    def check(path: pathlib.Path) -> tuple[str, str] | list[tuple[str, str]]

giving (outcome, reason) for one file — or for each case a file holds (a file of MTA-STS
vectors holds many) — with outcome one of OUTCOMES:

    parsed   read, and where the corpus says what it should give, it gave that
    ignored  refused as not what the kind reads, or as bad input; the reason says why
    wrong    read, but not to what the corpus expects (or content left uninspected)
    crashed  anything raised besides the checker's own refusal

A checker may also have `wants(path) -> bool`, choosing the files it reads (by default every
file but source code, CODE below), and `expect(paths) -> int`, loading the expected results that some
corpora keep apart from their files (sisimai's in its test suites, flufl.bounce's in its
tests): `--expect PATH` hands it those paths. Without `--kind` every kind runs over every
path. Printed per kind: counts per outcome and, per outcome, the most frequent reasons with
an example file. The exit status is 1 when anything was wrong or crashed, else 0 — so the
runner can guard a corpus in CI once its figures are where they should be.

Nothing of the corpora is kept or copied: they are read where they lie.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType

KINDS = {
    "bounce": "benchmarks.conformance_bounce",
    "mime": "benchmarks.conformance_mime",
    "mta-sts": "benchmarks.conformance_mta_sts",
}
OUTCOMES = ("parsed", "ignored", "wrong", "crashed")
# Peers' folders hold their test code beside their samples: that is no mail and no vector.
CODE = {
    ".py",
    ".pyc",
    ".rb",
    ".pm",
    ".pl",
    ".t",
    ".js",
    ".ts",
    ".go",
    ".rs",
    ".java",
    ".md",
    ".rst",
    ".html",
    ".toml",
    ".cfg",
    ".ini",
    ".yml",
    ".yaml",
    ".lock",
    ".sh",
    ".gitignore",
}


class Tally:
    """Outcomes of one kind, with the reasons behind them."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.reasons: dict[str, Counter[str]] = defaultdict(Counter)
        self.example: dict[tuple[str, str], str] = {}

    def add(self, path: Path, outcome: str, reason: str) -> None:
        if outcome not in OUTCOMES:
            outcome, reason = "crashed", f"the checker answered {outcome!r}, not one of {', '.join(OUTCOMES)}"
        self.counts[outcome] += 1
        self.reasons[outcome][reason] += 1
        self.example.setdefault((outcome, reason), path.name)

    def report(self, kind: str, examples: int) -> str:
        total = sum(self.counts.values())
        lines = [f"{kind}: {total} case(s)  " + "  ".join(f"{o} {self.counts[o]}" for o in OUTCOMES)]
        for outcome in OUTCOMES:
            for reason, n in self.reasons[outcome].most_common(examples if outcome == "parsed" else examples * 2):
                if outcome == "parsed" and not reason:
                    continue
                lines.append(f"  {outcome:8} {n:5}  {reason}  (e.g. {self.example[(outcome, reason)]})")
        return "\n".join(lines)


def files(paths: list[Path], wants=None) -> list[Path]:
    """The files under `paths`, hidden ones left out; those the checker `wants` (its optional
    hook: MTA-STS vectors live in peers' test modules), else all but CODE."""
    wants = wants or (lambda item: item.suffix.lower() not in CODE)
    found = []
    for path in paths:
        if path.is_file():
            found.append(path)
            continue
        for item in sorted(path.rglob("*")):
            parts = item.relative_to(path).parts
            if item.is_file() and not any(p.startswith(".") for p in parts) and wants(item):
                found.append(item)
    return found


def run(checker: ModuleType, paths: list[Path]) -> Tally:
    tally = Tally()
    for path in files(paths, getattr(checker, "wants", None)):
        try:
            answer = checker.check(path)
        except Exception as exc:  # noqa: BLE001 — a checker's failure is a figure, not the end of the run
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            tally.add(
                path, "crashed", f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}: {str(exc)[:120]}"
            )
            continue
        for outcome, reason in answer if isinstance(answer, list) else [answer]:
            tally.add(path, outcome, reason)
    return tally


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks conformance", description="Run Postseal's parsers over other projects' test corpora."
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders of a corpus")
    parser.add_argument(
        "--kind", choices=sorted(KINDS), action="append", help="what to check (repeatable; default: every kind)"
    )
    parser.add_argument(
        "--expect",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="expected results kept apart from the corpus (sisimai's test/public, "
        "flufl.bounce's tests/test_detectors.py)",
    )
    parser.add_argument("--examples", type=int, default=5, help="reasons shown per outcome (default 5)")
    args = parser.parse_args(argv)
    missing = [p for p in [*args.paths, *args.expect] if not p.exists()]
    if missing:
        print(f"conformance: {missing[0]} does not exist", file=sys.stderr)
        return 2
    checkers = {}
    for kind in args.kind or list(KINDS):  # all found before any runs: no half a report
        try:
            checkers[kind] = importlib.import_module(KINDS[kind])
        except ModuleNotFoundError as exc:
            print(f"conformance: the {kind} checker is not installed ({exc.name} not found)", file=sys.stderr)
            return 2
    bad = 0
    for kind, checker in checkers.items():
        if args.expect and hasattr(checker, "expect"):
            print(f"{kind}: {checker.expect(args.expect)} expected result(s) loaded")
        tally = run(checker, args.paths)
        print(tally.report(kind, args.examples))
        bad += tally.counts["wrong"] + tally.counts["crashed"]
    return 1 if bad else 0
