"""Patient names in a subject line: "Carbo dose check - Layla Khoury - C3D1", "Results: PARK, WEI"."""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector
from agent.policy.detectors.name_words import (
    CAPITALISED,
    NAME_START,
    NOT_NAMES,
    SUBJECT_WORDS,
    SURNAME_PREFIX,
    WORD,
    after_title,
    first_names,
    given_word,
)

# A subject line names the patient more often than not: "Carbo dose check - Layla Khoury - C3D1",
# "Final results: PARK, WEI", "Mohs referral Abernathy, Dennis". Only in a text that is one short
# line (the Subject) or a quoted "Subject:" line; a known given name (or a LAST, FIRST in
# capitals); not "Dr. …", not "…, MD".
_SUBJECT_LINE = r"^[^\n]{1,200}$|(?i:subject:)[^\n]{1,200}"  # the whole text one short line, or a quoted one
_SUBJECT_NAME = re.compile(
    rf"{NAME_START}(?<![\w'’.-])(?P<v>{SURNAME_PREFIX}{{0,2}}{CAPITALISED},[ \t]+{CAPITALISED}(?:[ \t]+{CAPITALISED})?"
    rf"|{CAPITALISED}(?:[ \t]+[A-Z]\.)?(?:[ \t]+{SURNAME_PREFIX}{{0,2}}{CAPITALISED}){{1,2}})"
)
_NOT_IN_SUBJECT = NOT_NAMES | SUBJECT_WORDS
_CLINICIAN_AFTER = re.compile(r",?[ \t]*(?:MD|DO|RN|NP|PA|PA-C|DDS|DMD|PhD|CPC|FACC|FACOG)\b")


def _given_known(word: str) -> bool:
    word = word.rstrip(".").casefold()
    return word in first_names() or word.split("-")[0] in first_names()


def _subject_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    line_start = text.rfind("\n", 0, m.start()) + 1
    line_end = text.find("\n", m.end())
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if not ((line_start == 0 and line_end < 0 and len(text) <= 200) or re.match(r"[ \t>]*(?i:subject):", line)):
        return None
    words = list(WORD.finditer(text, m.start("v"), m.end("v")))
    if any(w.group(0).rstrip(".").lower() in _NOT_IN_SUBJECT for w in words):
        return None
    value = text[m.start("v") : m.end("v")]
    while len(words) > 2 and words[-1].group(0).isupper() and not value.isupper():
        words.pop()  # "William Ashworth OD" → "William Ashworth"
    if after_title(text, m.start()):
        return None
    end = words[-1].end()
    if _CLINICIAN_AFTER.match(text, end):
        return None
    if text.find(",", m.start("v"), end) >= 0:
        given = given_word(text, words, m.start("v"), end)
        if given is None or not (_given_known(given.group(0)) or value.isupper()):
            return None
    elif len(words[0].group(0)) < 3 or not _given_known(words[0].group(0)):
        return None
    if len(words[-1].group(0).rstrip(".")) < 3 and not value.isupper():
        return None  # "Lot C", "Reno NV"
    if not _SUBJECT_NAME_END.match(text, end):
        return None  # "Jordan Lake trip photos": the words go on
    return 0.75, m.start("v"), end


_SUBJECT_NAME_END = re.compile(r"[ \t]*(?:$|\n|[-–(),;:/|]|\s+(?i:dob|d\.o\.b|mrn)\b)")


SUBJECT_NAME = Detector("patient_name", _SUBJECT_LINE, _SUBJECT_NAME, _subject_name, before=210, after=0)
