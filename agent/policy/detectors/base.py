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


# --- Which kind of number a label names ----------------------------------------------------------
# A check digit passes by chance one time in ten: "KB2364076" passes the DEA check, a course
# number has an SSN's shape. So a validator is necessary, never sufficient: when the label
# nearest before a number names another kind of number ("course 313-54-8471", "Member ID
# P97604019"), the number is that kind, whatever its check digit says. Labels by kind, so a
# detector can leave its own out of "another kind".
LABELS: dict[str, str] = {
    "us_ssn": "ssn ssns ss social-security soc-sec seguro-social",
    "npi": "npi national-provider",
    "dea": "dea",
    "mrn": "mrn mrns medical-record medical-records chart charts expediente expedientes historia-clínica",
    "member_id": "member subscriber policy medicaid insurance afiliado beneficiary dbn",
    "account": "account acct cuenta",
    "phone": "phone tel telephone fax cell mobile ext extension",
    "other": (
        "kb article ticket tkt course courses serial s/n sn part p/n pn order orders invoice invoices inv"
        " lot lots batch po route asset model sku item items ref reference tracking confirmation conf case"
        " claim claims group grp catalog cat build version ver rev module class section booking reservation"
        " transaction txn rma wo job incident inc request req device unit tag badge employee emp student"
        " permit certificate cert contract room suite zip tin ein tax-id meeting conference webinar session"
        " check cheque license licence dl pin passcode code isbn upc vin plate flight"
    ),
}
# Between a label and its number: separators, "no."/"is", other numbers of a list ("courses
# 313-54-8471 and 426-61-4786") — not prose, which would mean the word labels something else.
_LABEL_GAP = re.compile(
    r"(?:[\s#:=.,;/()&'\"-]|(?i:no|nos|num|number|numbers|id|ids|is|are|was|were|and|or|of|en|de)\b"
    r"|[A-Za-z]{0,4}\d[\w-]*(?![\w-]))*"  # a number whole: no backtracking over its digits
)
_LABEL_WORD = re.compile(r"[^\W\d_]+(?:/[^\W\d_]+)?")


class Labels:
    """The labels of some kinds of number, looked up word by word (a set beats a regex of a
    hundred alternatives by ten times on the few words before a number)."""

    def __init__(self, kinds: list[str]) -> None:
        phrases = [p for kind in kinds for p in LABELS[kind].split()]
        self.words = frozenset(p for p in phrases if "-" not in p)
        self.pairs = frozenset(tuple(p.split("-")) for p in phrases if "-" in p)

    def last(self, text: str, lo: int, hi: int) -> tuple[int, int] | None:
        """The span of the last label in text[lo:hi], or None."""
        words = list(_LABEL_WORD.finditer(text, lo, hi))
        for i in range(len(words) - 1, -1, -1):
            word = words[i].group(0).lower()
            if i and (words[i - 1].group(0).lower(), word) in self.pairs:
                return words[i - 1].start(), words[i].end()
            if word in self.words:
                return words[i].start(), words[i].end()
        return None


def labels_except(*kinds: str) -> Labels:
    """The labels of every kind of number but these."""
    return Labels([kind for kind in LABELS if kind not in kinds])


def other_label_nearer(text: str, start: int, end: int, own: re.Pattern[str], others: Labels, before: int = 60) -> bool:
    """Whether the label nearest before text[start:end] names another kind of number than
    `own` does (no own label after it, none right after the number)."""
    other = others.last(text, max(0, start - before), start)
    if other is None or not _LABEL_GAP.fullmatch(text, other[1], start):
        return False
    if own.search(text, end, min(len(text), end + 12)):  # "123-45-6789 (SSN)"
        return False
    return not any(m.start() >= other[1] for m in own.finditer(text, other[0], start))
