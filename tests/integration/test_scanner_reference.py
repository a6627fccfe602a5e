"""The scanner's shortcuts (only the detectors whose prefilter hit, one search for detectors that
share one, windows merged inline) find exactly what the plain algorithm finds: every detector in
priority order, each window searched and validated on its own, the steps that run afterwards,
overlaps resolved by priority and length. Checked on every text of every corpus in tests/data — type, offsets and confidence."""

from __future__ import annotations

import bisect
import re
from functools import cache
from pathlib import Path

import pytest

from agent.model import Finding
from agent.policy import evaluate
from agent.policy.detectors import AFTERWARDS, DETECTORS
from agent.policy.scanner import MIN_CONFIDENCE, Scanner, normalize

DATA = Path(__file__).resolve().parent.parent / "data"
CORPORA = sorted(DATA.glob("phi-corpus*"))
PREFILTERS = [re.compile(d.prefilter.encode(), re.IGNORECASE if d.caseless else 0) for d in DETECTORS]
PRIORITY = {d.type: i for i, d in reversed(list(enumerate(DETECTORS)))}


def plain_scan(text: str) -> list[Finding]:
    """The scanner as its docstring describes it, with no shortcut."""
    text = normalize(text)
    view = text.encode("ascii", "replace")
    found: dict[tuple[str, int, int], float] = {}
    for d, prefilter in zip(DETECTORS, PREFILTERS, strict=True):
        windows: list[list[int]] = []
        for hit in prefilter.finditer(view):
            lo, hi = max(0, hit.end() - d.before), min(len(text), hit.end() + d.after)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([lo, hi])
        for lo, hi in windows:
            space = re.compile(r"\s").search(text, hi, min(len(text), hi + 64))
            hi = space.start() + 1 if space else min(len(text), hi + 64)
            for match in d.pattern.finditer(text, lo, hi):
                verdict = d.validate(text, match)
                if verdict is None:
                    continue
                confidence, start, end = (
                    verdict if isinstance(verdict, tuple) else (verdict, match.start(d.group), match.end(d.group))
                )
                if confidence >= MIN_CONFIDENCE and confidence > found.get((d.type, start, end), 0.0):
                    found[d.type, start, end] = confidence
    for step in AFTERWARDS:
        step(text, found)
    kept: list[tuple[int, int, str, float]] = []
    for (kind, start, end), confidence in sorted(found.items(), key=lambda f: (PRIORITY[f[0][0]], f[0][1] - f[0][2])):
        at = bisect.bisect_right([k[0] for k in kept], start)
        if (at and kept[at - 1][1] > start) or (at < len(kept) and kept[at][0] < end):
            continue
        kept.insert(at, (start, end, kind, confidence))
    return [Finding(kind, "", start, end, confidence) for start, end, kind, confidence in kept]


@cache
def texts_and_findings(corpus: Path) -> tuple[list[str], list[list[Finding]]]:
    samples = evaluate.load_corpus(corpus)
    # As `policy test` scans them (normalized), and as extracted where that differs (the prose figure)
    texts = [t for s in samples for t in s.texts] + [t for s in samples for t in s.raw_texts if t not in s.texts]
    return texts, [plain_scan(t) for t in texts]


# Without Hyperscan only the prefilter pass differs (test_extract compares the two engines): one corpus
@pytest.mark.parametrize(
    ("corpus", "hyperscan"),
    [
        *(pytest.param(c, True, id=c.name) for c in CORPORA),
        pytest.param(DATA / "phi-corpus-b", False, id="phi-corpus-b-python-re"),
    ],
)
def test_the_scanner_finds_what_the_plain_algorithm_finds_on_every_corpus_text(corpus, hyperscan):
    engine = Scanner(prefer_hyperscan=hyperscan)
    texts, expected = texts_and_findings(corpus)
    assert len(texts) > 200 and sum(map(len, expected)) > 1000
    differ = [t[:60] for t, want in zip(texts, expected, strict=True) if engine.scan(t, "") != want]
    assert not differ, differ[:3]
