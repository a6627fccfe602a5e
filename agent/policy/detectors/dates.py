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
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for name in names
}
_DATE = (
    r"(?P<v>(?P<m1>\d{1,2})[/.-](?P<d1>\d{1,2})[/.-](?P<y1>\d{4}|\d{2})"
    r"|(?P<y2>\d{4})(?P<s2>[-/.])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2})"
    r"|(?P<mn>[A-Za-z]{3,9})\.?\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y3>\d{4})"
    r"|(?P<d4>\d{1,2})(?:\s+|-)(?P<mn4>[A-Za-z]{3,9})\.?,?(?:\s+|-)(?P<y4>\d{4})"
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


DOB = Detector(
    "dob",
    r"\b(?:dob|d\.o\.b|date\s+of\s+birth|birth\s*date|birthday|born|fecha\s+de\s+nacimiento)",
    re.compile(
        r"(?i:\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?|fecha\s+de\s+nacimiento))"
        r"(?:\s+(?i:is|was|as|for|on|of|file|record|verification|listed|given|value)){0,3}\s*(?:[:\-=]|\.{2,}:?)?\s*"
        + _DATE
    ),
    _dob,
    before=25,
    after=40,
    caseless=True,
    group="v",
)
