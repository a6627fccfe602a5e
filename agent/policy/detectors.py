"""PHI detectors: each a pattern, a validator and context words, giving type + span + confidence.

Values never leave this module: a Finding holds where an identifier is, not what it is.
Validators cut false positives the way the issuing rules do (SSA for SSNs, CMS for NPIs),
which is what makes structured identifiers more exact than NLP-based detectors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from agent.model import Finding

# Zero-width and bidi-control characters are stripped so "123\u200b-45-6789" cannot hide an SSN.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"), None
)


def normalize(text: str) -> str:
    """NFKC (fullwidth digits become ASCII) and no invisible characters."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


@dataclass(frozen=True)
class Detector:
    type: str
    pattern: re.Pattern[str]
    validate: Callable[[re.Match[str]], bool]
    context: re.Pattern[str] | None  # words that raise confidence when near the match
    base: float  # confidence without context
    with_context: float
    needs_context: bool = False

    def find(self, text: str, location: str) -> Iterator[Finding]:
        for match in self.pattern.finditer(text):
            if not self.validate(match):
                continue
            near = text[max(0, match.start() - 40) : match.start()]
            has_context = bool(self.context and self.context.search(near))
            if self.needs_context and not has_context:
                continue
            confidence = self.with_context if has_context else self.base
            yield Finding(self.type, location, match.start(), match.end(), confidence)


# --- US Social Security number -------------------------------------------------------------
# SSA: area 000, 666 and 900-999 never issued; group 00 and serial 0000 never issued.
# Numbers published in advertising (078-05-1120, 219-09-9999) are known non-personal.
_SSN_PUBLISHED = {"078051120", "219099999", "457555462"}


def _valid_ssn(match: re.Match[str]) -> bool:
    area, group, serial = match.group("a"), match.group("g"), match.group("s")
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_PUBLISHED


SSN_FORMATTED = Detector(
    "us_ssn",
    re.compile(r"(?<![\d-])(?P<a>\d{3})[- ](?P<g>\d{2})[- ](?P<s>\d{4})(?![\d-])"),
    _valid_ssn,
    re.compile(r"(?i)\b(ssn|social\s+security|ss\s*#|soc\.?\s*sec)"),
    base=0.85,
    with_context=0.98,
)
SSN_BARE = Detector(  # nine bare digits are an SSN only when labelled as one
    "us_ssn",
    re.compile(r"(?<!\d)(?P<a>\d{3})(?P<g>\d{2})(?P<s>\d{4})(?!\d)"),
    _valid_ssn,
    SSN_FORMATTED.context,
    base=0.0,
    with_context=0.9,
    needs_context=True,
)


# --- National Provider Identifier ----------------------------------------------------------
def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _valid_npi(match: re.Match[str]) -> bool:
    # CMS: the check digit is Luhn over the 9 digits prefixed with the card issuer id 80840.
    npi = match.group(0)
    return npi[0] in "12" and luhn_ok("80840" + npi)


NPI = Detector(
    "npi",
    re.compile(r"(?<!\d)[12]\d{9}(?!\d)"),
    _valid_npi,
    re.compile(r"(?i)\b(npi|national\s+provider)"),
    base=0.5,  # any 10-digit number starting 1/2 passes 1 in 10 times: phone numbers do
    with_context=0.97,
)


# --- Medical record number (only with its label: bare MRN formats are site-specific) --------
MRN = Detector(
    "mrn",
    re.compile(
        r"(?i)\b(?:MRN|medical\s+record\s+(?:number|no\.?|#)|chart\s+(?:number|no\.?|#))"
        r"\s*[:#]?\s*(?=[A-Z0-9-]*\d)([A-Z0-9][A-Z0-9-]{4,19})\b"
    ),
    lambda match: True,
    None,
    base=0.95,
    with_context=0.95,
)


# --- Date of birth (only with a label: a bare date is an appointment as often as a birthday) -
_MONTHS = {
    m: i
    for i, names in enumerate(
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
    for m in names
}
_DOB = re.compile(
    r"(?i)\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\s*[:\-]?\s*"
    r"(?:(?P<m1>\d{1,2})[/.-](?P<d1>\d{1,2})[/.-](?P<y1>\d{4}|\d{2})"
    r"|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2})"
    r"|(?P<mn>[A-Za-z]{3,9})\.?\s+(?P<d3>\d{1,2}),?\s+(?P<y3>\d{4}))"
)


def _valid_dob(match: re.Match[str]) -> bool:
    g = match.groupdict()
    try:
        if g["y1"]:
            year = int(g["y1"]) if len(g["y1"]) == 4 else 1900 + int(g["y1"])
            born = date(year, int(g["m1"]), int(g["d1"]))
        elif g["y2"]:
            born = date(int(g["y2"]), int(g["m2"]), int(g["d2"]))
        else:
            month = _MONTHS.get(g["mn"].lower())
            if month is None:
                return False
            born = date(int(g["y3"]), month, int(g["d3"]))
    except ValueError:
        return False
    return date(1890, 1, 1) <= born <= date.today()


DOB = Detector("dob", _DOB, _valid_dob, None, base=0.95, with_context=0.95)

DETECTORS: tuple[Detector, ...] = (SSN_FORMATTED, SSN_BARE, NPI, MRN, DOB)


def scan(text: str, location: str) -> list[Finding]:
    """All findings in one piece of text, overlapping duplicates of one type removed."""
    text = normalize(text)
    findings: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    for detector in DETECTORS:
        for finding in detector.find(text, location):
            if (finding.type, finding.start) not in seen:
                seen.add((finding.type, finding.start))
                findings.append(finding)
    findings.sort(key=lambda f: (f.start, f.type))
    return findings
