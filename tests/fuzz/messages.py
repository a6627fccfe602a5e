"""Hypothesis strategies for RFC 822 messages: well-formed trees that say where they hide a
Social Security number, and the same trees broken every way a mail program or an attacker
breaks them (bad transfer encodings and charsets, odd and folded headers, missing or wrong
boundaries, deep nesting, many parts, bytes flipped, cut and spliced).
Past 400 lines: one strategy per way a message is built or broken, all composed here.
"""

from __future__ import annotations

import base64
import email.header
import io
import json
import quopri
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from agent.transfer_encoding import base64_problem
from tests.fuzz.world import HELD_SSN, MARKER_NAME, PASSING_SSN

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "assets" / "samples").glob("*.eml"))
ORG = "valleyclinic.example"
SENDER = f"dr.chen@{ORG}"
INTERNAL = (f"nurse.kim@{ORG}", f"billing@{ORG}")
# portal recipients (no key, no verified TLS) and a verified-TLS partner (tls.required_domains)
EXTERNAL = ("jordan.miles@familymail.example", "pat@example.org")
TLS_PARTNER = "claims@harborbilling.example"

# Charsets a text can really be written in (what the part declares is what it was encoded
# with), and labels that name nothing or something that is not a text encoding.
CHARSETS = (
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "utf-16",
    "utf-16-le",
    "utf-7",
    "cp500",
    "koi8-r",
    "shift_jis",
    "gb2312",
    "iso-2022-jp",
    "utf-32",
)
BOGUS_CHARSETS = (
    "x-unknown",
    "rot13",
    "hex",
    "zlib",
    "idna",
    "undefined",
    "utf-8\x00",
    "",
    '"',
    "8bit",
    "utf-8; format=flowed",
    "uu",
    "base64",
    "x" * 300,
    "ISO-2022-CN-EXT",
    "unicode-1-1-utf-7",
)
ENCODINGS = ("7bit", "8bit", "binary", "base64", "quoted-printable")
BOGUS_ENCODINGS = (
    "x-uuencode",
    "uuencode",
    "x-gzip",
    "bAsE64",
    "quoted-printable; x=1",
    "8bit 7bit",
    "",
    "base-64",
    "x-token",
)
TEXT_TYPES = ("text/plain", "text/html", "text/csv", "application/json", "text/xml", "text/calendar", "text/x-weird")

# str.splitlines() breaks at these, and so does the email package when it refolds a header:
# a message with one inside a header is refused by intake (it would change when stored).
LINE_BREAKS = dict.fromkeys(map(ord, "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), " ")


words = st.sampled_from(
    [
        "Patient",
        "DOB",
        "03/14/1961",
        "MRN",
        "VC-0048213",
        "INR",
        "3.8",
        "referral",
        "metformin",
        "SSN",
        "<b>",
        "</p>",
        "&amp;",
        "&#53;",
        "=",
        "=3D",
        "--",
        "\t",
        "\u00e9",
        "\u200b",
        "\u2013",
        "\ufeff",
        "\U0001f600",
        ";",
        ",",
        '"',
        "'",
        "\\",
        "Content-Type:",
        "begin 644",
        "MSH|^~\\&",
        "{",
        "[",
        "<html>",
        MARKER_NAME,
        PASSING_SSN,
    ]
)
text_strategy = st.lists(st.one_of(words, st.text(max_size=12)), max_size=40).map(" ".join)


@dataclass(frozen=True)
class Built:
    raw: bytes
    ssn_in: str  # "" when the message holds no readable HELD_SSN; else where it was put
    depth: int
    parts: int


# --- leaves ----------------------------------------------------------------------------------


def _encode_body(payload: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(payload)
    if cte == "quoted-printable":
        return quopri.encodestring(payload)
    return payload


def _zip_of(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@st.composite
def readable_leaf(draw, ssn: bool) -> tuple[bytes, str]:
    """A text part, body or attachment, encoded as it declares; with the held SSN if `ssn`."""
    ctype = draw(st.sampled_from(TEXT_TYPES))
    text = draw(text_strategy)
    if ssn:
        cut = draw(st.integers(0, len(text)))
        # A label next to the number, as in real letters; the value alone is also a finding.
        text = f"{text[:cut]} SSN {HELD_SSN} {text[cut:]}"
    if ctype == "text/html":
        text = f"<html><body><p>{text.replace('<', ' ').replace('&', ' ')}</p></body></html>"
    elif ctype == "application/json":
        text = json.dumps({"note": text})
    charset = draw(st.sampled_from(CHARSETS))
    try:
        payload = text.encode(charset)
    except UnicodeEncodeError:
        charset, payload = "utf-8", text.encode("utf-8", "surrogatepass")
    if b"\x00" in payload or charset.startswith(("utf-16", "utf-32")):
        cte = "base64"  # NUL bytes and wide charsets do not travel as text lines
    else:
        cte = draw(st.sampled_from(("base64", "quoted-printable") if not payload.isascii() else ENCODINGS))
    headers = [f'Content-Type: {ctype}; charset="{charset}"', f"Content-Transfer-Encoding: {cte}"]
    place = "body"
    if draw(st.booleans()):
        name = draw(st.sampled_from(("notes.txt", "labs.csv", "letter.html", "r\u00e9sum\u00e9.txt", "data.json")))
        if draw(st.booleans()):
            headers.append(f"Content-Disposition: attachment; filename*=utf-8''{name.encode().hex()}")
        else:
            headers.append(f'Content-Disposition: attachment; filename="{name}"')
        place = "attachment"
    if draw(st.booleans()) and place == "attachment":
        # the same text zipped: read member by member
        payload, cte = _zip_of("inner.txt", text.encode("utf-8")), "base64"
        headers = [
            "Content-Type: application/zip",
            "Content-Transfer-Encoding: base64",
            'Content-Disposition: attachment; filename="inner.zip"',
        ]
        place = "zip"
    body = _encode_body(payload, cte)
    return (
        "\r\n".join(headers).encode() + b"\r\n\r\n" + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
        place if ssn else "",
    )


@st.composite
def odd_leaf(draw, sound: bool = True) -> tuple[bytes, str]:
    """A part that lies about its content: bogus charsets and encodings, broken base64/QP,
    binary. Unless `sound`, also about its structure (a multipart or message/rfc822 label on
    whatever bytes, any text as a content type)."""
    leaves = TEXT_TYPES + ("application/octet-stream", "application/pdf", "image/png")
    if sound:
        ctype = draw(st.sampled_from(leaves))
    else:
        ctype = draw(
            st.one_of(
                st.sampled_from(leaves + ("message/rfc822", "multipart/mixed")),
                st.text(max_size=30).map(lambda t: t.translate(LINE_BREAKS)),
            )
        )
    charset = draw(st.sampled_from(BOGUS_CHARSETS + CHARSETS))
    cte = draw(st.sampled_from(BOGUS_ENCODINGS + ENCODINGS))
    payload = draw(st.one_of(st.binary(max_size=400), text_strategy.map(lambda t: t.encode("utf-8", "replace"))))
    if draw(st.booleans()):
        payload = _encode_body(payload, draw(st.sampled_from(ENCODINGS)))
    if draw(st.booleans()):
        payload = payload.replace(b"A", b"!", draw(st.integers(0, 3))) + draw(
            st.sampled_from((b"", b"=", b"==", b"=\r\n", b"=ZZ", b"=4", b"\x00", b"====", b"A"))
        )
    if sound and cte.lower() == "base64" and base64_problem(payload):
        # Base64 that decoders read differently is refused by intake (issue 20): not sound.
        payload = base64.encodebytes(payload)
    headers = [f"Content-Type: {ctype}; charset={charset}", f"Content-Transfer-Encoding: {cte}"]
    if draw(st.booleans()):
        headers.append(
            draw(
                st.sampled_from(
                    (
                        "Content-Disposition: attachment",
                        "Content-Disposition: attachment; filename=",
                        "Content-Disposition: attachment; filename*=bogus''%ZZ%",
                        'Content-Disposition: inline; filename="a\x00b"',
                        "Content-Disposition: attachment; filename*0*=utf-8''a; filename*1=b; filename*5=c",
                        "Content-Disposition: ;;;",
                        'Content-Disposition: attachment; filename="' + "n" * 500 + '"',
                    )
                )
            )
        )
    return "\r\n".join(headers).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + payload, ""


# --- trees -----------------------------------------------------------------------------------


def _boundary(depth: int, index: int) -> str:
    return f"=_b{depth}_{index}"


@st.composite
def mime_tree(
    draw, depth: int = 0, ssn: bool = False, max_depth: int = 6, sound: bool = True
) -> tuple[bytes, str, int, int]:
    """(part bytes, where the SSN went, depth, leaf count)."""
    if depth >= max_depth or not draw(st.integers(0, 3)):
        if ssn or draw(st.booleans()):
            raw, where = draw(readable_leaf(ssn))
        else:
            raw, where = draw(odd_leaf(sound))
        return raw, where, depth, 1
    count = draw(st.integers(1, 4))
    carrier = draw(st.integers(0, count - 1)) if ssn else -1
    children = [draw(mime_tree(depth + 1, i == carrier, max_depth, sound)) for i in range(count)]
    subtype = draw(st.sampled_from(("mixed", "alternative", "related", "digest", "signed", "x-unknown")))
    if subtype == "digest":
        subtype = "mixed"  # digest children default to message/rfc822: not a place to hide text here
    boundary = _boundary(depth, draw(st.integers(0, 99)))
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child, *_ in children)
    body = b"preamble\r\n" + body + b"--" + boundary.encode() + b"--\r\nepilogue\r\n"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode()
    where = next((w for _, w, *_ in children if w), "")
    return head + b"\r\n\r\n" + body, where, max(c[2] for c in children), sum(c[3] for c in children)


def chain(depth: int, leaf: bytes = b"Content-Type: text/plain\r\n\r\nhello\r\n") -> bytes:
    """`depth` multiparts, each holding the next: nesting as deep as asked."""
    part = leaf
    for level in reversed(range(depth)):
        boundary = f"=_n{level}".encode()
        part = (
            b'Content-Type: multipart/mixed; boundary="'
            + boundary
            + b'"\r\n\r\n--'
            + boundary
            + b"\r\n"
            + part
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    return part


def wide(count: int) -> bytes:
    leaves = b"".join(b"--w\r\nContent-Type: text/plain\r\n\r\npart " + str(i).encode() + b"\r\n" for i in range(count))
    return b'Content-Type: multipart/mixed; boundary="w"\r\n\r\n' + leaves + b"--w--\r\n"


# --- headers ---------------------------------------------------------------------------------

odd_header_values = st.one_of(
    text_strategy,
    st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").decode("latin-1")),
    st.sampled_from(
        (
            "=?utf-8?b?U1NOIDUxMi00NC04NzIx?=",
            "=?x-bogus?q?=FF=FE?=",
            "=?utf-8?q?unterminated",
            "=?iso-8859-1?b?!!!?=",
            "(comment (nested (deep)))",
            '"unterminated',
            "<>",
            ";;;",
            "a" * 2000,
            "\t folded",
            "=?utf-8?B?" + "QUFB" * 300 + "?=",
            "=?unknown-8bit?q?a?=",
        )
    ),
)
# Free-text headers take any value; structured ones (addresses, dates, ids) may be refused
# when the email package cannot parse them, so only unsound messages get odd values there.
free_header_names = st.one_of(
    st.sampled_from(("Subject", "Comments", "Keywords", "X-Mailer")), st.from_regex(r"\AX-[A-Za-z0-9-]{1,20}\Z")
)
header_names = st.one_of(
    free_header_names,
    st.sampled_from(
        (
            "Reply-To",
            "Sender",
            "MIME-Version",
            "Message-ID",
            "In-Reply-To",
            "References",
            "Date",
            "Resent-From",
            "X-Postseal-Portal-Reply",
            "Content-ID",
            "Received",
            "Return-Path",
            "Disposition-Notification-To",
            "Cc",
            "Bcc",
            "To",
            "From",
        )
    ),
)
display_names = st.one_of(
    st.just(""),
    st.just(MARKER_NAME),
    st.text(max_size=20).map(lambda t: '"' + t.translate(LINE_BREAKS).replace('"', "").replace("\\", "") + '"'),
    st.sampled_from(("=?utf-8?q?Dr=2E_Chen?=", '"Chen, Dr."', '"Dr. \\"Q\\" Chen"', "=?x?q?a?=", "(c)")),
)


def encoded_word(name: str) -> str:
    """A display name as a sound mail program writes it: RFC 2047 when it is not ASCII (a
    raw 8-bit name that needs refolding is refused by intake: it cannot be stored)."""
    return name if name.isascii() else email.header.Header(name.strip('"'), "utf-8").encode(linesep="\r\n")


@st.composite
def address_list(
    draw, pool: tuple[str, ...], names: st.SearchStrategy[str] = display_names, sound: bool = False
) -> str:
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    out = []
    for address in chosen:
        name = draw(names)
        name = encoded_word(name) if sound else name
        out.append(f"{name} <{address}>" if name else address)
    return ", ".join(out)


@st.composite
def headers_block(
    draw, recipients: tuple[str, ...], sound: bool = True, from_names: st.SearchStrategy[str] = display_names
) -> list[bytes]:
    def value(strategy: st.SearchStrategy[str]) -> bytes:
        return draw(strategy).translate(LINE_BREAKS).encode("utf-8", "surrogateescape")

    lines = [
        f"From: {draw(address_list((SENDER,), from_names, sound))}".encode(),
        f"To: {draw(address_list(recipients, sound=sound))}".encode(),
        b"Subject: " + value(st.one_of(text_strategy, odd_header_values)),
    ]
    for _ in range(draw(st.integers(0, 4))):
        name = draw(free_header_names if sound else header_names)
        lines.append(name.encode() + b": " + value(odd_header_values))
    if draw(st.booleans()):
        lines.append(b"MIME-Version: 1.0")
    return lines


@st.composite
def well_formed(
    draw,
    recipients: tuple[str, ...] = (*INTERNAL, *EXTERNAL, TLS_PARTNER),
    max_depth: int = 6,
    sound: bool = True,
    from_names: st.SearchStrategy[str] = display_names,
) -> Built:
    """A message; `ssn_in` says where the held SSN is, if anywhere. When `sound`, its
    structure is too, and intake must accept it."""
    ssn = draw(st.booleans())
    tree, where, depth, parts = draw(mime_tree(0, ssn, max_depth, sound))
    if ssn and not where:
        where = "body"
    lines = draw(headers_block(recipients, sound, from_names))
    return Built(b"\r\n".join(lines) + b"\r\n" + tree + b"\r\n", where, depth, parts)


# --- breaking them -------------------------------------------------------------------------

TOKENS = (
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b"--",
    b"--=_b0_1--",
    b"=?utf-8?b?",
    b"?=",
    b"\x00",
    b"\xff\xfe",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Type: multipart/mixed\r\n",
    b'boundary=""',
    b'charset="x-bogus"',
    b"=\r\n",
    b"=ZZ",
    b";",
    b'"',
    b"\t",
    b" ",
    b":",
    b"From: <>\r\n",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"From: a@b\r\n",
    b"\x1b$B",
    b"<",
    b"@",
)


@st.composite
def mutated(draw, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 4))
        if op == 0 and data:
            del data[at : at + draw(st.integers(1, 64))]
        elif op == 1:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == 2:
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == 3 and data:
            start = draw(st.integers(0, len(data) - 1))
            data[at:at] = data[start : start + draw(st.integers(1, 200))]  # splice a copy
        elif data:
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def samples() -> st.SearchStrategy[bytes]:
    return st.sampled_from([p.read_bytes() for p in SAMPLES])


@st.composite
def any_message(
    draw, max_depth: int = 6, nesting: int = 60, from_names: st.SearchStrategy[str] = display_names
) -> bytes:
    """Anything a client could post: sound, broken, a mutated sample, deep, wide, or noise."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(well_formed(max_depth=max_depth, sound=False, from_names=from_names)).raw
    if kind == 1:
        return draw(mutated(draw(well_formed(max_depth=max_depth, sound=False, from_names=from_names)).raw))
    if kind == 2:
        return draw(mutated(draw(samples())))
    head = f"From: {SENDER}\r\nTo: {EXTERNAL[0]}\r\nSubject: {MARKER_NAME}\r\nMIME-Version: 1.0\r\n".encode()
    if kind == 3:
        return head + chain(draw(st.integers(1, nesting)))
    if kind == 4:
        return head + wide(draw(st.integers(0, 700)))
    return draw(st.binary(max_size=300))
