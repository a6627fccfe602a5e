"""What a written name looks like, and the given names we know; no detector of its own.

Shared by the detectors of patient names (cued_names, dated_names, subject_names, and through
name_context the rest): the words of a name, surname particles ("de la Cruz", "van der Berg"),
titles, and the lists of given names and surnames in agent/policy/first_names.txt and
surnames.txt.
"""

from __future__ import annotations

import re
from functools import cache

NOT_NAMES = {
    "portal",
    "care",
    "services",
    "service",
    "access",
    "advocate",
    "education",
    "name",
    "id",
    "information",
    "instructions",
    "safety",
    "coordinator",
    "relations",
    "experience",
    "financial",
    "intake",
    "record",
    "records",
    "number",
    "chart",
    "is",
    "was",
    "has",
    "had",
    "will",
    "and",
    "the",
    "of",
    "in",
    "at",
    "to",
    "for",
    "with",
    "on",
    "dob",
    "mrn",
    "account",
    "summary",
    "list",
    "satisfaction",
    "status",
    "dr",
    "doctor",
    "nurse",
    "np",
    "pa",
    "md",
    "rn",
    "health",
    "center",
    "centre",
    "affairs",
    "office",
    "handbook",
    "council",
    "union",
    "loan",
    "loans",
    "discount",
    "login",
    "signature",
    "no",
    "not",
    "found",
    "case",
    "requests",
    "request",
    "unknown",
    "none",
    "all",
    "sex",
    "gender",
    "age",
}
_NAME_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)?"


WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)?\.?")
# Lower-case surname particles ("de la Cruz", "van der Berg"): part of a name when a
# capitalised word follows; they do not make a name on their own.
PARTICLES = ("de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "du", "dos", "das", "st")
_PARTICLE = rf"(?:(?:{'|'.join(PARTICLES)})\.? +)"  # spaces only: a tab is a table's next cell
# Before a surname in any case: "VAN DYKE, IMANI", "Del Rosario, Thanh", "St. Germain, Yusuf"
SURNAME_PREFIX = (
    r"(?:(?i:van|von|del|della|de|da|di|du|dos|das|la|le|der|den|st\.|ste\.|san|santa|ben|bin|al|el|abu) +)"
)
TITLE = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|MR|MRS|MS|MISS|MX)\.?[ \t]+)"  # "your patient, Ms. Linh Castellanos"
# "Last, First [M]", "First [M.] Last", "J. Smith", with surname particles
NAME = (
    rf"(?P<v>(?=[^a-z]|{_PARTICLE})"  # never a lower-case word first, but for a particle
    rf"(?:{_PARTICLE}{{0,2}}{SURNAME_PREFIX}{{0,2}}(?:{_NAME_WORD}), +(?:{_NAME_WORD})(?: {_NAME_WORD})?"
    rf"(?: +[A-Z](?:\.|(?![^\W\d_])))?"
    rf"|(?:[A-Z]\. +)?{_PARTICLE}{{0,2}}(?:{_NAME_WORD})(?: +[A-Z]\.)?"
    rf"(?: +{_PARTICLE}{{0,2}}{SURNAME_PREFIX}{{0,2}}(?:{_NAME_WORD})){{0,2}}))"
)
# One capitalised word of a name, for the patterns that find a name before its cue
CAPITALISED = r"[^\W\d_a-z][^\W\d_'’-]*(?:['’-][^\W\d_]+)?"
NAME_START = r"(?=[A-Z\u00C0-\u024F\u1E00-\u1EFFvdlsbae])"  # a capital, or a surname particle: lets re skip ahead


def name_words(text: str, m: re.Match[str]) -> list[re.Match[str]]:
    """The capitalised words of the name the pattern matched, up to the first word that is
    not part of a name ("Jane Doe called …")."""
    kept: list[re.Match[str]] = []
    particles = 0
    for word in WORD.finditer(text, m.start("v"), m.end("v")):
        value = word.group(0)
        if value.rstrip(".") in PARTICLES:  # lower case only: "Van" is a capitalised name word
            particles += 1
            if particles > 2:
                break
            continue
        if not value[0].isupper() or value.rstrip(".").lower() in NOT_NAMES:
            break
        kept.append(word)
        particles = 0
    return kept


def is_name(kept: list[re.Match[str]]) -> bool:
    full = [w for w in kept if len(w.group(0).rstrip(".")) > 1]  # initials alone do not make a name
    initial_first = bool(kept) and len(kept[0].group(0).rstrip(".")) == 1
    return len(full) >= 2 or (len(full) == 1 and initial_first)  # "Pt: J. Smith"


def span(m: re.Match[str], kept: list[re.Match[str]]) -> tuple[int, int]:
    """From the name's first word (a particle too: "van der Berg, Anh") to its last, without a
    sentence's full stop."""
    end = kept[-1].end() - (kept[-1].group(0).endswith(".") and kept[-1].group(0)[:-1].lower() not in ("st", "ste"))
    return m.start("v"), end


@cache
def _name_list(file: str) -> frozenset[str]:
    """One of agent/policy's name lists (written by scripts/name_lists.py), read once."""
    from importlib import resources

    lines = resources.files("agent.policy").joinpath(file).read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def first_names() -> frozenset[str]:
    """Given names in Latin script (agent/policy/first_names.txt, from Faker's lists)."""
    return _name_list("first_names.txt")


def surnames() -> frozenset[str]:
    """Surnames in Latin script (agent/policy/surnames.txt, from Faker's lists)."""
    return _name_list("surnames.txt")


def given_word(text: str, words: list[re.Match[str]], start: int, end: int) -> re.Match[str] | None:
    """The given name among a name's words: the first ("Hannah Osei"), or the first after the
    comma when the surname comes first ("Osei, Hannah")."""
    comma = text.find(",", start, end)
    if comma < 0:
        return words[0] if words else None
    return next((w for w in words if w.start() > comma), None)


def known_given_name(text: str, m: re.Match[str], kept: list[re.Match[str]]) -> bool:
    """Whether the name begins with a known given name: "Hannah Osei", "Osei, Hannah", or an
    initial ("J. Tran")."""
    given = given_word(text, kept, *span(m, kept))
    word = given.group(0).rstrip(".") if given else ""
    return len(word) == 1 or word.casefold() in first_names()


_TITLE_BEFORE = re.compile(r"(?i)\b(?:dr|mr|mrs|ms|miss|mx)\.?[ \t]*$")


def after_title(text: str, at: int) -> bool:
    """Whether a title ends right before `at`: "Dr. Maria Lopez" is a clinician or a greeting."""
    return _TITLE_BEFORE.search(text, max(0, at - 6), at) is not None


# The words of a subject's topic, never of a name: "Re: Summer Schedule Change" is no patient.
SUBJECT_WORDS = {
    "meeting",
    "schedule",
    "update",
    "report",
    "results",
    "result",
    "request",
    "question",
    "questions",
    "follow",
    "lunch",
    "party",
    "event",
    "visit",
    "appointment",
    "review",
    "form",
    "forms",
    "notes",
    "plan",
    "policy",
    "training",
    "call",
    "order",
    "invoice",
    "payment",
    "reminder",
    "day",
    "week",
    "month",
    "year",
    "hours",
    "office",
    "clinic",
    "lab",
    "labs",
    "referral",
    "consult",
    "authorization",
    "change",
    "changes",
    "photos",
    "trip",
    "news",
    "newsletter",
    "benefits",
    "enrollment",
}
