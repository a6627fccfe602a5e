"""Bounce checker for the conformance runner: agent.bounces.parse over a corpus of bounces.

parsed   read — an RFC 3464 report by agent/bounces.py, any other bounce (no report, or a
         malformed one) by its wording (agent/bounce_wording.py, flufl.bounce; the reason
         says so) — and where the corpus
         says which recipients bounced, the same
ignored  refused (agent.bounces.NotADsn): neither reader finds a recipient in it; the reason
         is the parser's own
wrong    read, but other recipients than the corpus expects
crashed  anything else raised

Expected results, loaded by `expect()` from where the peers keep them (read with `ast` and
regular expressions, never imported or run):
- sisimai (rb-sisimai `test/public/<name>.rb`, `IsExpected = {'01' => [[status, code, reason,
  hard], ...]}`): how many recipients `<name>-01.eml` reports, one row per recipient;
- flufl.bounce (`tests/test_detectors.py`, `DETECTORS = [(detector, file, addresses,
  is_temporary), ...]`): the addresses that failed, or were delayed, in that file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from agent import bounces

# file name (without its folder) -> expectation
_COUNTS: dict[str, int] = {}  # sisimai: recipients reported
_ADDRESSES: dict[str, tuple[set[str], set[str]]] = {}  # flufl: (failed, delayed) addresses


def _sisimai(path: Path) -> int:
    text = path.read_text(encoding="utf-8", errors="replace")
    if "IsExpected" not in text:
        return 0
    stem = path.stem.removesuffix("-test")
    loaded = 0
    for index, rows in re.findall(r"'(\d+)'\s*=>\s*\[(\s*\[.*?\])\s*\]\s*,?\s*(?=\s*(?:'\d|#|}))", text, re.S):
        _COUNTS[f"{stem}-{int(index):02d}.eml"] = len(re.findall(r"\[\s*'", rows))
        loaded += 1
    return loaded


def _flufl(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    loaded = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DETECTORS" for t in node.targets):
            for _, name, addresses, temporary in ast.literal_eval(node.value):
                failed, delayed = _ADDRESSES.setdefault(name, (set(), set()))
                (delayed if temporary else failed).update(a.decode().lower() for a in addresses)
                loaded += 1
    return loaded


def forget() -> None:
    """Drop the expected results loaded so far (a second run in one process starts clean)."""
    _COUNTS.clear()
    _ADDRESSES.clear()


def expect(paths: list[Path]) -> int:
    """Load expected results from sisimai's .rb tests and flufl.bounce's test_detectors.py."""
    loaded = 0
    for root in paths:
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.suffix == ".rb":
                loaded += _sisimai(path)
            elif path.name == "test_detectors.py":
                loaded += _flufl(path)
    return loaded


def check(path: Path) -> tuple[str, str]:
    try:
        report = bounces.parse(path.read_bytes())
    except bounces.NotADsn as exc:
        return "ignored", str(exc)
    if path.name in _COUNTS and len(report.recipients) != _COUNTS[path.name]:
        return "wrong", f"{len(report.recipients)} recipient(s) where sisimai expects {_COUNTS[path.name]}"
    if path.name in _ADDRESSES:
        want_failed, want_delayed = _ADDRESSES[path.name]
        got = {
            action: {a for r in report.recipients if r.action == action for a in (r.address, r.final_address)}
            for action in ("failed", "delayed")
        }
        for action, want in (("failed", want_failed), ("delayed", want_delayed)):
            if not want <= got[action]:
                return "wrong", f"{action}: {sorted(want - got[action])} missing (flufl.bounce expects them)"
    return (
        "parsed",
        ""
        if report.source == "rfc3464"
        else "read by its wording (flufl.bounce): no RFC 3464 report, or a malformed one",
    )
