"""Identifiers known by their label: medical record, member (plan) and driver's licence numbers.

The value's shape is loose (letters, digits, dashes), so the label before it is what says what
it is; a licence also needs the state that issued it named next to it.
"""

from __future__ import annotations

import re

from agent.policy.detectors.base import LABELS, Detector, labels_except, other_label_nearer
from agent.policy.detectors.payers import PAYER, PAYER_WORD
from agent.policy.detectors.states import STATE

# --- Label-anchored record and plan identifiers ------------------------------------------------
_SEPARATOR = r"(?:[:#=]|\.{2,}:?)"  # "MRN: …", "MRN# …", "MRN=…", "MRN........ …"
_PHONE_SHAPED = re.compile(r"[2-9]\d{2}-[2-9]\d{2}-\d{4}")
_ID_VALUE = r"(?P<v>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,19}[A-Z0-9])(?![A-Za-z0-9-])"
# English and Spanish: "MRN", "chart no.", "medical record no.", "Expediente", "No. de historia
# clínica". A label in two languages is one label: "Chart number / Número de expediente: …".
_MRN_LABEL = (
    r"mrn|mr\s*(?:#|no\b\.?)|med(?:ical)?\.?\s+rec(?:ord)?s?\.?(?:\s+(?:number|no\.?|#))?"
    r"|chart\s*(?:number|no\.?|#|:|id\b)|(?:patient|pt\.?)\s*(?:id\b|#|number\b|no\b\.?)"
    r"|hrn|(?:ehr|emr|record|hospital)\s*(?:id\b|#|number\b|no\b\.?)"
    r"|(?:(?:n[uú]mero|no\.?|n\.?\s?[º°o]\.?)\s+de\s+)?(?:expediente(?:\s+(?:m[eé]dico|cl[ií]nico))?"
    r"|historia\s+cl[ií]nica)"
)
_BILINGUAL = r"(?:[ \t]*/[ \t]*[^\n/:\d]{2,40}?(?=[ \t]*[:#]))?"  # " / No. de historia clínica"
MRN = Detector(
    "mrn",
    r"\b(?:mrn|mr\s*(?:#|no\b)|med(?:ical)?\.?\s+rec(?:ord)?s?|chart\s*(?:number|no\b|#|:)"
    r"|(?:patient|pt\.?)\s*(?:id\b|#|number|no\b)|expediente|historia\s+cl.nica|chart\s*id\b|hrn\b"
    r"|(?:ehr|emr|record|hospital)\s*(?:id\b|#|number|no\b))",  # "Mr. Nowak", "patient notes" are not labels
    re.compile(
        rf"(?i:\b(?:{_MRN_LABEL}))\s*(?:#|:|no\.?|number)?{_BILINGUAL}(?:\s+for\s+(?:him|her|them|the\s+patient|this\s+patient))?"
        rf"(?:\s+(?:is|was|es))?\s*{_SEPARATOR}?\s*" + _ID_VALUE
    ),
    # "pt # 380-751-2746" in a nurse's note is the patient's phone, not a record number
    lambda text, m: None if _PHONE_SHAPED.fullmatch(m.group("v")) else 0.95,
    before=20,
    after=70,
    caseless=True,
    group="v",
)
# A patient list writes the record number in parentheses between the name and the birth date:
# "- Svetlana Martínez (DW1663051), DOB 5/11/98". Letters and at least five digits, no spaces.
MRN_BEFORE_BIRTH = Detector(
    "mrn",
    r"\([A-Z]{0,4}-?\d{5,12}\)[ \t]*,?[ \t]*(?i:dob|d\.o\.b|born|date\s+of\s+birth)",
    re.compile(r"\((?P<v>[A-Z]{0,4}-?\d{5,12})\)[ \t]*,?[ \t]*(?i:dob|d\.o\.b|born|date\s+of\s+birth)"),
    lambda text, m: 0.85,
    before=40,
    after=0,
    group="v",
)
# A group number names the employer's plan, shared by everyone in it: not a member's identifier.
_MEMBER = (
    r"mem(?:ber|ebr|ber'?s)|subscriber|policy(?:holder)?|insurance|ins\.?|medicaid|plan|enrollee|recipient"
    r"|beneficiary|cardholder|insured(?:'s)?"
)
MEMBER_ID = Detector(
    "member_id",
    r"\b(?:mem(?:ber|ebr)|subscriber|policy|insurance|ins|medicaid|plan|enrollee|recipient|beneficiary|cardholder"
    r"|insured)\S{0,2}\s*(?:id|#|number|no)"
    r"|\b(?:n.mero|no\.?|n\.?\s?.)\s+de\s+(?:miembro|afiliad|p.liza|asegurad|beneficiari)|\bid\s+de\s+(?:miembro|afiliad)",
    re.compile(
        rf"(?i:\b(?:(?:{_MEMBER})\s*(?:id(?:entification)?|#|number|no\.?)(?:\s*(?:number|no\.?|#))?"
        r"|(?:n[uú]mero|no\.?|n\.?\s?º)\s+de\s+(?:miembro|afiliad[oa]|p[oó]liza|asegurad[oa]|beneficiari[oa])"
        r"|id\s+de\s+(?:miembro|afiliad[oa]))"
        r"(?:\s*\([^()\n]{1,40}\)|[ \t]*/[ \t]*[A-Za-z]{2,12})?"
        r"(?:\s+on\s+(?:his|her|my|the|their|your|our)\s+(?:insurance\s+)?card)?(?:\s+(?:is|was|es))?)\s*"
        + _SEPARATOR
        + r"?\s*"
        + _ID_VALUE
    ),
    lambda text, m: 0.9,
    before=30,
    after=90,
    caseless=True,
    group="v",
)


# A plan's own name as the label: "Aetna ID W489200403", "BCBSNM member # NMX712472050", "TRICARE
# DBN: 52131661833", "DoD benefits number is …", and the plan named a few words before the
# number: "Dolores's Molina is active -- front desk flagged it. Number on file 834275507".
# When another kind of label is nearer ("Aetna claim # 4471123"), the number is that kind.
_PAYER_LABEL = (
    r"(?i:(?:(?:member|subscriber|enrollee|beneficiary|benefits?|recipient|insurance|card)[ \t]+)?"
    r"(?:id(?:entification)?\b|#|number\b|no\b\.?|dbn\b))"
)
_MEMBER_WORDS = "|".join(word.replace("-", r"\s+") for word in LABELS["member_id"].split())
_MEMBER_OWN = re.compile(rf"(?i)\b(?:{_MEMBER_WORDS})\b|\b{PAYER}\b")
_NOT_MEMBER_LABELS = labels_except("member_id")


def _payer_member(text: str, m: re.Match[str]) -> float | None:
    if _PHONE_SHAPED.fullmatch(m.group("v")):
        return None
    if other_label_nearer(text, m.start("v"), m.end("v"), _MEMBER_OWN, _NOT_MEMBER_LABELS, before=70):
        return None
    return 0.9 if m.group("gap") is None else 0.8


MEMBER_ID_PAYER = Detector(
    "member_id",
    PAYER_WORD,  # the label is looked for after it
    re.compile(
        rf"\b{PAYER}(?:'s)?(?P<gap>[ \t]+[^\n]{{1,60}}?)?[ \t]*\b{_PAYER_LABEL}"
        r"(?:[ \t]*(?i:number|no\.?|#))?(?:[ \t]*\([^()\n]{1,40}\))?(?:[ \t]+(?i:is|was|on[ \t]+file))*"
        r"[ \t]*[:#=]?[ \t]*" + _ID_VALUE
    ),
    _payer_member,
    before=90,
    after=130,
    group="v",
)


# --- Driver's licence: the number with a state named next to it --------------------------------
_STATE_AFTER = re.compile(
    rf"[ \t]{{0,3}}(?:\(|,[ \t]{{0,3}}(?i:(?:issued[ \t]+)?(?:state|in|by)[ \t]{{0,3}}:?[ \t]{{0,3}})?)"
    rf"(?:{STATE.pattern})"
)
_FULL_LABEL = re.compile(r"(?i:driver'?s[ \t]+licen[cs]e(?:[ \t]+(?:number|no\.?))?)[ \t]*:[ \t]*")
DRIVERS_LICENSE = Detector(
    # "DL" only in capitals: "dl" is a unit (mg/dL) a thousand times more often than a licence.
    "drivers_license",
    r"\b(?:(?i:driver'?s?\s+licen[cs]e|licen[cs]e\s*(?:no|number|#)|licencia\s+de\s+(?:conducir|manejo|manejar))|DL|D/L|DLN)\b",
    re.compile(
        r"(?i:\b(?:driver'?s?\s+licen[cs]e|dl|d/l|dln|licen[cs]e\s*(?:no\.?|number|#)"
        r"|licencia\s+de\s+(?:conducir|manejo|manejar)))"
        # "her Ohio driver's license at check-in, number 793446372", "licencia de conducir de Nuevo
        # México, número …": a few words (the state may be among them), then "number"
        r"(?:(?:[ \t]+[a-z][\w'-]*|[ \t]+(?:de|del|from|of)[ \t]+(?:[A-Z][\w'-]*[ \t]*){1,3}){0,5}?,?[ \t]+"
        r"(?=(?i:number|no\.|#|n[uú]mero)))?"
        r"(?:\s*(?:no\.?|number|#|n[uú]mero))?\s*(?:\((?:[A-Za-z]{2}|[A-Za-z ]{4,14})\))?\s*(?:is\s+)?[:#]?\s*"
        r"(?:[A-Z]{2}[ \t]+(?:(?i:dl|d/l|dln)[ \t]*#?[ \t]*)?)?"
        r"(?P<v>(?=(?:[A-Z-]*\d){3})[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9]|[A-Z]?[ \t]?\d{3}(?:[ \t]\d{3}){2,3}|WDL[A-Z0-9]{9})(?![A-Za-z0-9-])"
    ),
    # The state named before the number ("NY DL", "licence (NY)") or right after it ("(IL)", ", state CA"),
    # or the label written out in full ("Driver's license: …", as fields.py renders PID-20).
    lambda text, m: (
        0.93
        if (
            STATE.search(text, max(0, m.start() - 25), m.start("v"))
            or _STATE_AFTER.match(text, m.end("v"))
            or _FULL_LABEL.fullmatch(text, m.start(), m.start("v"))
        )
        else None
    ),
    before=30,
    after=60,
    group="v",
)
