"""Make a copy's To/Cc/Bcc name only the recipients that copy is for.

Over SMTP the envelope decides who gets a copy and the headers are only what recipients
see. The Gmail API sends to "the recipients in the To, Cc, and Bcc headers" (gmail.v1
discovery, users.messages.send), and Graph's MIME send does the same: a verified-TLS copy
whose headers still listed a portal recipient would reach that recipient in clear. So before
an API transport sends a copy, its To and Cc keep only the copy's own recipients (display
names kept), a recipient not named there (a Bcc) goes into Bcc, which the provider strips,
and every other address disappears. The body's bytes are not touched (an OpenPGP or
S/MIME body must stay exactly as signed).
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.policy import SMTP
from email.utils import formataddr, getaddresses

_FOLDED = re.compile(rb"\r\n[ \t]")


def _header_blocks(head: bytes) -> list[bytes]:
    blocks: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and blocks:
            blocks[-1] += b"\r\n" + line
        else:
            blocks.append(line)
    return blocks


def _render(name: str, pairs: list[tuple[str, str]]) -> bytes:
    rendered = ", ".join(formataddr((display, address), charset="utf-8") for display, address in pairs)
    # Fold long lists the way the email package would (RFC 5322 §2.2.3).
    header = SMTP.header_factory(name, rendered)
    return SMTP.fold_binary(name, header).rstrip(b"\r\n")


def for_recipients(data: bytes, recipients: list[str]) -> bytes:
    """`data` (CRLF line ends) with To/Cc/Bcc limited to `recipients`."""
    wanted = {r.lower() for r in recipients}
    head, sep, body = data.partition(b"\r\n\r\n")
    kept: list[bytes] = []
    named: set[str] = set()
    fields: dict[str, list[tuple[str, str]]] = {"to": [], "cc": []}
    position: int | None = None
    for block in _header_blocks(head):
        name = block.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        if name in ("to", "cc", "bcc"):
            if position is None:
                position = len(kept)
            if name == "bcc":
                continue
            value = _FOLDED.sub(b" ", block.split(b":", 1)[1]).decode("utf-8", "replace")
            for display, address in getaddresses([value]):
                if address.lower() in wanted and address.lower() not in named:
                    fields[name].append((display, address))
                    named.add(address.lower())
            continue
        kept.append(block)
    hidden = [("", r) for r in recipients if r.lower() not in named]
    new = [_render(label, fields[key]) for key, label in (("to", "To"), ("cc", "Cc")) if fields[key]]
    if hidden:
        new.append(_render("Bcc", hidden))
    at = len(kept) if position is None else position
    kept[at:at] = new
    return b"\r\n".join(kept) + sep + body


def addresses_in(data: bytes, header: str) -> list[str]:
    """The addresses a header names (for tests and checks)."""
    head = data.partition(b"\r\n\r\n")[0]
    values = [
        _FOLDED.sub(b" ", b.split(b":", 1)[1]).decode("utf-8", "replace")
        for b in _header_blocks(head)
        if b.split(b":", 1)[0].strip().lower() == header.lower().encode()
    ]
    return [Address(addr_spec=a).addr_spec.lower() for _, a in getaddresses(values) if a]
