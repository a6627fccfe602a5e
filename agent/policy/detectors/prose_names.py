"""Names where no cue says "patient", found the way a reader finds them: in prose ("I saw
Dolores Whitfield today", "for Vikram Reddy"), after a title ("Mrs. Kowalczyk's sugars", "Sra.
Beltrán llamó"), after a family word ("his daughter Amara called"), last name first in a list's
rows ("Esposito, Giovanni"), and in a table's name cells ("Last Name: Zamora\tFirst Name:
Refugio"). What is and is not a name is name_context's; the detectors here say where to look.

No statistical model: spaCy's small English pipeline, measured on corpus e with the same title
rules, found 0.40 of the names at 0.40 precision, at a thousandth of the scanner's speed
(docs/benchmarks.md). Gating keeps the prose scan fast: the prefilter fires only on two
capitalised words in a row (about one hit per 3 KB of clinical prose), a title, a family word
or a name label.
"""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector
from agent.policy.detectors.name_context import (
    CLINICIAN_AFTER,
    EVERYDAY_GIVEN,
    FORM_WORDS,
    NAME_PARTICLES,
    NAME_WORD,
    ORG_WORDS,
    PARTICLE_WORDS,
    alone_on_line,
    bare_word,
    known_given,
    known_surname,
    not_a_name_word,
    organisation,
    place,
    staff,
    with_patient,
    word_end,
)
from agent.policy.detectors.name_words import CAPITALISED, NAME_START, NOT_NAMES, first_names, surnames
from agent.policy.detectors.states import STATE


# --- names in prose ---------------------------------------------------------------------------
def _prose_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """Capitalised words in a row: the name runs from the first known given name to the last
    name word ("Yesterday Maria Lopez called" → "Maria Lopez"). Cheap set lookups come first:
    most hits are headings and sentence starts, dropped before any regex runs."""
    given_names, known_surnames = first_names(), surnames()
    if not any(bare_word(part) in given_names or bare_word(part) in known_surnames for part in m.group("v").split()):
        return None  # a str.split first: most hits end here, before any match object is made
    words = list(NAME_WORD.finditer(text, m.start("v"), m.end("v")))
    bare = [bare_word(w.group(0)) for w in words]
    for i, b in enumerate(bare):
        if (b not in given_names and b.split("-", 1)[0] not in given_names) or b in NOT_NAMES or b in FORM_WORDS:
            continue
        if not words[i].group(0)[:1].isupper():
            continue
        last = i
        for k in range(i + 1, len(words)):
            if bare[k] in PARTICLE_WORDS:
                continue
            if not words[k].group(0)[:1].isupper() or not_a_name_word(words[k].group(0)):
                break
            last = k
        if last == i:
            continue  # "… for Vikram Reddy": "Reddy" alone is no name; an unknown given name may be
        start, end = words[i].start(), word_end(words[last])
        if b in EVERYDAY_GIVEN and not known_surname(words[last].group(0)):
            return None  # "Will Radiology", "Grace Period"
        if last - i > 3 or organisation(words[i : last + 1]) or staff(text, start, end) or place(text, end):
            return None
        if alone_on_line(text, start, end) and not with_patient(text):
            return None  # a signature, most likely staff's: a patient's only in mail with a patient
        return (0.75 if bare[last] in known_surnames else 0.6), start, end
    return _unknown_given(text, words, bare)


_SENTENCE_END = frozenset(".!?\n")


def _unknown_given(text: str, words: list[re.Match[str]], bare: list[str]) -> tuple[float, int, int] | None:
    """A given name not on our list before a surname that is ("for Vikram Reddy after"): taken
    inside a sentence or after a label, never as a sentence's first word ("Tell Young …")."""
    known_surnames = surnames()
    for k in range(1, len(words)):
        if bare[k] not in known_surnames or bare[k] in EVERYDAY_GIVEN or bare[k] in ORG_WORDS:
            continue
        first, last = words[k - 1], words[k]
        given, surname = first.group(0), last.group(0)
        if len(bare[k - 1]) < 3 or not given[:1].isupper() or given.isupper() != surname.isupper():
            continue  # "MRI Smith"
        if bare[k - 1] in EVERYDAY_GIVEN or bare[k - 1] in ORG_WORDS or not_a_name_word(given):
            continue
        if text[first.end() : last.start()].strip():
            continue  # a comma between
        before = text[max(0, first.start() - 3) : first.start()].rstrip(" \t")
        if not before or before[-1] in _SENTENCE_END:
            continue
        start, end = first.start(), word_end(last)
        if staff(text, start, end) or place(text, end):
            continue
        return 0.6, start, end
    return None


PROSE_NAME = Detector(
    "patient_name",
    # Two capitalised words in a row (a middle initial or a particle between); "?" stands for a
    # letter outside ASCII in the prefilter's view ("Héctor").
    r"\b[A-Z][a-z?]+[ ]+(?:[A-Z]\.?[ ]+)?(?:(?:de|del|la|los|van|von|der|da|di|du|dos|le|y)[ ]+){0,2}[A-Z?][a-z?]",
    re.compile(
        # spaces only: a tab is a table's next cell
        rf"{NAME_START}(?<![\w'’.-])(?P<v>{CAPITALISED}(?:[ ]+[A-Z]\.?)?(?:[ ]+{NAME_PARTICLES}{{0,2}}{CAPITALISED}){{1,3}})"
    ),
    _prose_name,
    before=45,  # the prefilter ends in the name's last word: its start is at most three words back
    after=40,
    group="v",
)


# --- last name first, in lists and tables -----------------------------------------------------
def _listed_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Esposito, Giovanni, DOB …", "Park, Hye-jin (3/19/1969)", "WASHINGTON, IMANI": a known
    surname or capitals, then a known given name."""
    last, given = m.group("last"), m.group("given")
    if not_a_name_word(last) or not_a_name_word(given) or not known_given(given) or last.endswith("ly"):
        return None  # "Separately, Emeka Park" is a sentence
    start, end = m.start("v"), m.end("v")
    row = not text[text.rfind("\n", 0, start) + 1 : start].strip(" \t>*-•0123456789.)")  # a list's row
    if not (known_surname(last) or (last.isupper() and given.isupper()) or row):
        return None
    if staff(text, start, end) or place(text, end) or {bare_word(last), bare_word(given)} & ORG_WORDS:
        return None
    if STATE.fullmatch(given) or STATE.fullmatch(last):
        return None  # "Austin, Texas"
    return 0.7, start, end


LISTED_NAME = Detector(
    "patient_name",
    r"\b[A-Z][A-Za-z?'-]+,[ ]*[A-Z][A-Za-z?]",
    re.compile(
        rf"{NAME_START}(?<![\w'’.-])(?P<v>(?:{NAME_PARTICLES}{{0,2}})(?P<last>{CAPITALISED}),[ \t]*(?P<given>{CAPITALISED})"
        rf"(?:[ ]+(?:[A-Z](?:\.|(?![\w'’]))|{CAPITALISED}(?=[ \t]*(?:$|\n|[,(;\t]|[ \t]-[ \t]))))?)"
    ),
    _listed_name,
    before=40,
    after=40,
    group="v",
)


# --- after a title or a family word -----------------------------------------------------------
def _titled_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Mrs. Kowalczyk's sugars", "Sra. Beltrán llamó", "Mr. Okafor": the name without its
    title; two words when a given name comes first ("Ms. Linh Castellanos")."""
    words = list(NAME_WORD.finditer(text, m.start("v"), m.end("v")))
    kept = []
    for w in words:
        if bare_word(w.group(0)) in PARTICLE_WORDS and kept:
            kept.append(w)
            continue
        if not w.group(0)[:1].isupper() or not_a_name_word(w.group(0)):
            break
        kept.append(w)
    while kept and bare_word(kept[-1].group(0)) in PARTICLE_WORDS:
        kept.pop()
    if not kept or len(kept) > 3:
        return None
    if len(kept) > 1 and not known_given(kept[0].group(0)):
        kept = kept[:1]  # "Mr. Okafor Tuesday": the surname
    start, end = kept[0].start(), word_end(kept[-1])
    if place(text, end) or CLINICIAN_AFTER.match(text, end):
        return None
    return 0.7, start, end


TITLED_NAME = Detector(
    "patient_name",
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Sra|Sr|Srta|MR|MRS|MS)\.?[ ]+[A-Z?]",
    re.compile(
        rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Sra|Sr|Srta|MR|MRS|MS)\.?[ \t]+(?P<v>{CAPITALISED}(?:[ \t]+{CAPITALISED}){{0,3}})"
    ),
    _titled_name,
    before=12,
    after=60,
    group="v",
)

_FAMILY = (
    r"son|daughter|wife|husband|mother|father|mom|mum|dad|brother|sister|grandson|granddaughter|grandmother|"
    r"grandfather|grandma|grandpa|aunt|uncle|niece|nephew|partner|fiancée?|caregiver|guardian|stepson|"
    r"stepdaughter|child|baby|infant|toddler|hijo|hija|esposa|esposo|madre|padre|mamá|papá|abuela|abuelo|nieto|nieta"
)


def _family_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "his daughter Amara called", "my mother, Yuki Park": one known given name is enough."""
    words = []
    for w in NAME_WORD.finditer(text, m.start("v"), m.end("v")):
        if not w.group(0)[:1].isupper() or not_a_name_word(w.group(0)):
            break
        words.append(w)
    if not words or len(words) > 3 or not known_given(words[0].group(0)):
        return None
    if bare_word(words[0].group(0)) in EVERYDAY_GIVEN and len(words) == 1:
        return None
    start, end = words[0].start(), words[-1].end() - words[-1].group(0).endswith(".")
    if organisation(words) or place(text, end) or staff(text, start, end):
        return None
    return 0.7, start, end


FAMILY_NAME = Detector(
    "patient_name",
    rf"\b(?i:{_FAMILY})[ ]*,?[ ]+(?:is[ ]+)?[A-Z?]",  # the family word first: rarer than "my" or "her"
    re.compile(
        rf"\b(?i:my|his|her|their|your|our|the[ \t]+patient's|mi|su)[ \t]+(?i:{_FAMILY}),?[ \t]+(?:is[ \t]+)?"
        rf"(?P<v>{CAPITALISED}(?:[ \t]+{NAME_PARTICLES}{{0,2}}{CAPITALISED}){{0,2}})"
    ),
    _family_name,
    before=45,
    after=60,
    group="v",
)


# --- a name in a table's cell, read as "Header: value" -------------------------------------------
_COLUMN_CUES = (
    r"(?:patient[ \t]+|pt[ \t]+|member[ \t]+|child'?s?[ \t]+|student[ \t]+)?(?:last|first|middle|given|family|sur)"
    r"(?:[ \t_]*name)?|apellidos?|nombres?|primer[ \t]+nombre|guarantor|parent(?:[ \t]*/[ \t]*guardian)?|"
    r"guardian|responsible[ \t]+party|subscriber(?:[ \t]+name)?|insured(?:[ \t]+name)?|policy[ \t]*holder|"
    r"account[ \t]+holder|beneficiary|name[ \t]+on[ \t]+card|cardholder|card[ \t]+holder|emergency[ \t]+contact|"
    r"next[ \t]+of[ \t]+kin|mother|father|spouse|tutor|madre|padre|acudiente|titular"
)


def _column_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Last Name: Zamora\tFirst Name: Refugio", "Apellido / Last name: Flores", "guarantor:
    Emeka Zamora", "Account holder: Dakota Archuleta": the words of the cell."""
    words = []
    for w in NAME_WORD.finditer(text, m.start("v"), m.end("v")):
        if not w.group(0)[:1].isupper() or not_a_name_word(w.group(0)) or bare_word(w.group(0)) in ORG_WORDS:
            break
        words.append(w)
    if not words or len(words) > 4:
        return None
    start, end = words[0].start(), word_end(words[-1])
    if len(words) == 1:
        if not _CELL_END.match(text, end):
            return None  # "First: call the pharmacy"
        header = text[max(0, m.start() - 1) : m.start("v")].casefold()
        strong = "name" in header or "nombre" in header or "apellido" in header  # "First Name:", not "First:"
        if not (strong or known_given(words[0].group(0)) or known_surname(words[0].group(0))):
            return None
    elif organisation(words) or staff(text, start, end):
        return None
    if place(text, end):
        return None
    return 0.75, start, end


_CELL_END = re.compile(r"[ \t]*(?:$|\n|\t|[,;|(]|[ ]{2,})")

COLUMN_NAME = Detector(
    "patient_name",
    rf"\b(?i:{_COLUMN_CUES})(?:[ \t]*/[ \t]*[A-Za-z?]{{1,12}}(?:[ \t][A-Za-z?]{{1,12}})?)?[ \t]*:[ \t]*[A-Z?]",
    re.compile(
        rf"\b(?i:{_COLUMN_CUES})(?:[ \t]*/[ \t]*[^\W\d_]{{1,12}}(?:[ \t][^\W\d_]{{1,12}})?)?[ \t]*:[ \t]*"
        rf"(?P<v>{CAPITALISED}(?:[ ]+{NAME_PARTICLES}{{0,2}}{CAPITALISED}){{0,3}})"  # spaces: a tab is the next cell
    ),
    _column_name,
    before=60,
    after=60,
    group="v",
)
