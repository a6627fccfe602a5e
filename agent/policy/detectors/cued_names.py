"""Patient names after a cue: "Patient: Jane Doe", "Re: Osei, Hannah", "HH referral - Kenji Sørensen"."""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector
from agent.policy.detectors.name_words import (
    NAME,
    NOT_NAMES,
    PARTICLES,
    SUBJECT_WORDS,
    TITLE,
    is_name,
    known_given_name,
    name_words,
    span,
)

# Cues, and how sure each makes us. Strong: the text says this is the patient (or the client,
# the student, the resident); the name is taken as written. Weak: "Name:", "Member:", "my son",
# "my name is", "Re:": taken only when the name begins with a known given name. Subject-like
# ("Re: …", "Refill for …", "HH referral - …"): the name must also end its line (or meet a
# bracket, a comma or a dash), so "Re: Summer Schedule Change" is not a patient.
_STRONG = {"patient", "pt", "pt.", "client", "student", "resident", "paciente", "claimant"}
_ORG = re.compile(
    r"(?i)\b(?:medical|health|healthcare|partners|clinic|clinics|group|center|centre|associates|llc|inc"
    r"|hospital|practice|pharmacy|laboratory|labs|services|corp|company|university|school)\b"
)
_SUBJECT_LIKE = ("re", "regarding", "refill", "referral", "records", "msg", "message", "phone")
_NAME_END = re.compile(r"[ \t]*(?:$|\n|[-(),;:]|\s+(?i:dob|d\.o\.b|mrn|dos)\b)")


def _patient_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """The capitalised words after the cue ("Jane Doe", "DOE, JANE", "Jane Q. Doe",
    "María de la Cruz", "J. Smith", "Ms. Linh Castellanos", "VAN DYKE, IMANI")."""
    kept = name_words(text, m)
    if not is_name(kept):
        return None
    cue = m.group("cue").lower().split()[0]
    explicit = bool(m.group("sep").strip(" \t\n,"))
    strong = cue in _STRONG
    # "Patient: DOE, JANE" as written; "PATIENT NOT FOUND", "PT REQUESTS FEMALE TECH" only with
    # a known given name; an organisation is nobody's name.
    start, end = span(m, kept)
    shouting = text[start:end].isupper() and "," not in text[start:end]
    following = text[m.start("v") : m.start("v") + 60].split("\n")[0]
    if _ORG.search(following):
        return None  # a billing vendor's "CLIENT: MILLBROOK MEDICAL PARTNERS", "Client: Millbrook Women's Health"
    if not strong or (not explicit and shouting):
        if not known_given_name(text, m, kept):
            return None
    if cue in _SUBJECT_LIKE:
        if kept[-1].group(0).rstrip(".").lower() in SUBJECT_WORDS or not _NAME_END.match(text, end):
            return None
        return 0.8, start, end
    return (0.9 if explicit or strong else 0.8), start, end


_CUES = (
    r"patient|pt\.?|client|student|resident|paciente|claimant|(?:full\s+)?name|member|insured|my\s+name\s+is"
    r"|(?:her|his)\s+name\s+is|my\s+(?:son|daughter|child|baby|husband|wife|mother|father|mom|dad)"
    r"|our\s+client|represents|re(?=:)|regarding|refill\s+for|referral\s+for|referral(?=:)"
    r"|records\s+(?:request\s+)?for|(?:phone\s+)?msg(?=:)|message\s+for"
)
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
    re.compile(
        rf"(?=[pPcCsSrRfFnNmMiIhHoO])(?:(?i:\b(?P<cue>{_CUES}))(?i:'s)?"
        rf"(?:[ \t_]+(?i:name|on[ \t]+(?:the[ \t]+)?waitlist)"
        r"|[ \t]*/[ \t]*[a-z]{1,12}(?:[ \t][a-z]{1,12})?(?=[ \t]*:))?"  # "Patient / injured worker:"
        r"(?P<sep>[ \t]*(?:[:\-=]|\.{2,}:?)[ \t]*(?:\n[ \t]*)?|,?[ \t]+))" + TITLE + "?" + NAME
    ),
    _patient_name,
    before=45,
    after=70,
    group="v",
)


def _after_dash(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """A subject's "HH referral - Kenji Sørensen", "Rx clarification - Kenji Halvorsen": a known
    given name, and the name ends the line."""
    kept = name_words(text, m)
    if not is_name(kept) or len(kept[0].group(0).rstrip(".")) == 1 or not known_given_name(text, m, kept):
        return None
    start, end = span(m, kept)
    line_end = text.find("\n", end)
    if text[end : line_end if line_end >= 0 else len(text)].strip():
        return None
    before = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]  # a subject's few words, not an agenda's "(10 min)"
    if len(before) > 40 or _NOT_SUBJECT.search(before):
        return None
    return 0.75, start, end


_NOT_SUBJECT = re.compile(r"[\d()\[\]:;]")


PATIENT_AFTER_DASH = Detector(
    "patient_name",
    r"\s-\s+[A-Z][a-z]+,?\s+(?:[A-Z]|(?i:de|del|la|van|von|st)\s)",
    re.compile(r"[ \t]-[ \t]+" + NAME),
    _after_dash,
    before=25,
    after=70,
    group="v",
)


# --- A name that is the whole value of a name label --------------------------------------------
# "Patient name: O'BRIEN-SMITH, MARY ANN Q", "Family name: Castillo", "Guarantor name: DOE, JOHN":
# how fields.py renders HL7 and FHIR names, and how forms write them. The label says it is a
# name, so one word is enough; every word must still look like a name's.
_NAME_LABELS = (
    r"patient|family|given|first|last|middle|sur|maiden|mother'?s[ \t]+maiden|next[ \t]+of[ \t]+kin"
    r"|guarantor|spouse|insured|alias"
)
_NAME_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]*)*\.?")


_NAME_LABEL_BEFORE = re.compile(rf"(?i:\b(?:{_NAME_LABELS}))[ \t]*$")


def _labelled_name(text: str, m: re.Match[str]) -> float | None:
    if not _NAME_LABEL_BEFORE.search(text, max(0, m.start() - 30), m.start()):
        return None
    words = m.group("v").replace(",", " ").split()
    if not 1 <= len(words) <= 6 or len(words) == 1 and len(words[0].rstrip(".")) < 2:
        return None  # an initial alone ("Given name: R") names nobody
    for word in words:
        if not _NAME_TOKEN.fullmatch(word) or word.rstrip(".").lower() in NOT_NAMES:
            return None
        if not word[0].isupper() and word.rstrip(".") not in PARTICLES:
            return None
    return 0.9


NAME_LABELLED = Detector(
    "patient_name",
    # PATIENT_NAME's prefilter, which every such line meets ("name: C"): compiled once, its
    # hits shared, so this detector costs the prose scan nothing but its few windows.
    PATIENT_NAME.prefilter,
    # "name:" first (re skips to each n/N at once); the label before it is the validator's check.
    re.compile(r"(?=[nN])(?i:name)[ \t]*:[ \t]*(?P<v>[^\W\d_][^\n\d:;@()<>]{0,80}?)[ \t]*(?=\n|$)"),
    _labelled_name,
    before=40,
    after=90,
    group="v",
)
