"""Identifiers known by their label: medical record, member (plan) and driver's licence numbers.

The value's shape is loose (letters, digits, dashes), so the label before it is what says what
it is; a licence also needs the state that issued it named next to it.
"""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector
from agent.policy.detectors.states import STATE

# --- Label-anchored record and plan identifiers ------------------------------------------------
_SEPARATOR = r"(?:[:#=]|\.{2,}:?)"  # "MRN: …", "MRN# …", "MRN=…", "MRN........ …"
_PHONE_SHAPED = re.compile(r"[2-9]\d{2}-[2-9]\d{2}-\d{4}")
_ID_VALUE = r"(?P<v>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,19}[A-Z0-9])(?![A-Za-z0-9-])"
_MRN_LABEL = (
    r"mrn|mr\s*(?:#|no\b\.?)|med(?:ical)?\.?\s+rec(?:ord)?s?\.?(?:\s+(?:number|no\.?|#))?"
    r"|chart\s*(?:number|no\.?|#)|(?:patient|pt\.?)\s*(?:id\b|#|number\b|no\b\.?)"
)
MRN = Detector(
    "mrn",
    r"\b(?:mrn|mr\s*(?:#|no\b)|med(?:ical)?\.?\s+rec(?:ord)?s?|chart\s*(?:number|no\b|#)"
    r"|(?:patient|pt\.?)\s*(?:id\b|#|number|no\b))",  # "Mr. Nowak", "patient notes" are not labels
    re.compile(rf"(?i:\b(?:{_MRN_LABEL}))\s*(?:#|:|no\.?|number)?\s*{_SEPARATOR}?\s*" + _ID_VALUE),
    # "pt # 380-751-2746" in a nurse's note is the patient's phone, not a record number
    lambda text, m: None if _PHONE_SHAPED.fullmatch(m.group("v")) else 0.95,
    before=20,
    after=45,
    caseless=True,
    group="v",
)
# A group number names the employer's plan, shared by everyone in it: not a member's identifier.
_MEMBER = r"mem(?:ber|ebr|ber'?s)|subscriber|policy(?:holder)?|insurance|medicaid|plan"
MEMBER_ID = Detector(
    "member_id",
    r"\b(?:mem(?:ber|ebr)|subscriber|policy|insurance|medicaid|plan)\S{0,2}\s*(?:id|#|number|no)"
    r"|\bn.mero\s+de\s+(?:miembro|afiliado|p.liza)",
    re.compile(
        rf"(?i:\b(?:(?:{_MEMBER})\s*(?:id(?:entification)?|#|number|no\.?)(?:\s*(?:number|no\.?|#))?"
        r"|n[uú]mero\s+de\s+(?:miembro|afiliado|p[oó]liza))"
        r"(?:\s*\([^()\n]{1,40}\)|[ \t]*/[ \t]*[A-Za-z]{2,12})?(?:\s+(?:is|was))?)\s*"
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


# --- Driver's licence: the number with a state named next to it --------------------------------
_STATE_AFTER = re.compile(
    rf"[ \t]{{0,3}}(?:\(|,[ \t]{{0,3}}(?i:(?:issued[ \t]+)?(?:state|in|by)[ \t]{{0,3}}:?[ \t]{{0,3}})?)"
    rf"(?:{STATE.pattern})"
)
_FULL_LABEL = re.compile(r"(?i:driver'?s[ \t]+licen[cs]e(?:[ \t]+(?:number|no\.?))?)[ \t]*:[ \t]*")
DRIVERS_LICENSE = Detector(
    # "DL" only in capitals: "dl" is a unit (mg/dL) a thousand times more often than a licence.
    "drivers_license",
    r"\b(?:(?i:driver'?s?\s+licen[cs]e|licen[cs]e\s*(?:no|number|#))|DL|D/L|DLN)\b",
    re.compile(
        r"(?i:\b(?:driver'?s?\s+licen[cs]e|dl|d/l|dln|licen[cs]e\s*(?:no\.?|number|#)))"
        r"(?:\s*(?:no\.?|number|#))?\s*(?:\((?:[A-Za-z]{2}|[A-Za-z ]{4,14})\))?\s*(?:is\s+)?[:#]?\s*"
        r"(?:[A-Z]{2}[ \t]+(?:(?i:dl|d/l|dln)[ \t]*#?[ \t]*)?)?"
        r"(?P<v>(?=(?:[A-Z-]*\d){3})[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9]|\d{3} \d{3} \d{3}|WDL[A-Z0-9]{9})(?![A-Za-z0-9-])"
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
    after=40,
    group="v",
)
