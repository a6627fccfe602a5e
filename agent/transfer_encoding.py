"""Content-Transfer-Encoding undone as RFC 2045 reads it — and said when it cannot be.

The email package chooses how to decode a part by `str(header).lower()`: a folded value
("Content-Transfer-Encoding:" with "base64" on the next line), a trailing space or a comment
("base64 (sent by X)") make it hand back the *encoded* text as if it were the content, and
inspection then scans base64 letters instead of the attachment. It also notices invalid
base64 only while decoding, and then decodes around it. Here the mechanism is the token the
header parser found (RFC 2045 §6.1: folding whitespace and comments are not part of it),
base64 is checked strictly (binascii's strict mode), and an unknown or malformed mechanism
is reported, never guessed: the caller turns that into a finding or a refusal.
"""

from __future__ import annotations

import binascii
import copy
import quopri
import re
from dataclasses import dataclass
from email.message import Message

IDENTITY = ("7bit", "8bit", "binary")
UUENCODE = ("x-uuencode", "uuencode", "uue", "x-uue")  # not in RFC 2045; the package reads them too


@dataclass(frozen=True)
class Decoded:
    data: bytes  # the content; for an unknown mechanism, the body as it came
    mechanism: str  # as the header names it, lower case ("7bit" when there is none)
    problem: str = ""  # why the content may not be what the recipient's program shows; "" if none


def disagree(values: list) -> bool:
    """Whether a header given more than once says different things (folding, spacing and case
    aside): readers then take different ones, and a part is one thing to us, another to them."""
    return len({" ".join(str(v).split()).lower() for v in values}) > 1


def mechanism(part: Message) -> tuple[str, str]:
    """The part's transfer encoding and, if the header is malformed, what is wrong with it."""
    values = part.get_all("Content-Transfer-Encoding", [])
    if not values:
        return "7bit", ""
    if disagree(values):
        return "", f"Content-Transfer-Encoding header given {len(values)} times with different values"
    header = values[0]
    token = str(getattr(header, "cte", "")).lower()
    if getattr(header, "defects", ()) or not token:
        shown = " ".join(str(header).split())[:60]
        return token, f"Content-Transfer-Encoding header {shown!r} is malformed"
    return token, ""


def raw_body(part: Message) -> bytes:
    """The body as it came, transfer encoding not undone."""
    # get_payload() without decode= would decode raw 8-bit bytes by the part's charset (and
    # raise UnicodeError for a charset such as "idna"); with decode=True and no transfer
    # encoding to undo, the package hands back the bytes as they came. The copy has its own
    # header list (deleting builds a new one), so the part itself is not changed.
    clone = copy.copy(part)
    del clone["Content-Transfer-Encoding"]
    payload = clone.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def base64_problem(encoded: bytes) -> str:
    """Why `encoded` is not base64 every reader decodes alike; "" if it is. Missing final
    padding is read alike everywhere; characters outside the alphabet and data after the
    padding are where decoders differ (one skips, one stops), which is how content is
    hidden from one reader and shown by another."""
    data = encoded.translate(None, b" \t\r\n")  # line breaks are no part of the data (RFC 2045 6.8)
    if b"=" not in data and len(data) % 4 in (2, 3):
        data += b"=" * (-len(data) % 4)  # only the final padding left out
    try:
        binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as exc:
        return f"invalid base64 ({str(exc).rstrip('.').lower()})"
    return ""


def _base64(encoded: bytes) -> bytes:
    try:
        return binascii.a2b_base64(encoded)  # skips what is not in the alphabet, line breaks included
    except binascii.Error:  # padding missing or a length one past a multiple of four
        pass
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", encoded)
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    return binascii.a2b_base64(data + b"=" * (-len(data) % 4))


def _uudecode(encoded: bytes) -> bytes:
    out = []
    inside = False
    for line in encoded.splitlines():
        if not inside:
            inside = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:  # trailing garbage some encoders write: the length byte says how much
            out.append(binascii.a2b_uu(line[: ((line[0] - 32) & 63) * 4 // 3 + 5]))
    return b"".join(out)


def decode(part: Message) -> Decoded:
    """The content of a leaf part, as well as it can be read, and what is wrong with it."""
    name, problem = mechanism(part)
    body = raw_body(part)
    if name == "base64":
        return Decoded(_base64(body), name, problem or base64_problem(body))
    if name == "quoted-printable":
        return Decoded(quopri.decodestring(body), name, problem)
    if name in UUENCODE:
        if body.strip() and not re.search(rb"^begin ", body, re.MULTILINE):
            return Decoded(body, name, problem or "uuencoded content without its begin line")
        try:
            return Decoded(_uudecode(body), name, problem)
        except binascii.Error:
            return Decoded(body, name, problem or "uuencoded content cannot be decoded")
    if name in IDENTITY:
        return Decoded(body, name, problem)
    return Decoded(body, name, problem or f"unknown Content-Transfer-Encoding {name!r}")
