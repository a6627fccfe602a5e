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


class _Hyperscan:
    def __init__(self, detectors: tuple[Detector, ...]) -> None:
        import hyperscan

        # Detectors sharing a prefilter (a name and a birth date found by one shape) share its
        # expression: compiled once, its hits handed to each.
        unique: dict[tuple[str, bool], int] = {}
        self._owners: list[list[int]] = []
        for index, d in enumerate(detectors):
            key = (d.prefilter, d.caseless)
            if key not in unique:
                unique[key] = len(unique)
                self._owners.append([])
            self._owners[unique[key]].append(index)
        self.db = hyperscan.Database()
        self.db.compile(
            expressions=[p.encode() for p, _ in unique],
            ids=list(range(len(unique))),
            elements=len(unique),
            flags=[hyperscan.HS_FLAG_CASELESS if caseless else 0 for _, caseless in unique],
        )
        self._scratch_type = hyperscan.Scratch
        self._local = threading.local()  # Hyperscan scratch space is per scan in flight: one per thread

    def hits(self, view: bytes, count: int) -> list[list[int]]:
        """For each detector, the end offsets of its prefilter's matches, in order."""
        found: list[list[int]] = [[] for _ in self._owners]

        def on_match(ident: int, start: int, end: int, flags: int, context: object) -> None:
            found[ident].append(end)

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._scratch_type(self.db)
        self.db.scan(view, match_event_handler=on_match, scratch=scratch)
        ends: list[list[int]] = [[] for _ in range(count)]
        for ident, owners in enumerate(self._owners):
            for owner in owners:
                ends[owner] = found[ident]
        return ends


class _PythonRe:
    def __init__(self, detectors: tuple[Detector, ...]) -> None:
        self.patterns = [re.compile(d.prefilter.encode(), re.IGNORECASE if d.caseless else 0) for d in detectors]

    def hits(self, view: bytes, count: int) -> list[list[int]]:
        return [[m.end() for m in p.finditer(view)] for p in self.patterns]


def _engine(detectors: tuple[Detector, ...], prefer_hyperscan: bool = True) -> _Hyperscan | _PythonRe:
    if prefer_hyperscan:
        try:
            return _Hyperscan(detectors)
        except ImportError:
            log.info("hyperscan not installed: detectors run on Python's re (slower, same results)")
    return _PythonRe(detectors)


class Scanner:
    def __init__(self, detectors: tuple[Detector, ...] = DETECTORS, prefer_hyperscan: bool = True) -> None:
        self.detectors = detectors
        self.engine = _engine(detectors, prefer_hyperscan)
        self.priority = {d.type: i for i, d in reversed(list(enumerate(detectors)))}
        self.afterwards = AFTERWARDS if detectors is DETECTORS else ()  # a subset is tested as it is

    @property
    def engine_name(self) -> str:
        return "hyperscan" if isinstance(self.engine, _Hyperscan) else "python-re"

    def scan(self, text: str, location: str) -> list[Finding]:
        """Findings in `text` (normalized first), sorted by position, overlaps resolved."""
        text = normalize(text)
        view = text.encode("ascii", "replace")
        found: dict[tuple[str, int, int], float] = {}
        size = len(text)
        for detector, ends in zip(self.detectors, self.engine.hits(view, len(self.detectors)), strict=True):
            # Windows around the hits, merged where they touch: each character is searched
            # at most once per detector, so a text made of hits costs linear time too.
            lo = hi = -1
            for end in ends:
                start, stop = max(0, end - detector.before), min(size, end + detector.after)
                if start <= hi:
                    hi = max(hi, stop)
                    continue
                if hi >= 0:
                    self._search(detector, text, lo, hi, found)
                lo, hi = start, stop
            if hi >= 0:
                self._search(detector, text, lo, hi, found)
        for step in self.afterwards:
            step(text, found)
        return self._resolve(found, location)

    @staticmethod
    def _search(detector: Detector, text: str, lo: int, hi: int, found: dict[tuple[str, int, int], float]) -> None:
        # A window must not end inside a token: "F41.1" cut after "F41" would be a wrong code.
        tail = _TOKEN_END.search(text, hi, min(len(text), hi + 64))
        hi = tail.start() + 1 if tail else min(len(text), hi + 64)
        for match in detector.pattern.finditer(text, lo, hi):
            verdict = detector.validate(text, match)
            if verdict is None:
                continue
            if isinstance(verdict, tuple):
                confidence, start, end = verdict
            else:
                confidence, start, end = verdict, match.start(detector.group), match.end(detector.group)
            if confidence < MIN_CONFIDENCE:
                continue
            key = (detector.type, start, end)
            if confidence > found.get(key, 0.0):
                found[key] = confidence

    def _resolve(self, found: dict[tuple[str, int, int], float], location: str) -> list[Finding]:
        """One finding per stretch of text: where two overlap, the more specific type (earlier
        in DETECTORS) stays; of one type, the longer span."""
        ordered = sorted(found.items(), key=lambda item: (self.priority[item[0][0]], -(item[0][2] - item[0][1])))
        starts: list[int] = []  # kept spans, sorted and disjoint
        kept: list[tuple[int, int, str, float]] = []
        for (kind, start, end), confidence in ordered:
            at = bisect.bisect_right(starts, start)
            if at and kept[at - 1][1] > start or at < len(kept) and kept[at][0] < end:
                continue  # overlaps a span already kept
            starts.insert(at, start)
            kept.insert(at, (start, end, kind, confidence))
        return [Finding(kind, location, start, end, confidence) for start, end, kind, confidence in kept]


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
