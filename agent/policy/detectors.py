"""PHI/PII detectors: a fast prefilter, a precise pattern, a validator and context words each.

How a detector works (see scanner.py): every prefilter runs at once over the whole text
(one Hyperscan database, linear time); only where a prefilter hits does the precise pattern
run, on a small window around the hit, and the validator decide — by the issuing rules
(SSA for SSNs, CMS for NPIs and MBIs, the DEA's check digit, ABA's checksum, Luhn and IIN
ranges for cards) or by the label the identifier needs. Values never leave this module: a
Finding says where an identifier is and how sure we are, not what it is.

Prefilters use the syntax common to Hyperscan and Python's `re` (no look-around, no
back-references, bounded repeats) and must match a superset of what `pattern` accepts.
Precise patterns run only on windows of at most `before + after` characters, so even a
pathological input cannot make them slow.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

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


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


# --- US Social Security number --------------------------------------------------------------
# SSA: area 000, 666 and 900-999 never issued; group 00 and serial 0000 never issued. Numbers
# published in advertising (078-05-1120 on the Woolworth wallet card, 219-09-9999) are not anyone's.
_SSN_PUBLISHED = {"078051120", "219099999", "457555462"}
_SSN_WORDS = re.compile(r"(?i)\b(?:ssn|social\s+security|ss\s*#|soc\.?\s*sec|ssa)")


def _ssn_ok(value: str) -> bool:
    area, group, serial = value[:3], value[3:5], value[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return value not in _SSN_PUBLISHED


# "Order #123-45-6789": the number right after another kind of label is that kind of number.
_OTHER_NUMBER = re.compile(r"(?i)\b(?:order|invoice|inv|ref(?:erence)?|tracking|confirmation|conf|case|ticket|claim"
                           r"|account|acct|serial|part|model|item|sku|po|rma|lot|batch)\.?[ \t]*(?:#|no\.?|number)?"
                           r"[ \t]*[:#]?[ \t]*$")


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
    if _OTHER_NUMBER.search(text, max(0, m.start() - 30), m.start()):
        return None
    return 0.85 if m.group("s1") == "-" else 0.55  # "123 45 6789" is often something else


SSN_FORMATTED = Detector(
    "us_ssn", r"\d{3}[- ]\d{2}[- ]\d{4}",
    re.compile(r"(?<![\d-])(?P<a>\d{3})(?P<s1>[- ])(?P<g>\d{2})(?P<s2>[- ])(?P<n>\d{4})(?![\d-])"),
    _ssn_formatted, before=11, after=1,
)
SSN_LABELLED = Detector(  # nine bare digits are an SSN only when labelled as one
    "us_ssn", r"\b(?:ssn|social\s+security|ss\s*#|soc\.?\s*sec)",
    re.compile(r"(?i)\b(?:ssn|social\s+security|ss\s*#|soc\.?\s*sec)[^\d\n]{0,25}(?<![\d-])(?P<v>\d{9})(?!\d)"),
    lambda text, m: 0.95 if _ssn_ok(m.group("v")) else None,
    before=20, after=45, caseless=True, group="v",
)


# --- National Provider Identifier -----------------------------------------------------------
_NPI_WORDS = re.compile(r"(?i)\b(?:npi|national\s+provider|provider\s+(?:id|number|#))")


def _npi(text: str, m: re.Match[str]) -> float | None:
    # CMS: a Luhn check digit over the 9 digits prefixed with the card issuer id 80840.
    if not luhn_ok("80840" + m.group(0)):
        return None
    return 0.97 if context(text, m.start(), m.end(), _NPI_WORDS, 40, 10) else 0.7


NPI = Detector("npi", r"\b[12]\d{9}\b", re.compile(r"(?<![\d.-])[12]\d{9}(?![\d-]|\.\d)"), _npi, before=10, after=1)


# --- DEA registration number ----------------------------------------------------------------
_DEA_WORDS = re.compile(r"(?i)\bdea\b")


def _dea(text: str, m: re.Match[str]) -> float | None:
    d = [int(c) for c in m.group("d")]
    if (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 != d[6]:
        return None
    return 0.98 if context(text, m.start(), m.end(), _DEA_WORDS, 40, 10) else 0.85


DEA = Detector(
    "dea", r"\b[A-Z][A-Z9]\d{7}\b",
    re.compile(r"(?<![A-Za-z0-9])[ABCDEFGHJKLMPRSTUX][A-Z9](?P<d>\d{7})(?![A-Za-z0-9])"),
    _dea, before=9, after=1,
)


# --- Medicare Beneficiary Identifier (CMS: positions 2, 5, 8, 9 letters; no S L O I B Z) ------
_L = "[AC-HJKMNP-RT-Y]"
_LD = "[AC-HJKMNP-RT-Y0-9]"
_MBI_WORDS = re.compile(r"(?i)\b(?:mbi|medicare)")
MBI = Detector(
    "mbi", r"\b[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}\b",
    re.compile(rf"(?<![A-Za-z0-9-])[1-9]{_L}{_LD}\d(?P<s1>-?){_L}{_LD}\d(?P<s2>-?){_L}{{2}}\d{{2}}(?![A-Za-z0-9-])"),
    lambda text, m: None if m.group("s1") != m.group("s2")
    else (0.98 if context(text, m.start(), m.end(), _MBI_WORDS, 40, 10) else 0.9),
    before=13, after=1,
)


# --- Payment cards: Luhn and the issuers' IIN ranges ------------------------------------------
_CARD_WORDS = re.compile(r"(?i)\b(?:card|visa|mastercard|master\s+card|amex|american\s+express|discover|cc|credit)")


def _card_issuer(digits: str) -> bool:
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16
    if two in (34, 37):
        return n == 15
    if digits.startswith("6011") or two == 65 or 644 <= int(digits[:3]) <= 649:
        return n in (16, 19)
    return False


def _card(text: str, m: re.Match[str]) -> float | None:
    raw = m.group(0)
    separators = {c for c in raw if not c.isdigit()}
    digits = _digits(raw)
    if len(separators) > 1 or not _card_issuer(digits) or not luhn_ok(digits):
        return None
    return 0.98 if context(text, m.start(), m.end(), _CARD_WORDS, 50, 10) else 0.9


CREDIT_CARD = Detector(
    "credit_card", r"\b(?:\d{4}[ -]?){3}\d{1,7}\b|\b3[47]\d{2}[ -]?\d{6}[ -]?\d{5}\b",
    re.compile(r"(?<![\d-])(?:\d{4}(?P<s>[ -]?)\d{4}(?P=s)\d{4}(?P=s)\d{1,7}|3[47]\d{2}(?P<t>[ -]?)\d{6}(?P=t)\d{5})(?![\d-])"),
    _card, before=26, after=1,
)


# --- ABA routing number: labelled, checksum 3-7-1 --------------------------------------------
def _aba(text: str, m: re.Match[str]) -> float | None:
    d = [int(c) for c in m.group("v")]
    prefix = d[0] * 10 + d[1]
    if not (1 <= prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return None
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]
    return 0.97 if total % 10 == 0 else None


ABA = Detector(
    "aba_routing", r"\b(?:routing|aba|rtn|transit)",
    re.compile(r"(?i)\b(?:routing|aba|rtn|transit)[^\d\n]{0,30}(?<!\d)(?P<v>\d{9})(?!\d)"),
    _aba, before=10, after=50, caseless=True, group="v",
)


# --- NDC: labelled, the three dashed 10-digit layouts and the 11-digit billing one -----------
NDC = Detector(
    "ndc", r"\bndc",
    re.compile(r"(?i)\bndc\b[^\d\n]{0,20}(?<![\d-])(?P<v>\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})(?![\d-])"),
    lambda text, m: 0.97, before=5, after=40, caseless=True, group="v",
)


# --- Label-anchored record and plan identifiers ------------------------------------------------
_SEPARATOR = r"(?:[:#=]|\.{2,}:?)"  # "MRN: …", "MRN# …", "MRN=…", "MRN........ …"
_PHONE_SHAPED = re.compile(r"[2-9]\d{2}-[2-9]\d{2}-\d{4}")
_ID_VALUE = r"(?P<v>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,19}[A-Z0-9])(?![A-Za-z0-9-])"
_MRN_LABEL = (r"mrn|mr\s*(?:#|no\b\.?)|med(?:ical)?\.?\s+rec(?:ord)?s?\.?(?:\s+(?:number|no\.?|#))?"
              r"|chart\s*(?:number|no\.?|#)|(?:patient|pt\.?)\s*(?:id\b|#|number\b|no\b\.?)")
MRN = Detector(
    "mrn", r"\b(?:mrn|mr\s*(?:#|no\b)|med(?:ical)?\.?\s+rec(?:ord)?s?|chart\s*(?:number|no\b|#)"
           r"|(?:patient|pt\.?)\s*(?:id\b|#|number|no\b))",  # "Mr. Nowak", "patient notes" are not labels
    re.compile(rf"(?i:\b(?:{_MRN_LABEL}))\s*(?:#|:|no\.?|number)?\s*{_SEPARATOR}?\s*" + _ID_VALUE),
    # "pt # 380-751-2746" in a nurse's note is the patient's phone, not a record number
    lambda text, m: None if _PHONE_SHAPED.fullmatch(m.group("v")) else 0.95,
    before=20, after=45, caseless=True, group="v",
)
# A group number names the employer's plan, shared by everyone in it: not a member's identifier.
_MEMBER = r"mem(?:ber|ebr|ber'?s)|subscriber|policy(?:holder)?|insurance|medicaid|plan"
MEMBER_ID = Detector(
    "member_id", r"\b(?:mem(?:ber|ebr)|subscriber|policy|insurance|medicaid|plan)\S{0,2}\s*(?:id|#|number|no)"
                 r"|\bn.mero\s+de\s+(?:miembro|afiliado|p.liza)",
    re.compile(rf"(?i:\b(?:(?:{_MEMBER})\s*(?:id(?:entification)?|#|number|no\.?)(?:\s*(?:number|no\.?|#))?"
               r"|n[uú]mero\s+de\s+(?:miembro|afiliado|p[oó]liza))"
               r"(?:\s*\([^()\n]{1,40}\)|[ \t]*/[ \t]*[A-Za-z]{2,12})?(?:\s+(?:is|was))?)\s*" + _SEPARATOR + r"?\s*" + _ID_VALUE),
    lambda text, m: 0.9, before=30, after=90, caseless=True, group="v",
)


# --- Driver's licence: the number with a state named next to it --------------------------------
_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
           "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY").split()
_STATE_NAMES = ("alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia|"
                "hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|"
                "michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|new\\s+hampshire|new\\s+jersey|"
                "new\\s+mexico|new\\s+york|north\\s+carolina|north\\s+dakota|ohio|oklahoma|oregon|pennsylvania|"
                "rhode\\s+island|south\\s+carolina|south\\s+dakota|tennessee|texas|utah|vermont|virginia|"
                "washington|west\\s+virginia|wisconsin|wyoming")
_STATE = re.compile(rf"\b(?:{'|'.join(_STATES)})\b|(?i:\b(?:{_STATE_NAMES})\b)")
_STATE_AFTER = re.compile(rf"[ \t]{{0,3}}(?:\(|,[ \t]{{0,3}}(?i:(?:issued[ \t]+)?(?:state|in|by)[ \t]{{0,3}}:?[ \t]{{0,3}})?)"
                          rf"(?:{_STATE.pattern})")
DRIVERS_LICENSE = Detector(
    # "DL" only in capitals: "dl" is a unit (mg/dL) a thousand times more often than a licence.
    "drivers_license", r"\b(?:(?i:driver'?s?\s+licen[cs]e|licen[cs]e\s*(?:no|number|#))|DL|D/L|DLN)\b",
    re.compile(r"(?i:\b(?:driver'?s?\s+licen[cs]e|dl|d/l|dln|licen[cs]e\s*(?:no\.?|number|#)))"
               r"(?:\s*(?:no\.?|number|#))?\s*(?:\((?:[A-Za-z]{2}|[A-Za-z ]{4,14})\))?\s*(?:is\s+)?[:#]?\s*"
               r"(?:[A-Z]{2}[ \t]+(?:(?i:dl|d/l|dln)[ \t]*#?[ \t]*)?)?"
               r"(?P<v>(?=(?:[A-Z-]*\d){3})[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9]|\d{3} \d{3} \d{3}|WDL[A-Z0-9]{9})(?![A-Za-z0-9-])"),
    # The state named before the number ("NY DL", "licence (NY)") or right after it ("(IL)", ", state CA").
    lambda text, m: 0.93 if (_STATE.search(text, max(0, m.start() - 25), m.start("v"))
                             or _STATE_AFTER.match(text, m.end("v"))) else None,
    before=30, after=40, group="v",
)


# --- Dates of birth: a date with a birth label, or "born" -----------------------------------
_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")], 1)
    for name in names
}
_DATE = (r"(?P<v>(?P<m1>\d{1,2})[/.-](?P<d1>\d{1,2})[/.-](?P<y1>\d{4}|\d{2})"
         r"|(?P<y2>\d{4})(?P<s2>[-/.])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2})"
         r"|(?P<mn>[A-Za-z]{3,9})\.?\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y3>\d{4})"
         r"|(?P<d4>\d{1,2})(?:\s+|-)(?P<mn4>[A-Za-z]{3,9})\.?,?(?:\s+|-)(?P<y4>\d{4}))(?![\d/])")


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
        else:
            month = _MONTHS.get((g["mn"] or g["mn4"]).lower())
            if month is None:
                return None
            born = date(int(g["y3"] or g["y4"]), month, int(g["d3"] or g["d4"]))
    except ValueError:
        return None
    return 0.95 if date(1890, 1, 1) <= born <= _today() else None


_TODAY: list = [0.0, date.today()]


def _today() -> date:
    now = time.monotonic()  # date.today() asks the OS every time; a birth date can wait an hour
    if now - _TODAY[0] > 3600:
        _TODAY[:] = [now, date.today()]
    return _TODAY[1]


DOB = Detector(
    "dob", r"\b(?:dob|d\.o\.b|date\s+of\s+birth|birth\s*date|birthday|born|fecha\s+de\s+nacimiento)",
    re.compile(r"(?i:\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?|fecha\s+de\s+nacimiento))"
               r"(?:\s+(?i:is|was|as|for|on|of|file|record|verification|listed|given|value)){0,3}\s*(?:[:\-=]|\.{2,}:?)?\s*"
               + _DATE),
    _dob, before=25, after=40, caseless=True, group="v",
)


# --- Diagnosis and procedure codes: only in clinical context -----------------------------------
_ICD_WORDS = (r"\b(?:diagnos[ie]s|dx|icd(?:-?10)?(?:-cm)?|assessment|impression|problem\s+list|codes?|hx\s+of|history\s+of"
              r"|condition|reason\s+for\s+(?:referral|visit|consult)|referr(?:al|ed)\s+for)")
_ICD_CODE = re.compile(r"(?<![A-Za-z0-9.\-/])[A-TV-Z]\d[0-9AB](?:\.[0-9A-Z]{1,4})?(?![A-Za-z0-9]|\.\d|-\d)")
# Part, model and version numbers are not diagnoses, whatever clinical words are near.
_ICD_NOT = re.compile(r"(?i)\b(?:model|part|p/n|pn|sku|item|serial|s/n|version|ver|v|rev|ref|lot|room|rm|flight"
                      r"|gate|seat|section|sec|form|order|invoice|catalog|cat|firmware|build|unit|suite|bldg|apt|bin|shelf|slot"
                      r"|rack|aisle|bay|port|location|locker|cabinet|drawer|box|tray)"
                      r"\W{0,3}(?:no\.?|#|number)?\W{0,3}$")


def _icd(text: str, m: re.Match[str]) -> float | None:
    if _ICD_NOT.search(text, max(0, m.start() - 20), m.start()):
        return None
    return 0.9 if m.group(0)[1:3] != "00" or "." in m.group(0) else 0.8


# The prefilter wants a context word and a code-shaped token on one line (or the code at the
# start of the next), in either order,
# so prose full of "history of" and "condition" costs nothing until a code is near.
ICD10 = Detector(
    "icd10", rf"(?i:{_ICD_WORDS})[^\n]{{0,100}}(?:\n[^\n]{{0,20}})?[A-TV-Z]\d[0-9AB]|[A-TV-Z]\d[0-9AB][^\n]{{0,60}}(?i:{_ICD_WORDS})",
    _ICD_CODE, _icd, before=170, after=160,
)
# A dotted code ("M54.50", "E11.65") is distinctive enough to stand a few lines from its
# clinical words: a problem list, a referral letter, a claim. An undotted one ("I10") counts
# only next to a dotted one in a list ("N18.30 / I10", "J06.9, I10").
_ICD_DOTTED = r"[A-TV-Z]\d[0-9AB]\.[0-9A-Z]{1,4}"
_CLINICAL_WORDS = ("diagnos dx icd assessment impression problem condition disorder disease syndrome pain chronic"
                   " acute unspecified hx history referr claim cpt encounter symptom principal secondary admit"
                   " discharge deficiency injury diabet hypertens infection fracture").split()


def _grouped(words: list[str]) -> str:
    """An alternation grouped by first letter: Python's re tries it three times faster."""
    by_first: dict[str, list[str]] = {}
    for word in words:
        by_first.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(f"{first}(?:{'|'.join(rest)})" for first, rest in sorted(by_first.items()))


_ICD_CLINICAL = re.compile(rf"\b(?:{_grouped(_CLINICAL_WORDS)})")  # on lower-cased ASCII
_ICD_CLINICAL_ANY = re.compile(rf"(?i)\b(?:{_grouped(_CLINICAL_WORDS)})")  # elsewhere
_ICD_NEIGHBOUR = re.compile(rf"(?:{_ICD_DOTTED})\)?[ \t]*(?:[,/;&+]|and|or)[ \t]*\(?$")
_ICD_NEIGHBOUR_AFTER = re.compile(rf"\)?[ \t]*(?:[,/;&+]|and|or)[ \t]*\(?{_ICD_DOTTED}")


def _icd_listed(text: str, m: re.Match[str]) -> float | None:
    start, end = m.start(), m.end()
    if _icd(text, m) is None:  # a part or model number
        return None
    if "." not in m.group(0) and not (_ICD_NEIGHBOUR.search(text, max(0, start - 16), start)
                                       or _ICD_NEIGHBOUR_AFTER.match(text, end)):
        return None
    return 0.8 if _clinical_near(text, start - 300, end + 100) else None


_LAST_TEXT = threading.local()  # per thread: the text last asked about, its clinical words by block
_BLOCK = 512


def _clinical_near(text: str, lo: int, hi: int) -> bool:
    """Whether a clinical word starts in text[lo:hi]. Words are looked for once per 512-character
    block of a text, and only in blocks a code is near: a text full of codes costs linear
    time, a letter with two codes costs two blocks."""
    cached = getattr(_LAST_TEXT, "value", None)
    if cached is None or cached[0] is not text:
        cached = (text, {})
        _LAST_TEXT.value = cached
    blocks = cached[1]
    lo = max(0, lo)
    for block in range(lo // _BLOCK, (min(hi, len(text)) - 1) // _BLOCK + 1):
        starts = blocks.get(block)
        if starts is None:
            first = block * _BLOCK
            piece = text[first:first + _BLOCK + 16]
            found = (_ICD_CLINICAL.finditer(piece.lower()) if piece.isascii() else _ICD_CLINICAL_ANY.finditer(piece))
            starts = blocks[block] = [first + w.start() for w in found if w.start() < _BLOCK]
        if any(lo <= at < hi for at in starts):
            return True
    return False


ICD10_LISTED = Detector("icd10", _ICD_DOTTED, _ICD_CODE, _icd_listed, before=30, after=30)
_CPT_CODE = re.compile(r"(?<![\w.\-/$#])\d{4}[0-9FT](?![\d.,/]\d|\w|-\d{2,})")
_ZIP_BEFORE = re.compile(rf"(?:\b(?:{'|'.join(_STATES)})|\b(?i:zip|po|order|claim|invoice|room|suite|ste|ext|acct|account|#))[ \t.:#]*$")


def _cpt(text: str, m: re.Match[str]) -> float | None:
    return None if _ZIP_BEFORE.search(text, max(0, m.start() - 12), m.start()) else 0.9


# A code written into clinical prose, as clinicians do: "(95810)", "96413 + 96415 x2", "should go
# out as 93306 or 93308", "billed 99214" — the shape of a code list, and clinical words near.
_CPT_LISTED_SHAPE = re.compile(
    r"\(\d{5}(?:[ ,/+]|\))|\d{5}[ \t]*x[ \t]*\d\b"
    r"|\d{5}(?:[ \t]*x[ \t]*\d+)?\)?[ \t]*(?:\+|/|or|and|,)[ \t]*(?:likely[ \t]+)?\d{5}|(?i:\b(?:bill(?:ed|ing)?|charge[ds]?|code[ds]?|as|be|go\s+out\s+as)[ \t]+(?:will\s+be[ \t]+)?)\d{5}"
    r"|(?i:\b(?:shave|punch|excision|biopsy|mohs|destruction|repair|injection)[ \t]+(?:\d+[ \t]*mm[ \t]+)?)\d{5}")
_PROCEDURE_WORDS = _CLINICAL_WORDS + ("procedure billing billed charge study exam visit injection test panel screen"
                                      " biopsy shave punch ultrasound echo ecg mri x-ray infusion therap titration"
                                      " vaccin immuniz imaging scan lab photograph sonogram transvaginal pelvic"
                                      " anatomy a1c hba1c lipid cbc cmp bmp tsh psa").split()
_PROCEDURE = re.compile(rf"(?i)\b(?:{_grouped(_PROCEDURE_WORDS)})")


def _cpt_in_prose(text: str, m: re.Match[str]) -> float | None:
    start, end = m.start(), m.end()
    if not text[start:end].isdigit() or _cpt(text, m) is None:  # not a ZIP, a PO or an order number
        return None
    if not (_CPT_LISTED_SHAPE.search(text, max(0, start - 20), min(len(text), end + 8))):
        return None
    return 0.8 if _PROCEDURE.search(text, max(0, start - 200), min(len(text), end + 100)) else None


CPT = Detector(
    "cpt", r"\b(?:cpt|hcpcs|procedure\s+codes?|procedures?(?:/orders)?(?:\s+today)?\s*:|orders\s+today|billing\s+codes?"
           r"|billed|billing\s*:|bill\s+codes?|(?:pt|ot)?\s*evaluation\s*:|admin(?:istration)?\s+code)",
    _CPT_CODE, _cpt, before=40, after=120, caseless=True,
)
# A code followed by what it is ("97110 therapeutic exercise", "90471 immunization admin"):
# the description is the context. Only a few procedure words: a ZIP code is followed by none.
CPT_DESCRIBED = Detector(
    "cpt", r"\b\d{4}[0-9FT][ \t]+(?:-[ \t]+)?(?:therapeutic|manual\s+therapy|gait\s+training|neuromuscular"
           r"|(?:pt|ot|slp)\s+(?:evaluation|re-?eval)|office(?:/outpatient)?\s+visit|immunization\s+admin)",
    re.compile(r"(?<![\w.\-/$#])\d{4}[0-9FT](?=[ \t]+(?:-[ \t]+)?[a-z])"), lambda text, m: 0.85,
    before=60, after=0, caseless=True,
)
CPT_IN_PROSE = Detector(  # the shape is checked by the validator: a prefilter of words costs the whole pass
    "cpt", r"\d{5}",
    _CPT_CODE, _cpt_in_prose, before=30, after=30,
)


# --- Contact details -------------------------------------------------------------------------
_PHONE_WORDS = re.compile(r"(?i)\b(?:phone|tel|telephone|cell|mobile|call|fax|contact|reach|text|ph)\b")
_BRIDGE = re.compile(r"(?i)\b(?:dial[- ]?in|conference\s+(?:line|bridge|number)|bridge(?:\s+(?:line|number))?|toll[- ]free\s+dial)"
                     r"[^\n\d]{0,12}$")
_BRIDGE_AFTER = re.compile(r"(?i)[^\n\d]{0,6}\b(?:(?:meeting|conference|access|participant)\s*(?:id|code|pin)|pin)\b")


def _phone(text: str, m: re.Match[str]) -> float | None:
    if _BRIDGE.search(text, max(0, m.start() - 30), m.start()) or _BRIDGE_AFTER.match(text, m.end()):
        return None  # a conference bridge's dial-in number is nobody's phone
    return 0.95 if context(text, m.start(), m.end(), _PHONE_WORDS, 40, 5) else 0.85


PHONE = Detector(
    "phone", r"(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}",
    re.compile(r"(?<![\d.-])(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}(?P<s>[ .-]))[2-9]\d{2}[ .-]\d{4}(?![\d-]|\.\d)"),
    _phone,
    before=17, after=1,
)
PHONE_LABELLED = Detector(  # ten bare digits are a phone number only when labelled as one
    # The whole shape in the prefilter: "cell" and "ph" are everywhere in clinical prose.
    "phone", r"\b(?:phone|tel|telephone|cell|mobile|fax|ph)\b(?:\s*(?:number|no\.?|#))?[ \t]*[:#]?[ \t]*(?:\+?1)?\d{10}",
    re.compile(r"(?i:\b(?:phone|tel|telephone|cell|mobile|fax|ph)\b)(?:\s*(?i:number|no\.?|#))?[ \t]*[:#]?[ \t]*"
               r"(?:\+?1)?(?P<v>[2-9]\d{2}[2-9]\d{6})(?![\d-]|\.\d)"),
    lambda text, m: 0.9, before=40, after=0, caseless=True, group="v",
)
EMAIL = Detector(
    "email", r"@",
    re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b"),
    lambda text, m: 0.9, before=65, after=200,
)
_SUFFIX_WORDS = ("Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter"
                 "|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Pike|Loop|Row|Alley|Crescent|Plaza")
_SUFFIX = rf"(?:{_SUFFIX_WORDS}|{_SUFFIX_WORDS.upper()})"  # "AVE" in a feed
# The street line only, for a PO box as for a street: "PO Box 1754" of "PO Box 1754, Madison WI".
PO_BOX = Detector(
    "us_address", r"\bP\.?\s?O\.?\s*Box\s+\d",
    re.compile(r"(?i:\bP\.?[ \t]?O\.?[ \t]*Box)[ \t]+\d{1,6}\b"),
    lambda text, m: 0.85, before=12, after=10, caseless=True,
)
US_ADDRESS = Detector(
    "us_address", r"\d{1,6}[ \t]+(?:[NSEW]\.?[ \t]+)?(?:[A-Z][A-Za-z'-]*[ \t]+){1,4}" + _SUFFIX + r"\b",
    re.compile(r"(?<![\d.,/$#:-])\d{1,6}[ \t]+(?:(?:N|S|E|W|North|South|East|West)\.?[ \t]+)?"  # on one line
               r"(?:(?:\d{1,3}(?:st|nd|rd|th)|(?!AM\b|PM\b)[A-Z][A-Za-z'-]*)[ \t]+){1,4}"
               + _SUFFIX + r"\b"),  # the street line without a trailing period: "237 Foxtail Way."
    lambda text, m: 0.85, before=80, after=2,
)


# --- Named patients: a name after an explicit patient cue ---------------------------------------
_NOT_NAMES = {"portal", "care", "services", "service", "access", "advocate", "education", "name", "id", "information",
              "instructions", "safety", "coordinator", "relations", "experience", "financial", "intake", "record",
              "records", "number", "chart", "is", "was", "has", "had", "will", "and", "the", "of", "in", "at",
              "to", "for", "with", "on", "dob", "mrn", "account", "summary", "list", "satisfaction", "status",
              "dr", "doctor", "nurse", "np", "pa", "md", "rn", "health", "center", "centre", "affairs", "office",
              "handbook", "council", "union", "loan", "loans", "discount", "login", "signature", "no", "not", "found",
              "case", "requests", "request", "unknown", "none", "all", "sex", "gender", "age"}
_NAME_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)?"


_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)?\.?")
# Lower-case surname particles ("de la Cruz", "van der Berg"): part of a name when a
# capitalised word follows; they do not make a name on their own.
_PARTICLES = ("de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "du", "dos", "das", "st")
_PARTICLE = rf"(?:(?:{'|'.join(_PARTICLES)})\.? +)"  # spaces only: a tab is a table's next cell
# Before a surname in any case: "VAN DYKE, IMANI", "Del Rosario, Thanh", "St. Germain, Yusuf"
_SURNAME_PREFIX = r"(?:(?i:van|von|del|della|de|da|di|du|dos|das|la|le|der|den|st\.|ste\.|san|santa|ben|bin|al|el|abu) +)"
_TITLE = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|MR|MRS|MS|MISS|MX)\.?[ \t]+)"  # "your patient, Ms. Linh Castellanos"
# "Last, First [M]", "First [M.] Last", "J. Smith", with surname particles
_NAME = (rf"(?P<v>(?=[^a-z]|{_PARTICLE})"  # never a lower-case word first, but for a particle
         rf"(?:{_PARTICLE}{{0,2}}{_SURNAME_PREFIX}{{0,2}}(?:{_NAME_WORD}), +(?:{_NAME_WORD})(?: {_NAME_WORD})?"
         rf"(?: +[A-Z](?:\.|(?![^\W\d_])))?"
         rf"|(?:[A-Z]\. +)?{_PARTICLE}{{0,2}}(?:{_NAME_WORD})(?: +[A-Z]\.)?"
         rf"(?: +{_PARTICLE}{{0,2}}{_SURNAME_PREFIX}{{0,2}}(?:{_NAME_WORD})){{0,2}}))")


def _name_words(text: str, m: re.Match[str]) -> list[re.Match[str]]:
    """The capitalised words of the name the pattern matched, up to the first word that is
    not part of a name ("Jane Doe called …")."""
    kept: list[re.Match[str]] = []
    particles = 0
    for word in _WORD.finditer(text, m.start("v"), m.end("v")):
        value = word.group(0)
        if value.rstrip(".") in _PARTICLES:  # lower case only: "Van" is a capitalised name word
            particles += 1
            if particles > 2:
                break
            continue
        if not value[0].isupper() or value.rstrip(".").lower() in _NOT_NAMES:
            break
        kept.append(word)
        particles = 0
    return kept


def _is_name(kept: list[re.Match[str]]) -> bool:
    full = [w for w in kept if len(w.group(0).rstrip(".")) > 1]  # initials alone do not make a name
    initial_first = bool(kept) and len(kept[0].group(0).rstrip(".")) == 1
    return len(full) >= 2 or (len(full) == 1 and initial_first)  # "Pt: J. Smith"


def _span(m: re.Match[str], kept: list[re.Match[str]]) -> tuple[int, int]:
    """From the name's first word (a particle too: "van der Berg, Anh") to its last, without a
    sentence's full stop."""
    end = kept[-1].end() - (kept[-1].group(0).endswith(".") and kept[-1].group(0)[:-1].lower() not in ("st", "ste"))
    return m.start("v"), end


_FIRST_NAMES: frozenset[str] | None = None


def first_names() -> frozenset[str]:
    """Given names in Latin script (agent/policy/first_names.txt, from Faker's lists)."""
    global _FIRST_NAMES
    if _FIRST_NAMES is None:
        from importlib import resources

        lines = resources.files("agent.policy").joinpath("first_names.txt").read_text(encoding="utf-8").splitlines()
        _FIRST_NAMES = frozenset(line for line in lines if line and not line.startswith("#"))
    return _FIRST_NAMES


def _given_word(text: str, words: list[re.Match[str]], start: int, end: int) -> re.Match[str] | None:
    """The given name among a name's words: the first ("Hannah Osei"), or the first after the
    comma when the surname comes first ("Osei, Hannah")."""
    comma = text.find(",", start, end)
    if comma < 0:
        return words[0] if words else None
    return next((w for w in words if w.start() > comma), None)


def _known_given_name(text: str, m: re.Match[str], kept: list[re.Match[str]]) -> bool:
    """Whether the name begins with a known given name: "Hannah Osei", "Osei, Hannah", or an
    initial ("J. Tran")."""
    given = _given_word(text, kept, *_span(m, kept))
    word = given.group(0).rstrip(".") if given else ""
    return len(word) == 1 or word.casefold() in first_names()


_TITLE_BEFORE = re.compile(r"(?i)\b(?:dr|mr|mrs|ms|miss|mx)\.?[ \t]*$")


def _after_title(text: str, at: int) -> bool:
    """Whether a title ends right before `at`: "Dr. Maria Lopez" is a clinician or a greeting."""
    return _TITLE_BEFORE.search(text, max(0, at - 6), at) is not None


# Cues, and how sure each makes us. Strong: the text says this is the patient (or the client,
# the student, the resident); the name is taken as written. Weak: "Name:", "Member:", "my son",
# "my name is", "Re:": taken only when the name begins with a known given name. Subject-like
# ("Re: …", "Refill for …", "HH referral - …"): the name must also end its line (or meet a
# bracket, a comma or a dash), so "Re: Summer Schedule Change" is not a patient.
_STRONG = {"patient", "pt", "pt.", "client", "student", "resident", "paciente", "claimant"}
_ORG = re.compile(r"(?i)\b(?:medical|health|healthcare|partners|clinic|clinics|group|center|centre|associates|llc|inc"
                  r"|hospital|practice|pharmacy|laboratory|labs|services|corp|company|university|school)\b")
_SUBJECT_LIKE = ("re", "regarding", "refill", "referral", "records", "msg", "message", "phone")
_SUBJECT_WORDS = {"meeting", "schedule", "update", "report", "results", "result", "request", "question", "questions",
                  "follow", "lunch", "party", "event", "visit", "appointment", "review", "form", "forms", "notes",
                  "plan", "policy", "training", "call", "order", "invoice", "payment", "reminder", "day", "week",
                  "month", "year", "hours", "office", "clinic", "lab", "labs", "referral", "consult", "authorization",
                  "change", "changes", "photos", "trip", "news", "newsletter", "benefits", "enrollment"}
_NAME_END = re.compile(r"[ \t]*(?:$|\n|[-(),;:]|\s+(?i:dob|d\.o\.b|mrn|dos)\b)")


def _patient_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """The capitalised words after the cue ("Jane Doe", "DOE, JANE", "Jane Q. Doe",
    "María de la Cruz", "J. Smith", "Ms. Linh Castellanos", "VAN DYKE, IMANI")."""
    kept = _name_words(text, m)
    if not _is_name(kept):
        return None
    cue = m.group("cue").lower().split()[0]
    explicit = bool(m.group("sep").strip(" \t\n,"))
    strong = cue in _STRONG
    # "Patient: DOE, JANE" as written; "PATIENT NOT FOUND", "PT REQUESTS FEMALE TECH" only with
    # a known given name; an organisation is nobody's name.
    start, end = _span(m, kept)
    shouting = text[start:end].isupper() and "," not in text[start:end]
    following = text[m.start("v"):m.start("v") + 60].split("\n")[0]
    if _ORG.search(following):
        return None  # a billing vendor's "CLIENT: MILLBROOK MEDICAL PARTNERS", "Client: Millbrook Women's Health"
    if not strong or (not explicit and shouting):
        if not _known_given_name(text, m, kept):
            return None
    if cue in _SUBJECT_LIKE:
        if kept[-1].group(0).rstrip(".").lower() in _SUBJECT_WORDS or not _NAME_END.match(text, end):
            return None
        return 0.8, start, end
    return (0.9 if explicit or strong else 0.8), start, end


_CUES = (r"patient|pt\.?|client|student|resident|paciente|claimant|(?:full\s+)?name|member|insured|my\s+name\s+is"
         r"|(?:her|his)\s+name\s+is|my\s+(?:son|daughter|child|baby|husband|wife|mother|father|mom|dad)"
         r"|our\s+client|represents|re(?=:)|regarding|refill\s+for|referral\s+for|referral(?=:)"
         r"|records\s+(?:request\s+)?for|(?:phone\s+)?msg(?=:)|message\s+for")
PATIENT_NAME = Detector(
    "patient_name",
    # Three shapes, each selective (a prefilter hit on every "for" or "re" would cost a third
    # of the Hyperscan pass): labels, "Re:", and the phrases that name someone.
    r"\b(?i:patient|pt|client|student|resident|paciente|claimant|name|member|insured)\.?(?:'s)?"
    r"(?:[\s_]+(?i:name|on\s+waitlist|on\s+the\s+waitlist|is)|\s*/\s*[A-Za-z]{1,12}(?:\s[A-Za-z]{1,12})?)?"
    r"(?:\s*(?:[:\-=]|\.{2,}:?)\s*|,?\s+)(?:(?i:mr|mrs|ms|miss|mx)\.?\s+)?(?:[A-Z]|(?i:de|del|la|van|von|st)\s)"
    r"|\b(?i:re):\s*[A-Z]"
    r"|\b(?i:regarding|represents|refill\s+for|referral\s+for|records\s+(?:request\s+)?for|referral:|msg:"
    r"|message\s+for|my\s+(?:son|daughter|child|baby|husband|wife|mother|father|mom|dad))\s*,?\s*[A-Z]",
    # The leading class lets re skip most positions of a window at once (a third of the time).
    re.compile(rf"(?=[pPcCsSrRfFnNmMiIhHoO])(?:(?i:\b(?P<cue>{_CUES}))(?i:'s)?"
               rf"(?:[ \t_]+(?i:name|on[ \t]+(?:the[ \t]+)?waitlist)"
               r"|[ \t]*/[ \t]*[a-z]{1,12}(?:[ \t][a-z]{1,12})?(?=[ \t]*:))?"  # "Patient / injured worker:"
               r"(?P<sep>[ \t]*(?:[:\-=]|\.{2,}:?)[ \t]*(?:\n[ \t]*)?|,?[ \t]+))" + _TITLE + "?" + _NAME),
    _patient_name, before=45, after=70, group="v",
)


def _after_dash(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """A subject's "HH referral - Kenji Sørensen", "Rx clarification - Kenji Halvorsen": a known
    given name, and the name ends the line."""
    kept = _name_words(text, m)
    if not _is_name(kept) or len(kept[0].group(0).rstrip(".")) == 1 or not _known_given_name(text, m, kept):
        return None
    start, end = _span(m, kept)
    line_end = text.find("\n", end)
    if text[end:line_end if line_end >= 0 else len(text)].strip():
        return None
    before = text[text.rfind("\n", 0, m.start()) + 1:m.start()]  # a subject's few words, not an agenda's "(10 min)"
    if len(before) > 40 or _NOT_SUBJECT.search(before):
        return None
    return 0.75, start, end


_NOT_SUBJECT = re.compile(r"[\d()\[\]:;]")


# The person whose birth date follows the name is the patient: "Maria Lopez (DOB 3/4/1961)",
# "It's Raúl Łukasik, born on March 1, 1989", "for Kenji Smith-Whitaker.\nDOB 11/19/1971".
_CAPITALISED = r"[^\W\d_a-z][^\W\d_'’-]*(?:['’-][^\W\d_]+)?"
_NAME_START = r"(?=[A-Z\u00C0-\u024F\u1E00-\u1EFFvdlsbae])"  # a capital, or a surname particle: lets re skip ahead


def _before_birth(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    words = list(_WORD.finditer(text, m.start("v"), m.end("v")))
    names = first_names()
    for i, word in enumerate(words):  # from the first known given name ("It's Raúl …" → "Raúl …")
        if word.group(0).rstrip(".").casefold() in names:
            rest = [w for w in words[i:] if w.group(0).rstrip(".").lower() not in _NOT_NAMES]
            if len(rest) >= 2 and len(rest) == len(words) - i:
                return 0.8, word.start(), words[-1].end() - words[-1].group(0).endswith(".")
            return None
    return None


PATIENT_BEFORE_BIRTH = Detector(
    "patient_name", r"\bborn\b|\b(?i:dob|d\.o\.b|date\s+of\s+birth|mrn)\b",  # the cue; the name is looked for before it
    re.compile(rf"{_NAME_START}(?<![\w'’.-])(?P<v>(?:{_SURNAME_PREFIX}{{0,2}}{_CAPITALISED}\.?[ \t]+){{1,3}}{_SURNAME_PREFIX}{{0,2}}{_CAPITALISED})"
               r"(?=[ \t]*(?:[.,]?[ \t]*\n[ \t]*|,[ \t]*|[ \t]*\(|[ \t]+-[ \t]+)?(?:born\b|(?i:dob|d\.o\.b|date\s+of\s+birth|mrn)\b))"),
    _before_birth, before=80, after=0, group="v",
)


# A patient list writes the birth date right after the name: "O'Rourke, Declan (12/18/1967) -
# L shin", "- Adeyemi, Ama 5/24/1955  INR 4.0", "8:00  Ruiz, Beatriz  7/30/1992  Dating". Both
# are found: the name (a known given name) and the date (a year or more ago: not today's visit).
_DATED = re.compile(
    rf"{_NAME_START}(?<![\w'’.-])(?P<name>{_SURNAME_PREFIX}{{0,2}}{_CAPITALISED},[ \t]+{_CAPITALISED}(?:[ \t]+{_CAPITALISED})?"
    rf"|(?:{_CAPITALISED}[ \t]+){{1,2}}{_SURNAME_PREFIX}{{0,2}}{_CAPITALISED})"
    r"(?:[ \t]*\(|,[ \t]+|[ \t]{1,4})(?P<v>(?P<m1>\d{1,2})/(?P<d1>\d{1,2})/(?P<y1>\d{4}))(?![\d/])")


def _dated(text: str, m: re.Match[str]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(name span, date span) when the words are a name and the date could be a birth date."""
    words = list(_WORD.finditer(text, m.start("name"), m.end("name")))
    if not words or any(w.group(0).rstrip(".").lower() in _NOT_NAMES for w in words):
        return None
    if _after_title(text, m.start()):
        return None  # a clinician, or a greeting
    given = _given_word(text, words, m.start("name"), m.end("name"))
    if given is None or given.group(0).rstrip(".").casefold() not in first_names():
        return None
    try:
        born = date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
    except ValueError:
        return None
    today = _today()
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


# A subject line names the patient more often than not: "Carbo dose check - Layla Khoury - C3D1",
# "Final results: PARK, WEI", "Mohs referral Abernathy, Dennis". Only in a text that is one short
# line (the Subject) or a quoted "Subject:" line; a known given name (or a LAST, FIRST in
# capitals); not "Dr. …", not "…, MD".
_SUBJECT_LINE = r"^[^\n]{1,200}$|(?i:subject:)[^\n]{1,200}"  # the whole text one short line, or a quoted one
_SUBJECT_NAME = re.compile(
    rf"{_NAME_START}(?<![\w'’.-])(?P<v>{_SURNAME_PREFIX}{{0,2}}{_CAPITALISED},[ \t]+{_CAPITALISED}(?:[ \t]+{_CAPITALISED})?"
    rf"|{_CAPITALISED}(?:[ \t]+[A-Z]\.)?(?:[ \t]+{_SURNAME_PREFIX}{{0,2}}{_CAPITALISED}){{1,2}})")
_NOT_IN_SUBJECT = _NOT_NAMES | _SUBJECT_WORDS
_CLINICIAN_AFTER = re.compile(r",?[ \t]*(?:MD|DO|RN|NP|PA|PA-C|DDS|DMD|PhD|CPC|FACC|FACOG)\b")


def _given_known(word: str) -> bool:
    word = word.rstrip(".").casefold()
    return word in first_names() or word.split("-")[0] in first_names()


def _subject_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    line_start = text.rfind("\n", 0, m.start()) + 1
    line_end = text.find("\n", m.end())
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    if not ((line_start == 0 and line_end < 0 and len(text) <= 200)
            or re.match(r"[ \t>]*(?i:subject):", line)):
        return None
    words = list(_WORD.finditer(text, m.start("v"), m.end("v")))
    if any(w.group(0).rstrip(".").lower() in _NOT_IN_SUBJECT for w in words):
        return None
    value = text[m.start("v"):m.end("v")]
    while len(words) > 2 and words[-1].group(0).isupper() and not value.isupper():
        words.pop()  # "William Ashworth OD" → "William Ashworth"
    if _after_title(text, m.start()):
        return None
    end = words[-1].end()
    if _CLINICIAN_AFTER.match(text, end):
        return None
    if text.find(",", m.start("v"), end) >= 0:
        given = _given_word(text, words, m.start("v"), end)
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


PATIENT_AFTER_DASH = Detector(
    "patient_name", r"\s-\s+[A-Z][a-z]+,?\s+(?:[A-Z]|(?i:de|del|la|van|von|st)\s)",
    re.compile(r"[ \t]-[ \t]+" + _NAME), _after_dash, before=25, after=70, group="v",
)


# Priority when two findings of different types overlap: the more specific one stays.
DETECTORS: tuple[Detector, ...] = (
    SSN_LABELLED, SSN_FORMATTED, CREDIT_CARD, MBI, DEA, ABA, NDC, DOB, DRIVERS_LICENSE, MRN, MEMBER_ID,
    NPI, ICD10, ICD10_LISTED, CPT, CPT_DESCRIBED, CPT_IN_PROSE, PHONE, PHONE_LABELLED, EMAIL, US_ADDRESS, PO_BOX, PATIENT_NAME,
    PATIENT_AFTER_DASH, PATIENT_BEFORE_BIRTH, NAME_BEFORE_DATE, DOB_AFTER_NAME, SUBJECT_NAME,
)
TYPES: tuple[str, ...] = tuple(dict.fromkeys(d.type for d in DETECTORS))
