"""Later mentions of a name found once: "Folasade Paz … Folasade's A1c", "Latoya Villalobos …
Ms. Villalobos's daughter". Runs after every detector, on a text's findings (AFTERWARDS)."""

from __future__ import annotations

import bisect
import re

from agent.policy.detectors.name_context import (
    CLINICIAN_AFTER,
    CLINICIAN_BEFORE,
    EVERYDAY_GIVEN,
    NAME_WORD,
    bare_word,
    not_a_name_word,
    place,
    staff,
)
from agent.policy.detectors.name_words import CAPITALISED

# --- later mentions of a name found once --------------------------------------------------------
_NEXT_WORD = re.compile(rf"[ ]+{CAPITALISED}")


def _occurrences(text: str, word: str) -> list[tuple[int, int]]:
    """Where `word` stands as a word of its own (str.find: memory speed, not a regex pass)."""
    found, at = [], text.find(word)
    while at >= 0:
        end = at + len(word)
        before = text[at - 1] if at else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "'’-_") and not (after.isalnum() or after in "-_"):
            found.append((at, end))
        at = text.find(word, end)
    return found


def _as_staff(text: str, start: int, end: int) -> bool:
    """A clinician's title before this word, or credentials after it or after the next word:
    "Dr. Marsh", "Yesenia Holguín, MA", "enfermera practicante Keisha Broussard"."""
    if CLINICIAN_BEFORE.search(text, max(0, start - 14), start) or CLINICIAN_AFTER.match(text, end):
        return True
    following = _NEXT_WORD.match(text, end)
    if following is not None and CLINICIAN_AFTER.match(text, following.end()):
        return True
    # a signature block: "Trina\n> Trina Castañeda\n> Billing Office" — only a name alone on its line can be one
    stop = following.end() if following else end
    line_end = text.find("\n", stop)
    if text[stop : line_end if line_end >= 0 else len(text)].strip():
        return False
    return staff(text, start, stop)


def later_mentions(text: str, found: dict[tuple[str, int, int], float]) -> None:
    """Once a text names a patient in full, its given name or surname alone elsewhere in that
    text is the same person, as a reader takes it: "Folasade Paz … Folasade's A1c", "Latoya
    Villalobos … Ms. Villalobos's daughter … Latoya". And a name the text gives a clinician's
    title or credentials anywhere ("Yesenia Holguín, MA") is staff everywhere in it: "Muchas
    gracias Yesenia" is no patient. Runs on `found` after the detectors."""
    names = [(start, end) for (kind, start, end) in found if kind == "patient_name"]
    if not names:
        return
    words: dict[str, list[tuple[int, int]]] = {}
    for start, end in names:
        for w in NAME_WORD.finditer(text, start, end):
            value = w.group(0).rstrip(".").removesuffix("'s").removesuffix("’s")
            if len(value) > 2 and value[:1].isupper() and not not_a_name_word(value) and value not in words:
                words[value] = _occurrences(text, value)
    staff_words = {word for word, places in words.items() if any(_as_staff(text, s, e) for s, e in places)}
    for start, end in names:
        parts = [
            w.group(0).rstrip(".").removesuffix("'s").removesuffix("’s") for w in NAME_WORD.finditer(text, start, end)
        ]
        if staff_words and parts and all(p in staff_words or len(p) < 3 for p in parts):
            del found[("patient_name", start, end)]
    taken = sorted((start, end) for (kind, start, end), sure in found.items() if kind == "patient_name" and sure >= 0.6)
    if not taken:
        return
    starts = [start for start, _ in taken]
    for word, places in words.items():
        if word in staff_words or bare_word(word) in EVERYDAY_GIVEN:
            continue
        for start, end in places:
            at = bisect.bisect_right(starts, start)  # the kept span starting at or before: inside it?
            if at and taken[at - 1][1] > start or at < len(taken) and taken[at][0] < end:
                continue
            if not staff(text, start, end) and not place(text, end):
                found.setdefault(("patient_name", start, end), 0.6)
