"""Run every detector over a text in one pass, in time linear in its length.

All prefilters are compiled into one Hyperscan database (Intel's automata engine: one scan
for all patterns, no backtracking, gigabytes per second when nothing matches). Where
Hyperscan is not installed (it has no wheels for ARM), the same prefilters run through
Python's `re` one by one: slower, same findings (tests compare the two), still safe because
the prefilters have bounded repeats and no look-around.

Hyperscan scans bytes; the text is scanned as ASCII with every other character replaced by
"?" (one byte per character), so byte offsets are character offsets. The detectors are
ASCII by design — normalization (NFKC) turns fullwidth digits into ASCII ones first — and the
precise patterns then run on the real text, so names with accents are read as written.
"""

from __future__ import annotations

import bisect
import codecs
import logging
import re
import threading
import unicodedata

from agent.model import Finding
from agent.policy.detectors import AFTERWARDS, DETECTORS, Detector

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.5  # below this a match is not reported at all
_TOKEN_END = re.compile(r"\s")

# Zero-width, soft-hyphen and bidi-control characters are removed so "123\u200b-45-6789"
# cannot hide an SSN; NFKC turns fullwidth "１２３" into "123".
_INVISIBLE_CHARS = (
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")

# The dashes and quotes word processors put in, one for one as ASCII: "512–44–8721" written
# with en dashes is the same SSN, and NFKC leaves these alone. Mapping them also lets most
# accented text be held one byte per character (Latin-1), where every later step is faster.
_PUNCTUATION = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2032": "'",
    "\u2033": '"',
}


def _punctuation_to_ascii(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a run of characters Latin-1 lacks, if they are all such punctuation."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    try:
        return "".join(_PUNCTUATION[c] for c in error.object[error.start : error.end]), error.end
    except KeyError:
        raise error from None  # something else (CJK, zero-width, fullwidth): the general path


codecs.register_error("postseal-punctuation", _punctuation_to_ascii)


# The Latin-1 characters NFKC changes (no-break space, ², ½, µ, ´…), taken from unicodedata
# itself. A Latin-1 text without them is already NFKC: Latin-1 has no combining marks, so
# nothing in it can compose differently.
_LATIN1_COMPAT = tuple(bytes([c]) for c in range(256) if unicodedata.normalize("NFKC", chr(c)) != chr(c))


def normalize(text: str) -> str:
    """The text detectors read: NFKC, invisible characters removed, typographic dashes and
    quotes as ASCII. Offsets refer to this text."""
    if text.isascii():
        return text  # the common case, at memory speed
    try:
        # Latin-1 plus such punctuation (most Western-language text): checked and cleaned as
        # bytes, one per character; the only invisible character Latin-1 has is the soft hyphen.
        data = text.encode("latin-1", "postseal-punctuation")
    except UnicodeEncodeError:
        return _normalize_wide(text)
    if b"\xad" in data:
        data = data.replace(b"\xad", b"")
    text = data.decode("latin-1")
    if any(c in data for c in _LATIN1_COMPAT):  # a byte search each: faster than one class
        return _normalize_wide(text)
    return text


def _normalize_wide(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):  # a quick check; accents alone pass it
        text = unicodedata.normalize("NFKC", text)  # before the dashes: it can yield some ("﹘" → "—")
    for char, ascii_char in _PUNCTUATION.items():
        if char in text:  # instant when the text is narrower than the character
            text = text.replace(char, ascii_char)
    # str's substring search is several times faster than a regex character class here.
    return _INVISIBLE.sub("", text) if any(c in text for c in _INVISIBLE_CHARS) else text


def _on_match(ident: int, start: int, end: int, flags: int, found: dict[int, list[int]]) -> None:
    # Defined once, handed its dict as Hyperscan's context: no closure built per scan.
    ends = found.get(ident)
    if ends is None:
        found[ident] = [end]
    else:
        ends.append(end)


class _Hyperscan:
    def __init__(self, detectors: tuple[Detector, ...]) -> None:
        import hyperscan

        # Detectors sharing a prefilter (a name and a birth date found by one shape) share its
        # expression: compiled once, its hits handed to each.
        unique: dict[tuple[str, bool], int] = {}
        owners: list[list[int]] = []
        for index, d in enumerate(detectors):
            key = (d.prefilter, d.caseless)
            if key not in unique:
                unique[key] = len(unique)
                owners.append([])
            owners[unique[key]].append(index)
        self._owners = [tuple(o) for o in owners]
        self.db = hyperscan.Database()
        self.db.compile(
            expressions=[p.encode() for p, _ in unique],
            ids=list(range(len(unique))),
            elements=len(unique),
            flags=[hyperscan.HS_FLAG_CASELESS if caseless else 0 for _, caseless in unique],
        )
        self._scratch_type = hyperscan.Scratch
        self._local = threading.local()  # Hyperscan scratch space is per scan in flight: one per thread

    def hits(self, view: bytes) -> list[tuple[int, list[int]]]:
        """(detector index, end offsets of its prefilter's matches in order), for the detectors
        whose prefilter matched, in detector order: most texts wake a handful of the detectors,
        and the others cost nothing."""
        found: dict[int, list[int]] = {}
        try:
            scratch = self._local.scratch
        except AttributeError:
            scratch = self._local.scratch = self._scratch_type(self.db)
        self.db.scan(view, match_event_handler=_on_match, context=found, scratch=scratch)
        if not found:
            return []
        owners = self._owners
        ordered = [(owner, ends) for ident, ends in found.items() for owner in owners[ident]]
        ordered.sort(key=_first)
        return ordered


def _first(item: tuple[int, list[int]]) -> int:
    return item[0]


class _PythonRe:
    def __init__(self, detectors: tuple[Detector, ...]) -> None:
        self.patterns = [re.compile(d.prefilter.encode(), re.IGNORECASE if d.caseless else 0) for d in detectors]

    def hits(self, view: bytes) -> list[tuple[int, list[int]]]:
        found = ((index, [m.end() for m in p.finditer(view)]) for index, p in enumerate(self.patterns))
        return [(index, ends) for index, ends in found if ends]


def _engine(detectors: tuple[Detector, ...], prefer_hyperscan: bool = True) -> _Hyperscan | _PythonRe:
    if prefer_hyperscan:
        try:
            return _Hyperscan(detectors)
        except ImportError:
            log.info("hyperscan not installed: detectors run on Python's re (slower, same results)")
    return _PythonRe(detectors)


# Scanned once when a scanner is built: validators load what they keep for the life of the
# process (the 40,000 given names and surnames, read on first use) then, as Hyperscan compiles
# its database then — not while the first message waits, nor inside a measured throughput.
_WARM_UP = "Patient: Maria Lopez, DOB 03/14/1961\nHi Maria,\nMs. Lopez and Lopez, Maria: Maria Lopez called today.\n"


class Scanner:
    def __init__(self, detectors: tuple[Detector, ...] = DETECTORS, prefer_hyperscan: bool = True) -> None:
        self.detectors = detectors
        self.engine = _engine(detectors, prefer_hyperscan)
        self.priority = {d.type: i for i, d in reversed(list(enumerate(detectors)))}
        # A detector with the prefilter, pattern and window of the one before it (a name and its
        # birth date read from one match) is handed that one's matches: searched once, and its
        # validator sees the same match objects (so it can reuse what it worked out for them).
        search = [(d.prefilter, d.caseless, d.pattern, d.before, d.after) for d in detectors]
        self._same_search = tuple(i > 0 and search[i] == search[i - 1] for i in range(len(detectors)))
        self.afterwards = AFTERWARDS if detectors is DETECTORS else ()  # a subset is tested as it is
        self.scan(_WARM_UP, "")

    @property
    def engine_name(self) -> str:
        return "hyperscan" if isinstance(self.engine, _Hyperscan) else "python-re"

    def scan(self, text: str, location: str) -> list[Finding]:
        """Findings in `text` (normalized first), sorted by position, overlaps resolved."""
        text = normalize(text)
        hits = self.engine.hits(text.encode("ascii", "replace"))
        found: dict[tuple[str, int, int], float] = {}
        size = len(text)
        detectors, same_search, token_end = self.detectors, self._same_search, _TOKEN_END.search
        matches: list[re.Match[str]] = []
        previous = -2
        for index, ends in hits:
            detector = detectors[index]
            if not (same_search[index] and previous == index - 1):
                # Windows around the hits, merged where they touch: each character is searched
                # at most once per detector, so a text made of hits costs linear time too. A
                # window must not end inside a token: "F41.1" cut after "F41" would be a wrong code.
                before, after, finditer = detector.before, detector.after, detector.pattern.finditer
                matches = []
                lo = hi = -1
                for end in ends:
                    start = end - before if end > before else 0
                    if start <= hi:
                        stop = end + after
                        if stop > hi:
                            hi = stop if stop < size else size
                        continue
                    if hi >= 0:
                        limit = hi + 64 if hi + 64 < size else size
                        tail = token_end(text, hi, limit)
                        matches.extend(finditer(text, lo, tail.start() + 1 if tail else limit))
                    lo, hi = start, min(size, end + after)
                limit = hi + 64 if hi + 64 < size else size
                tail = token_end(text, hi, limit)
                matches.extend(finditer(text, lo, tail.start() + 1 if tail else limit))
            previous = index
            if matches:
                self._validate(detector, text, matches, found)
        for step in self.afterwards:
            step(text, found)
        return self._resolve(found, location) if found else []

    @staticmethod
    def _validate(
        detector: Detector, text: str, matches: list[re.Match[str]], found: dict[tuple[str, int, int], float]
    ) -> None:
        validate, kind, group = detector.validate, detector.type, detector.group
        for match in matches:
            verdict = validate(text, match)
            if verdict is None:
                continue
            if verdict.__class__ is tuple:
                confidence, start, end = verdict
            else:
                confidence, start, end = verdict, match.start(group), match.end(group)
            if confidence < MIN_CONFIDENCE:
                continue
            key = (kind, start, end)
            if confidence > found.get(key, 0.0):
                found[key] = confidence

    def _resolve(self, found: dict[tuple[str, int, int], float], location: str) -> list[Finding]:
        """One finding per stretch of text: where two overlap, the more specific type (earlier
        in DETECTORS) stays; of one type, the longer span."""
        priority = self.priority
        ordered = sorted(found, key=lambda key: (priority[key[0]], key[1] - key[2]))  # stable: ties keep their order
        starts: list[int] = []  # kept spans, sorted and disjoint
        kept: list[tuple[int, int, str]] = []
        for kind, start, end in ordered:
            at = bisect.bisect_right(starts, start)
            if at and kept[at - 1][1] > start or at < len(kept) and kept[at][0] < end:
                continue  # overlaps a span already kept
            starts.insert(at, start)
            kept.insert(at, (start, end, kind))
        return [Finding(kind, location, start, end, found[kind, start, end]) for start, end, kind in kept]


_default: Scanner | None = None
_building = threading.Lock()


def scanner() -> Scanner:
    """The one scanner of this process, built by the first caller. Messages are planned on
    several threads at once: without the lock, each of the first concurrent ones compiled its
    own Hyperscan database (a second of CPU each on a loaded 2-core machine) and kept clinicians
    waiting; the others now wait for the one being built."""
    global _default
    if _default is None:
        with _building:
            if _default is None:
                _default = Scanner()
    return _default


def scan(text: str, location: str) -> list[Finding]:
    return scanner().scan(text, location)
