"""Dates of birth: a date with a birth label ("DOB", "born on"), in any of the usual layouts."""

from __future__ import annotations

import re
import time
from datetime import date

from agent.policy.detectors.base import Detector

# --- Dates of birth: a date with a birth label, or "born" -----------------------------------
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            # English, then Spanish ("24 de diciembre de 1957", "3-ene-1961")
            ("jan", "january", "ene", "enero"),
            ("feb", "february", "febrero"),
            ("mar", "march", "marzo"),
            ("apr", "april", "abr", "abril"),
            ("may", "mayo"),
            ("jun", "june", "junio"),
            ("jul", "july", "julio"),
            ("aug", "august", "ago", "agosto"),
            ("sep", "sept", "september", "septiembre", "setiembre", "set"),
            ("oct", "october", "octubre"),
            ("nov", "november", "noviembre"),
            ("dec", "december", "dic", "diciembre"),
        ],
        1,
    )
    for name in names
}
_DATE = (
    r"(?P<v>(?P<m1>\d{1,2})[/.-](?P<d1>\d{1,2})[/.-](?P<y1>\d{4}|\d{2})"
    r"|(?P<y2>\d{4})(?P<s2>[-/.])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2})"
    r"|(?P<mn>[A-Za-z]{3,10})\.?\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y3>\d{4})"
    r"|(?P<d4>\d{1,2})(?:\s+de\s+|\s+|-)(?P<mn4>[A-Za-z]{3,10})\.?,?(?:\s+de(?:l)?\s+|\s+|-)(?P<y4>\d{4})"
    # HL7's YYYYMMDD[HHMM[SS]] (PID-7 read by fields.py), only ever after a birth-date label
    r"|(?P<y5>(?:18|19|20)\d{2})(?P<m5>[01]\d)(?P<d5>[0-3]\d)(?:[0-2]\d[0-5]\d(?:[0-5]\d)?)?)(?![\d/])"
)


def _dob(text: str, m: re.Match[str]) -> float | None:
    g = m.groupdict()
    try:
        if g["y1"]:
            year = int(g["y1"]) if len(g["y1"]) == 4 else 1900 + int(g["y1"])
            month, day = int(g["m1"]), int(g["d1"])
            if month > 12 >= day:  # 14/03/1958: written day first, as most of the world does
                month, day = day, month
            born = date(year, month, day)
        elif g["y2"]:
            born = date(int(g["y2"]), int(g["m2"]), int(g["d2"]))
        elif g["y5"]:
            born = date(int(g["y5"]), int(g["m5"]), int(g["d5"]))
        else:
            month = _MONTHS.get((g["mn"] or g["mn4"]).lower())
            if month is None:
                return None
            born = date(int(g["y3"] or g["y4"]), month, int(g["d3"] or g["d4"]))
    except ValueError:
        return None
    return 0.95 if date(1890, 1, 1) <= born <= today() else None


_TODAY: list = [0.0, date.today()]


def today() -> date:
    """Today's date, asked of the OS at most once an hour."""
    now = time.monotonic()  # date.today() asks the OS every time; a birth date can wait an hour
    if now - _TODAY[0] > 3600:
        _TODAY[:] = [now, date.today()]
    return _TODAY[1]


# Birth labels in English and Spanish ("F. nac.", "fecha de nacimiento", "nacida el"); a label
# in both languages is one label ("DOB / F. nac.: 12/07/2024").
_BIRTH = (
    r"dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?|fecha\s+de\s+nac(?:imiento|\.)?"
    r"|f(?:ec(?:ha)?)?\.?\s?(?:de\s+)?nac\.?|nacid[oa]|naci[oó]|cumplea[ñn]os"
)
DOB = Detector(
    "dob",
    r"\b(?:dob|d\.o\.b|date\s+of\s+birth|birth\s*date|birthday|born|fecha\s+de\s+nac|f(?:ec(?:ha)?)?\.?\s?(?:de\s+)?nac\b"
    r"|nacid[oa]|naci.|cumplea)",
    re.compile(
        rf"(?i:\b(?:{_BIRTH}))(?:[ \t]*/[ \t]*[^\n/:\d]{{2,30}}?(?=[ \t]*:))?"
        r"(?:\s+(?i:is|was|as|for|on|of|file|record|verification|listed|given|value|es|el|fue|the)){0,3}"
        r"\s*(?:[:\-=(]|\.{2,}:?)?\s*" + _DATE
    ),
    _dob,
    before=25,
    after=50,
    caseless=True,
    group="v",
)
# Two birth dates under one label: "one has DOB 07/28/1954, the other 07/01/1954", "DOB 3/8/1959
# or 3/9/1959" (a duplicate chart, a typo asked about). The second is a birth date too.
_ANY_DATE = r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
DOB_SECOND = Detector(
    "dob",
    # the label, a date and what says a second one follows: only there does the pattern run
    r"\b(?:dob|date\s+of\s+birth|birth\s*date|born|fecha\s+de\s+nac)[^\n]{4,30}(?:the\s+other|\bor\b|\bvs\b|versus|instead)",
    re.compile(
        rf"(?i:\b(?:{_BIRTH}))[ \t:]{{0,4}}(?:(?i:is|was|of|on)[ \t]+)?{_ANY_DATE}[ \t]*,?[ \t]+"
        r"(?i:(?:(?:and|but|while)[ \t]+)?the[ \t]+other(?:[ \t]+(?:one|chart|record|says|has|is)){0,2}|or|and|vs\.?|versus"
        r"|not|instead[ \t]+of)[ \t]*:?[ \t]*" + _DATE
    ),
    _dob,
    before=90,
    after=60,
    caseless=True,
    group="v",
)
