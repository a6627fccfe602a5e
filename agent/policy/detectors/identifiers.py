"""Identifiers issued by rule: SSNs (SSA), NPIs and MBIs (CMS), DEA registration numbers.

The issuing rule (ranges, check digits, layout) decides; context words only raise confidence.
"""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector, context, labels_except, luhn_ok, other_label_nearer

# --- US Social Security number --------------------------------------------------------------
# SSA: area 000, 666 and 900-999 never issued; group 00 and serial 0000 never issued. Numbers
# published in advertising (078-05-1120 on the Woolworth wallet card, 219-09-9999) are not anyone's.
_SSN_PUBLISHED = {"078051120", "219099999", "457555462"}
_SSN_WORDS = re.compile(r"(?i)\b(?:ssn|social\s+security|ss\s*#|soc\.?\s*sec|ssa|seguro\s+social)")


def _ssn_ok(value: str) -> bool:
    area, group, serial = value[:3], value[3:5], value[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return value not in _SSN_PUBLISHED


# "Order #123-45-6789", "CME course 313-54-8471": the number right after another kind of label
# is that kind of number (see base.other_label_nearer).
_NOT_SSN_LABELS = labels_except("us_ssn")


_NEXT_NUMBER = re.compile(r"\s\d")


def _ssn_formatted(text: str, m: re.Match[str]) -> float | None:
    if m.group("s1") != m.group("s2") or not _ssn_ok(m.group("a") + m.group("g") + m.group("n")):
        return None
    # "123 45 6789 0123" is one longer number grouped by spaces; "512-44-8721 03/14/1961" is
    # an SSN and then a date (a table row pasted as text), so only the spaced form is refused.
    if m.group("s1") == " " and _NEXT_NUMBER.match(text, m.end()):
        return None
    labelled = context(text, m.start(), m.end(), _SSN_WORDS, 40, 0)
    if labelled:
        return 0.98
    if other_label_nearer(text, m.start(), m.end(), _SSN_WORDS, _NOT_SSN_LABELS):
        return None
    return 0.85 if m.group("s1") == "-" else 0.55  # "123 45 6789" is often something else


SSN_FORMATTED = Detector(
    "us_ssn",
    r"\d{3}[- ]\d{2}[- ]\d{4}",
    re.compile(r"(?<![\d-])(?P<a>\d{3})(?P<s1>[- ])(?P<g>\d{2})(?P<s2>[- ])(?P<n>\d{4})(?![\d-])"),
    _ssn_formatted,
    before=11,
    after=1,
)
SSN_LABELLED = Detector(  # nine bare digits are an SSN only when labelled as one
    "us_ssn",
    r"\b(?:ssn|social\s+security|ss\s*#|soc\.?\s*sec|seguro\s+social)",
    re.compile(
        r"(?i)\b(?:ssn|social\s+security|ss\s*#|soc\.?\s*sec|seguro\s+social)[^\d\n]{0,25}(?<![\d-])(?P<v>\d{9})(?!\d)"
    ),
    lambda text, m: 0.95 if _ssn_ok(m.group("v")) else None,
    before=20,
    after=45,
    caseless=True,
    group="v",
)


# --- National Provider Identifier -----------------------------------------------------------
_NPI_WORDS = re.compile(r"(?i)\b(?:npi|national\s+provider|provider\s+(?:id|number|#))")
_NOT_NPI_LABELS = labels_except("npi")


def _npi(text: str, m: re.Match[str]) -> float | None:
    # CMS: a Luhn check digit over the 9 digits prefixed with the card issuer id 80840.
    if not luhn_ok("80840" + m.group(0)):
        return None
    if other_label_nearer(text, m.start(), m.end(), _NPI_WORDS, _NOT_NPI_LABELS):
        return None  # "ticket 1467500009", "Phone: 2175550187": a check digit passes one time in ten
    return 0.97 if context(text, m.start(), m.end(), _NPI_WORDS, 40, 10) else 0.7


NPI = Detector("npi", r"\b[12]\d{9}\b", re.compile(r"(?<![\d.-])[12]\d{9}(?![\d-]|\.\d)"), _npi, before=10, after=1)


# --- DEA registration number ----------------------------------------------------------------
_DEA_WORDS = re.compile(r"(?i)\bdea\b")
# Without the word "DEA" a number is a DEA registration only where controlled substances are
# prescribed or dispensed: "KB2364076" in a patch notice and "DW7341167" in a chart pass the
# check digit just as well.
_PRESCRIBING = re.compile(
    r"(?i:\b(?:prescri\w*|controlled|schedule\s+(?:i{1,3}|iv|v|[2-5])|c-?i{2,3}|rx|e-?script|pharmac\w*|registrant))\b"
    r"|\b(?:MD|DO|NP|PA-C|DDS|DMD|DPM|FNP-C|APRN|CNP)\b"
)
_NOT_DEA_LABELS = labels_except("dea")


def _dea(text: str, m: re.Match[str]) -> float | None:
    d = [int(c) for c in m.group("d")]
    if (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 != d[6]:
        return None
    if other_label_nearer(text, m.start(), m.end(), _DEA_WORDS, _NOT_DEA_LABELS):
        return None  # "Member ID: P97604019", "MRN: DW9290513"
    if context(text, m.start(), m.end(), _DEA_WORDS, 40, 10):
        return 0.98
    return 0.8 if context(text, m.start(), m.end(), _PRESCRIBING, 80, 40) else None


DEA = Detector(
    "dea",
    r"\b[A-Z][A-Z9]\d{7}\b",
    re.compile(r"(?<![A-Za-z0-9])[ABCDEFGHJKLMPRSTUX][A-Z9](?P<d>\d{7})(?![A-Za-z0-9])"),
    _dea,
    before=9,
    after=1,
)


# --- Medicare Beneficiary Identifier (CMS: positions 2, 5, 8, 9 letters; no S L O I B Z) ------
_L = "[AC-HJKMNP-RT-Y]"
_LD = "[AC-HJKMNP-RT-Y0-9]"
_MBI_WORDS = re.compile(r"(?i)\b(?:mbi|medicare)")
MBI = Detector(
    "mbi",
    r"\b[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}\b",
    re.compile(rf"(?<![A-Za-z0-9-])[1-9]{_L}{_LD}\d(?P<s1>-?){_L}{_LD}\d(?P<s2>-?){_L}{{2}}\d{{2}}(?![A-Za-z0-9-])"),
    lambda text, m: (
        None
        if m.group("s1") != m.group("s2")
        else (0.98 if context(text, m.start(), m.end(), _MBI_WORDS, 40, 10) else 0.9)
    ),
    before=13,
    after=1,
)
