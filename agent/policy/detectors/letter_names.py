"""A patient's first name where mail greets or signs: "Hi Marisol," in mail that speaks with a
patient, "Thanks,\nTom" and "…\n\nLatoya\n\nEl jue, … escribió:" closing a patient's reply, and a
name ending a subject ("Fwd: bill for Amadou", "… - Al-Masri"). Between colleagues a first name
greets staff, so these count only where the mail speaks with a patient (name_context)."""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector
from agent.policy.detectors.name_context import (
    EVERYDAY_GIVEN,
    NAME_WORD,
    ORG_WORDS,
    bare_word,
    known_given,
    known_surname,
    not_a_name_word,
    staff,
    with_patient,
    word_end,
)
from agent.policy.detectors.name_words import CAPITALISED, NOT_NAMES


def _greeted_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Hi Marisol," at the start of a line, in mail to or from a patient."""
    start, end = m.start("v"), m.end("v")
    if not known_given(m.group("v")) or bare_word(m.group("v")) in EVERYDAY_GIVEN or not with_patient(text):
        return None
    if bare_word(m.group("v")) in NOT_NAMES:
        return None
    return 0.6, start, end


GREETED_NAME = Detector(
    "patient_name",
    # At a line's start: "hi" inside "this" and "which" would cost a Hyperscan pass of its own.
    r"(?:^|\n)[ \t>]*(?i:hi|hello|dear|hey|good\s+morning|good\s+afternoon|hola|estimad[oa]|buenos\s+d[i?]as)"
    r"[ ]+[A-Z?][a-z?]+[ ]*[,!:\n]",
    re.compile(
        r"(?m)^[ \t>]*(?i:hi|hello|dear|hey|good[ \t]+morning|good[ \t]+afternoon|hola|estimad[oa]|"
        rf"buenos[ \t]+d[ií]as)[ \t]+(?P<v>{CAPITALISED})[ \t]*[,!:]?[ \t]*$"
    ),
    _greeted_name,
    before=40,
    after=20,
    group="v",
)


def _signed_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Thanks,\nTom" at the end of mail from a patient or a relative."""
    start, end = m.start("v"), m.end("v")
    words = m.group("v").split()
    if not known_given(words[0]) or (bare_word(words[0]) in EVERYDAY_GIVEN and len(words) == 1):
        return None
    if staff(text, start, end) or not with_patient(text):
        return None
    return 0.6, start, end


SIGNED_NAME = Detector(
    "patient_name",
    r"\b(?i:thanks|thank\s+you|thank\s+you\s+so\s+much|best|regards|best\s+regards|sincerely|cheers|gracias|"
    r"saludos|atentamente|respectfully|warmly|take\s+care)(?:[ ]+[A-Z?][a-z?]+)?[ ]*[,!.]?[ ]*\n[ >]*[A-Z?]",
    re.compile(
        r"(?i:thanks|thank[ \t]+you(?:[ \t]+so[ \t]+much)?|best|regards|best[ \t]+regards|sincerely|cheers|"
        rf"gracias|saludos|atentamente|respectfully|warmly|take[ \t]+care)(?:[ \t]+{CAPITALISED})?[ \t]*[,!.]?[ \t]*"
        rf"\n[ \t>]*(?P<v>{CAPITALISED}(?:[ \t]+{CAPITALISED}){{0,2}})[ \t]*(?=\n|$)"
    ),
    _signed_name,
    before=55,
    after=50,
    group="v",
)

# A name alone on its line closing a reply, before the quoted mail: "…vacunas.\n\nLatoya\n\nEl
# jue, 3 dic 2026 … escribió:", "…\n\nBrittany\n\nOn Mon, Nov 16 … wrote:".
_QUOTE_STARTS = re.compile(
    r"\n*[ \t]*(?:on[ \t]|el[ \t]|le[ \t]|am[ \t]|-{3,}|_{5,}|from:|de:|sent from|enviado desde|>)", re.IGNORECASE
)


def _closing_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    start, end = m.start("v"), m.end("v")
    words = m.group("v").split()
    if not known_given(words[0]) or bare_word(words[0]) in EVERYDAY_GIVEN or not_a_name_word(words[0]):
        return None
    rest = text[end:].lstrip(" \t")
    if rest and not _QUOTE_STARTS.match(rest):
        return None  # the text goes on: a heading, not a signature
    if staff(text, start, end) or not with_patient(text):
        return None
    return 0.6, start, end


CLOSING_NAME = Detector(
    "patient_name",
    r"[.!?)]\n\n[ >]*[A-Z?][a-z?]+(?:[ ][A-Z?][a-z?]+)?[ ]*\n",
    re.compile(rf"[.!?)]\n\n[ \t>]*(?P<v>{CAPITALISED}(?:[ ]+{CAPITALISED})?)[ \t]*(?=\n)"),
    _closing_name,
    before=40,
    after=5,
    group="v",
)


# --- a name ending a subject line -----------------------------------------------------------------
def _subject_end_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Fwd: bill for Amadou", "Reconsideration request - claim 2026 - Al-Masri", "PA request:
    semaglutide for Dmitri Zamora": only in a text that is one short line (a subject)."""
    if "\n" in text or len(text) > 200:
        return None
    if text.lstrip().casefold().startswith(("thanks", "thank you", "gracias")):
        return None  # "Thanks for Mary's help - Jolene": the writer signs
    words = m.group("v").split()
    if any(not_a_name_word(w) or bare_word(w) in ORG_WORDS for w in words):
        return None
    known = known_given(words[0]) or known_surname(words[-1])
    after_for = m.group(0).lstrip(" -").casefold().startswith(("for", "para"))  # "Fwd: bill for Amadou"
    if not (known or after_for) or (bare_word(words[0]) in EVERYDAY_GIVEN and not known_surname(words[-1])):
        return None
    return 0.6, m.start("v"), word_end(list(NAME_WORD.finditer(text, m.start("v"), m.end("v")))[-1])


SUBJECT_END_NAME = Detector(
    "patient_name",
    r"(?:[ ]-[ ]+|\b(?i:for|para|de)[ ]+)[A-Z?][A-Za-z?'-]+(?:[ ][A-Z?][A-Za-z?'-]+)?[ ]*$",
    re.compile(rf"(?:[ ]-[ ]+|\b(?i:for|para|de)[ ]+)(?P<v>{CAPITALISED}(?:[ ]+{CAPITALISED})?)[ \t]*$"),
    _subject_end_name,
    before=60,
    after=5,
    group="v",
)
