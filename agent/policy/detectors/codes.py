"""Clinical codes: ICD-10 diagnoses and CPT procedures, only in clinical context; NDC, labelled."""

from __future__ import annotations

import re
import threading

from agent.policy.detectors.base import Detector, labels_except, other_label_nearer
from agent.policy.detectors.states import STATES

# --- NDC: labelled, the three dashed 10-digit layouts and the 11-digit billing one -----------
NDC = Detector(
    "ndc",
    r"\bndc",
    re.compile(
        r"(?i)\bndc\b[^\d\n]{0,20}(?<![\d-])(?P<v>\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2}|\d{11})(?![\d-])"
    ),
    lambda text, m: 0.97,
    before=5,
    after=40,
    caseless=True,
    group="v",
)


# --- Diagnosis and procedure codes: only in clinical context -----------------------------------
_ICD_WORDS = (
    r"\b(?:diagnos[ie]s|dx|icd(?:-?10)?(?:-cm)?|assessment|impression|problem\s+list|codes?|hx\s+of|history\s+of"
    r"|condition|reason\s+for\s+(?:referral|visit|consult)|referr(?:al|ed)\s+for)"
)
_ICD_CODE = re.compile(r"(?<![A-Za-z0-9.\-/])[A-TV-Z]\d[0-9AB](?:\.[0-9A-Z]{1,4})?(?![A-Za-z0-9]|\.\d|-\d)")
# Part, model and version numbers are not diagnoses, whatever clinical words are near.
_ICD_NOT = re.compile(
    r"(?i)\b(?:model|part|p/n|pn|sku|item|serial|s/n|version|ver|v|rev|ref|lot|room|rm|flight"
    r"|gate|seat|section|sec|form|order|invoice|catalog|cat|firmware|build|unit|suite|bldg|apt|bin|shelf|slot"
    r"|rack|aisle|bay|port|location|locker|cabinet|drawer|box|tray)"
    r"\W{0,3}(?:no\.?|#|number)?\W{0,3}$"
)


def _icd(text: str, m: re.Match[str]) -> float | None:
    if _ICD_NOT.search(text, max(0, m.start() - 20), m.start()):
        return None
    return 0.9 if m.group(0)[1:3] != "00" or "." in m.group(0) else 0.8


# The prefilter wants a context word and a code-shaped token on one line (or the code at the
# start of the next), in either order,
# so prose full of "history of" and "condition" costs nothing until a code is near.
ICD10 = Detector(
    "icd10",
    rf"(?i:{_ICD_WORDS})[^\n]{{0,100}}(?:\n[^\n]{{0,20}})?[A-TV-Z]\d[0-9AB]|[A-TV-Z]\d[0-9AB][^\n]{{0,60}}(?i:{_ICD_WORDS})",
    _ICD_CODE,
    _icd,
    before=170,
    after=160,
)
# A dotted code ("M54.50", "E11.65") is distinctive enough to stand a few lines from its
# clinical words: a problem list, a referral letter, a claim. An undotted one ("I10") counts
# only next to a dotted one in a list ("N18.30 / I10", "J06.9, I10").
_ICD_DOTTED = r"[A-TV-Z]\d[0-9AB]\.[0-9A-Z]{1,4}"
_CLINICAL_WORDS = (
    "diagn dx icd assessment impression problem condition disorder disease syndrome pain chronic"
    " acute unspecified hx history referr claim cpt encounter symptom principal secondary admit"
    " discharge deficiency injury diabet hypertens infection fracture result urinalysis treat"
    " coding coded"
).split()


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
    if "." not in m.group(0) and not (
        _ICD_NEIGHBOUR.search(text, max(0, start - 16), start) or _ICD_NEIGHBOUR_AFTER.match(text, end)
    ):
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
            piece = text[first : first + _BLOCK + 16]
            found = _ICD_CLINICAL.finditer(piece.lower()) if piece.isascii() else _ICD_CLINICAL_ANY.finditer(piece)
            starts = blocks[block] = [first + w.start() for w in found if w.start() < _BLOCK]
        if any(lo <= at < hi for at in starts):
            return True
    return False


ICD10_LISTED = Detector("icd10", _ICD_DOTTED, _ICD_CODE, _icd_listed, before=30, after=30)
_CPT_CODE = re.compile(r"(?<![\w.\-/$#])\d{4}[0-9FT](?![\d.,/]\d|\w|-\d{2,})")
_ZIP_BEFORE = re.compile(
    rf"(?:\b(?:{'|'.join(STATES)})|\b(?i:zip|po|order|claim|invoice|room|suite|ste|ext|acct|account|#))[ \t.:#]*$"
)


def _cpt(text: str, m: re.Match[str]) -> float | None:
    return None if _ZIP_BEFORE.search(text, max(0, m.start() - 12), m.start()) else 0.9


# A code written into clinical prose, as clinicians do: "(95810)", "96413 + 96415 x2", "should go
# out as 93306 or 93308", "billed 99214" — the shape of a code list, and clinical words near.
_CPT_LISTED_SHAPE = re.compile(
    r"\(\d{5}(?:[ ,/+]|\))|\d{5}[ \t]*x[ \t]*\d\b"
    r"|\d{5}(?:[ \t]*x[ \t]*\d+)?\)?[ \t]*(?:\+|/|or|and|,)[ \t]*(?:likely[ \t]+)?\d{5}|(?i:\b(?:bill(?:ed|ing)?|charge[ds]?|code[ds]?|as|be|go\s+out\s+as)[ \t]+(?:will\s+be[ \t]+)?)\d{5}"
    r"|(?i:\b(?:shave|punch|excision|biopsy|mohs|destruction|repair|injection)[ \t]+(?:\d+[ \t]*mm[ \t]+)?)\d{5}"
    # a table cell labelled "Code: 99393"; a test or visit and its code: "CBC 85025", "lipid panel
    # 80061", "A1c (83036)"; a superbill row, the code and then its description
    r"|(?i:\b(?:codes?|c[oó]digos?)[ \t]*[:#]?[ \t]*)\d{5}"
    r"|(?i:\b(?:cbc|cmp|bmp|a1c|hba1c|tsh|psa|ua|urinalysis|lipid[ \t]+panel|panel|culture|strep|x-?ray|ecg|ekg"
    r"|echo|spirometry|vaccine|visit|screen(?:ing)?|exam|test)[ \t]*[(:-]?[ \t]*)\d{5}"
    r"|(?m:^[ \t]*)\d{5}(?:\t|[ \t]{2,})[A-Za-z]|(?m:[A-Za-z#\d][ \t]{3,}\d{5}[ \t]*$)"
)
# A claim line: the date of service, then the code ("DOS 07/11/2026   94010"). The date of service
# is billing context enough.
_AFTER_SERVICE_DATE = re.compile(
    r"(?i:\b(?:dos|date[ \t]+of[ \t]+service|fecha[ \t]+de[ \t]+servicio)\b)[ \t:]*\d{1,2}/\d{1,2}/\d{2,4}[ \t]+$"
)
_PROCEDURE_WORDS = (
    _CLINICAL_WORDS
    + (
        "procedure billing billed charge study exam visit injection test panel screen"
        " biopsy shave punch ultrasound echo ecg mri x-ray infusion therap titration"
        " vaccin immuniz imaging scan lab photograph sonogram transvaginal pelvic"
        " anatomy a1c hba1c lipid cbc cmp bmp tsh psa superbill shot dose"
    ).split()
)
_PROCEDURE = re.compile(rf"(?i)\b(?:{_grouped(_PROCEDURE_WORDS)})")


def _cpt_in_prose(text: str, m: re.Match[str]) -> float | None:
    start, end = m.start(), m.end()
    if not text[start:end].isdigit() or _cpt(text, m) is None:  # not a ZIP, a PO or an order number
        return None
    if "/" in text[max(0, start - 8) : start] and _AFTER_SERVICE_DATE.search(text, max(0, start - 40), start):
        return 0.85
    if not (_CPT_LISTED_SHAPE.search(text, max(0, start - 20), min(len(text), end + 8))):
        return None
    return 0.8 if _PROCEDURE.search(text, max(0, start - 200), min(len(text), end + 100)) else None


CPT = Detector(
    "cpt",
    r"\b(?:cpt|hcpcs|procedure\s+codes?|procedures?(?:/orders)?(?:\s+today)?\s*:|orders\s+today|billing\s+codes?"
    r"|billed|billing\s*:|bill\s+codes?|(?:pt|ot)?\s*evaluation\s*:|admin(?:istration)?\s+code)",
    _CPT_CODE,
    _cpt,
    before=40,
    after=120,
    caseless=True,
)
# A code followed by what it is ("97110 therapeutic exercise", "90471 immunization admin"):
# the description is the context. Only a few procedure words: a ZIP code is followed by none.
CPT_DESCRIBED = Detector(
    "cpt",
    r"\b\d{4}[0-9FT][ \t]+(?:-[ \t]+)?(?:therapeutic|manual\s+therapy|gait\s+training|neuromuscular"
    r"|(?:pt|ot|slp)\s+(?:evaluation|re-?eval)|office(?:/outpatient)?\s+visit|immunization\s+admin)",
    re.compile(r"(?<![\w.\-/$#])\d{4}[0-9FT](?=[ \t]+(?:-[ \t]+)?[a-z])"),
    lambda text, m: 0.85,
    before=60,
    after=0,
    caseless=True,
)
CPT_IN_PROSE = Detector(  # the shape is checked by the validator: a prefilter of words costs the whole pass
    "cpt", r"\d{5}", _CPT_CODE, _cpt_in_prose, before=45, after=30
)


# --- Format variants: a dotless ICD-10 code, an 11-digit NDC without dashes --------------------
# Claims and exports drop the dot ("E119", "J4520", "Z00129"). Without it the code looks like a
# part or room number, so it counts only right after a diagnosis label, or in a list of codes
# that follows one ("Dx: E119, I10"): nothing but codes and separators between.
_DX_LABEL = re.compile(
    r"(?i:\b(?:icd(?:-?10)?(?:-cm)?(?:[ \t]+codes?)?|dx|diagnos[ie]s(?:[ \t]+codes?)?|diagn[oó]stico|diag))"
    r"\)?[ \t]*[:#=]?[ \t]*(?:[A-TV-Z]\d[0-9AB](?:\.?[0-9A-Z]{1,4})?[ \t]*(?:[,;/&+]|and|or|y)[ \t]*)*$"
)


def _icd_dotless(text: str, m: re.Match[str]) -> float | None:
    if _icd(text, m) is None:
        return None
    return 0.85 if _DX_LABEL.search(text, max(0, m.start() - 60), m.start()) else None


ICD10_DOTLESS = Detector(
    "icd10",
    r"\b[A-TV-Z]\d[0-9AB][0-9A-Z]{1,4}\b",  # the shape alone: rare in prose; the label is the validator's
    re.compile(r"(?<![A-Za-z0-9.\-/])[A-TV-Z]\d[0-9AB][0-9A-Z]{1,4}(?![A-Za-z0-9]|-\d|\.\d)"),
    _icd_dotless,
    before=8,
    after=1,
)
# Eleven digits (the 5-4-2 billing form, dashes dropped) next to a drug: a dose, a form, a refill.
_DRUG_WORDS = re.compile(
    r"(?i)\b(?:mg|mcg|ml|tabs?|tablets?|caps?|capsules?|inhaler|hfa|vials?|pens?|units|solution|suspension"
    r"|cream|ointment|injection|injectable|dispensed?|qty|quantity|refills?|rx|medication|drug|sig"
    r"|ndc|formulary|pharmacy|vaccine|lot)\b"
)
_NOT_NDC_LABELS = labels_except()
_NDC_WORD = re.compile(r"(?i)\bndc\b")
_PHONE_WITH_1 = re.compile(r"1[2-9]\d{2}[2-9]\d{6}")


def _ndc_bare(text: str, m: re.Match[str]) -> float | None:
    start, end = m.start(), m.end()
    if other_label_nearer(text, start, end, _NDC_WORD, _NOT_NDC_LABELS):
        return None  # "order 00093505601", "fax 15055551234"
    if _PHONE_WITH_1.fullmatch(m.group(0)) and not _NDC_WORD.search(text, max(0, start - 30), start):
        return None  # "call me at 15055551234 about the refill": a phone number dialled with its 1
    return 0.8 if _DRUG_WORDS.search(text, max(0, start - 60), min(len(text), end + 40)) else None


NDC_BARE = Detector(
    "ndc", r"\d{11}", re.compile(r"(?<![\d\-+.$#/])\d{11}(?![\d\-]|\.\d)"), _ndc_bare, before=12, after=1
)
