"""JSON from clients (add-ins, the native host's frames, the tray, portal browsers), parsed
with a bound on nesting.

The standard library's decoder recurses once per level: `[[[[…` a few thousand deep raises
RecursionError out of a request handler (a text/plain 500) or kills the native host, and
whatever walks the result recurses again. No request of ours nests past a handful of levels,
so anything deeper than MAX_DEPTH is refused before the decoder sees it. The depth is
counted without recursion and at C speed for the bulk: strings are cut out first (so
brackets inside them do not count, and a 30 MB base64 attachment costs one regex pass),
then only the brackets that remain are walked.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


class BadJson(ValueError):
    """The text is not JSON we accept; the message says why, in one line. `too_deep` tells
    a nesting refusal from text that is not JSON at all."""

    def __init__(self, message: str, too_deep: bool = False) -> None:
        super().__init__(message)
        self.too_deep = too_deep


def depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in `data` (brackets in strings ignored);
    stops counting once past MAX_DEPTH."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    level = deepest = 0
    for byte in brackets:
        if byte in _OPEN:
            level += 1
            if level > deepest:
                deepest = level
                if deepest > MAX_DEPTH:
                    break
        else:
            level -= 1
    return deepest


def loads(data: bytes | str, what: str = "the request") -> Any:
    """Parse `data` as JSON nested at most MAX_DEPTH deep, else BadJson naming `what`."""
    if isinstance(data, str):
        raw = data.encode("utf-8", "surrogatepass")
    else:
        raw = bytes(data)
        try:
            data = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadJson(f"{what} is not UTF-8 (byte {exc.start})") from None
    if depth(raw) > MAX_DEPTH:
        raise BadJson(f"{what} nests JSON deeper than {MAX_DEPTH} levels", too_deep=True)
    try:
        return json.loads(data)
    except RecursionError:  # not reachable past the depth check; kept as a last line
        raise BadJson(f"{what} nests JSON too deeply", too_deep=True) from None
    except ValueError as exc:
        raise BadJson(f"{what} is not valid JSON ({exc})") from None
