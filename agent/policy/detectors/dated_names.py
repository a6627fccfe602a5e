"""Patient names next to a birth date: "Maria Lopez (DOB 3/4/1961)", "Ruiz, Beatriz  7/30/1992"."""

from __future__ import annotations

import re
from datetime import date

from agent.policy.detectors import dates
from agent.policy.detectors.base import Detector
from agent.policy.detectors.name_words import (
    CAPITALISED,
    NAME_START,
    NOT_NAMES,
    SURNAME_PREFIX,
    WORD,
    after_title,
    first_names,
    given_word,
)
from agent.policy.detectors.payers import PAYER


# The person whose birth date follows the name is the patient: "Maria Lopez (DOB 3/4/1961)",
# "It's Raúl Łukasik, born on March 1, 1989", "for Kenji Smith-Whitaker.\nDOB 11/19/1971".
def _before_birth(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    words = list(WORD.finditer(text, m.start("v"), m.end("v")))
    names = first_names()
    for i, word in enumerate(words):  # from the first known given name ("It's Raúl …" → "Raúl …")
        if word.group(0).rstrip(".").casefold() in names:
            rest = [w for w in words[i:] if w.group(0).rstrip(".").lower() not in NOT_NAMES]
            if len(rest) >= 2 and len(rest) == len(words) - i:
                return 0.8, word.start(), words[-1].end() - words[-1].group(0).endswith(".")
            return None
    return None


PATIENT_BEFORE_BIRTH = Detector(
    "patient_name",
    r"\bborn\b|\b(?i:dob|d\.o\.b|date\s+of\s+birth|mrn)\b",  # the cue; the name is looked for before it
    re.compile(
        rf"{NAME_START}(?<![\w'’.-])(?P<v>(?:{SURNAME_PREFIX}{{0,2}}{CAPITALISED}\.?[ \t]+){{1,3}}{SURNAME_PREFIX}{{0,2}}{CAPITALISED})"
        r"(?=[ \t]*(?:[.,]?[ \t]*\n[ \t]*|,[ \t]*|[ \t]*\(|[ \t]+-[ \t]+)?(?:born\b|(?i:dob|d\.o\.b|date\s+of\s+birth|mrn)\b))"
    ),
    _before_birth,
    before=80,
    after=0,
    group="v",
)


# A patient list writes the birth date right after the name: "O'Rourke, Declan (12/18/1967) -
# L shin", "- Adeyemi, Ama 5/24/1955  INR 4.0", "8:00  Ruiz, Beatriz  7/30/1992  Dating". Both
# are found: the name (a known given name) and the date (a year or more ago: not today's visit).
_DATED = re.compile(
    rf"{NAME_START}(?<![\w'’.-])(?P<name>{SURNAME_PREFIX}{{0,2}}{CAPITALISED},[ \t]+{CAPITALISED}(?:[ \t]+{CAPITALISED})?"
    rf"|(?:{CAPITALISED}[ \t]+){{1,2}}{SURNAME_PREFIX}{{0,2}}{CAPITALISED})"
    r"(?:[ \t]*\(|,[ \t]+|[ \t]{1,16})(?P<v>(?P<m1>\d{1,2})/(?P<d1>\d{1,2})/(?P<y1>\d{4}))(?![\d/])"
)


_ROW_GOES_ON = re.compile(
    rf"[ \t]+(?:{PAYER}[ \t]+)?(?i:(?:member|subscriber|medicaid|medicare|policy)[ \t]+)?(?i:id\b|#|mrn\b|mbi\b)"
)


def _dated(text: str, m: re.Match[str]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(name span, date span) when the words are a name and the date could be a birth date."""
    words = list(WORD.finditer(text, m.start("name"), m.end("name")))
    if not words or any(w.group(0).rstrip(".").lower() in NOT_NAMES for w in words):
        return None
    if after_title(text, m.start()):
        return None  # a clinician, or a greeting
    # "Park, Hye-jin (3/19/1969)": last name, first name and a date in parentheses is a patient
    # list's way of writing a birth date, whatever the given name; elsewhere it must be one we know.
    # So is a claims roster's "Patel, Vikram      11/04/1977 Cigna subscriber ID …": the row goes
    # on with the patient's plan or record number.
    listed = "," in text[m.start("name") : m.end("name")] and (
        "(" in text[m.end("name") : m.start("v")] or _ROW_GOES_ON.match(text, m.end("v")) is not None
    )
    given = given_word(text, words, m.start("name"), m.end("name"))
    if not listed and (given is None or given.group(0).rstrip(".").casefold() not in first_names()):
        return None
    try:
        born = date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
    except ValueError:
        return None
    today = dates.today()
    year_ago = today.replace(year=today.year - 1, day=min(today.day, 28) if today.month == 2 else today.day)
    if not date(1890, 1, 1) <= born <= year_ago:
        return None  # this year's date is a visit, a test, an appointment
    return (m.start("name"), m.end("name")), (m.start("v"), m.end("v"))


def _dated_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    spans = _dated(text, m)
    return (0.8, *spans[0]) if spans else None


def _dated_birth(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    spans = _dated(text, m)
    return (0.8, *spans[1]) if spans else None


_DATED_PREFILTER = r"[A-Za-z][ \t]*(?:\(|,[ \t]|[ \t])\d{1,2}/\d{1,2}/\d{4}"
NAME_BEFORE_DATE = Detector("patient_name", _DATED_PREFILTER, _DATED, _dated_name, before=70, after=0)
DOB_AFTER_NAME = Detector("dob", _DATED_PREFILTER, _DATED, _dated_birth, before=70, after=0)
