"""What a detector is, and the checks its validators share (context words, Luhn).

Each detector is a fast prefilter, a precise pattern, a validator and the window the pattern
runs in (see the package's docstring and scanner.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# (whole text, match) → confidence, or (confidence, start, end) to narrow the span; None = drop
Validator = Callable[[str, re.Match[str]], float | tuple[float, int, int] | None]


@dataclass(frozen=True)
class Detector:
    type: str
    prefilter: str
    pattern: re.Pattern[str]
    validate: Validator
    before: int  # window start: characters before the prefilter hit's end
    after: int  # window end: characters after it
    caseless: bool = False  # the prefilter ignores case (labels)
    group: str | int = 0  # the group that is the identifier itself (not its label)


def context(text: str, start: int, end: int, words: re.Pattern[str], before: int = 60, after: int = 30) -> bool:
    return words.search(text, max(0, start - before), min(len(text), end + after)) is not None


# --- checksums ------------------------------------------------------------------------------
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_ok(digits: str) -> bool:
    values = [ord(c) - 48 for c in reversed(digits)]
    return (sum(values[0::2]) + sum(_DOUBLED[v] for v in values[1::2])) % 10 == 0
