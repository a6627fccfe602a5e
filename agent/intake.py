"""Intake: turn submitted bytes into a message we are sure we understand, or say why not.

The standard library's parser is lenient by design (it records defects and goes on). We are
not: a message whose structure we cannot be sure of could hide content from inspection, so
structural defects, missing senders and unparsable addresses are refused with a reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email import errors, policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid

from agent import transfer_encoding

MAX_MESSAGE_BYTES = 50 * 1024 * 1024  # above Exchange's 35 MB default; bigger is refused
# Parts inside parts: a forward of a forward adds two. Real mail stays far below; hundreds of
# levels only make every reader of the tree (ours and the recipient's) recurse past its limit.
MAX_MIME_DEPTH = 40
_ADDRESS_HEADER_NAMES = {"from", "sender", "reply-to", "to", "cc", "bcc"}

# Defects that mean the MIME tree is not what it claims to be, and what to say about each:
# the header that is wrong, and where.
_FATAL_DEFECTS = {
    errors.NoBoundaryInMultipartDefect: "Content-Type header of {where}: multipart without a boundary parameter",
    errors.StartBoundaryNotFoundDefect: "Content-Type header of {where}: its boundary never starts a line of the body",
    errors.MultipartInvariantViolationDefect: "Content-Type header of {where}: multipart, but the body holds no parts",
    errors.MissingHeaderBodySeparatorDefect: "headers of {where}: a line that is not a header (no colon) comes "
    "before the blank line that ends them",
    errors.InvalidBase64CharactersDefect: "Content-Transfer-Encoding header of {where}: invalid base64",
}
_ADDRESS = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


class BadMessage(ValueError):
    """The submitted message cannot be accepted; the text says what and where."""


@dataclass(frozen=True)
class Intake:
    message: EmailMessage
    sender: str
    recipients: tuple[str, ...]  # envelope recipients, To + Cc + Bcc unless given explicitly
    message_id: str
    # The message as the outbox keeps it (message.as_bytes(), written once here to check it
    # reads back the same; nothing changes the message after intake, planning only reads it).
    stored: bytes = b""


def valid_address(address: str) -> bool:
    # isprintable() also refuses what the pattern lets through: control characters, no-break
    # spaces and the surrogates a raw 8-bit byte in a header decodes to, which no JSON answer,
    # audit record or SMTP envelope can carry (RFC 6531 addresses are printable UTF-8).
    return bool(_ADDRESS.match(address)) and len(address) <= 254 and address.isprintable()


def _is_text(value: str) -> bool:
    """No lone surrogates: what JSON's "\\ud800" or undecodable bytes leave in a str."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utf8_headers(message: EmailMessage) -> None:
    """Address headers written in raw 8-bit bytes (RFC 6532) are read by the parser as
    undecodable, and their display names then break every copy the agent writes. UTF-8 is
    decoded here and the header set again, so it leaves RFC 2047-encoded; any other bytes
    are refused now, naming the header, rather than failing for days in the outbox."""
    items = list(message.raw_items())
    repaired: dict[int, str] = {}
    for index, (name, value) in enumerate(items):
        if name.lower() not in _ADDRESS_HEADER_NAMES or _is_text(value):
            continue
        data = value.encode("ascii", "surrogateescape")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadMessage(
                f"{name} header: not valid UTF-8 (byte 0x{data[exc.start]:02x} at {exc.start}); "
                "write the name in UTF-8 or leave it out"
            ) from None
        repaired[index] = re.sub(r"\r?\n(?=[ \t])", "", text).strip()
    if not repaired:
        return
    # Rebuilt in the order they came, the others exactly as they were.
    for name in {name.lower() for name, _ in items}:
        del message[name]
    for index, (name, value) in enumerate(items):
        if index in repaired:
            try:
                message[name] = repaired[index]
            except ValueError as exc:  # "There may be at most 1 To headers in a message"
                raise BadMessage(f"{name} header: {exc}") from None
        else:
            message.set_raw(name, value)


def _depth(message: EmailMessage) -> int:
    """How deep parts nest, counted without recursion."""
    deepest, stack = 0, [(message, 1)]
    while stack:
        part, level = stack.pop()
        deepest = max(deepest, level)
        if part.is_multipart() and level <= MAX_MIME_DEPTH:
            stack.extend((child, level + 1) for child in part.get_payload())
    return deepest


def _read_headers(message: EmailMessage) -> None:
    """Parse every header of every part now, so nothing later meets one that cannot be read.

    The standard library parses a header lazily, on each access, and on some malformed
    values ("a@[", a stray quote after a comma, a broken encoded word) raises AttributeError
    or IndexError instead of recording a defect. The result is deterministic, so a header read
    once here is read the same way by inspection, routing and the audit."""
    for part in message.walk():
        for name in part.keys():
            try:
                for value in part.get_all(name, []):
                    str(value)
            except Exception:  # noqa: BLE001 - the header parser's errors have no common type
                where = "" if part is message else f" of part {part.get_content_type()}"
                raise BadMessage(f"{name} header{where} cannot be parsed: {_syntax(name)}") from None


def _syntax(name: str) -> str:
    """What a header that failed to parse should look like (never its value: a Subject may
    hold what the message must not show in a log or an SMTP reply)."""
    lower = name.lower()
    if lower in _ADDRESS_HEADER_NAMES:
        return 'write each address as name@domain or "Display Name" <name@domain>, with no line break in a name'
    if lower in ("message-id", "in-reply-to", "references"):
        return "a message id is written <left@right>, without brackets or spaces inside"
    return "an encoded word or a quoted string in it is broken; send it again from a mail program"


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_BOUNDARY_PARAM = re.compile(r";\s*boundary\s*=", re.IGNORECASE)


def _where(part: EmailMessage, message: EmailMessage) -> str:
    return "message" if part is message else f"part {part.get_content_type()}"


def _one_reading(message: EmailMessage) -> None:
    """Refuse parts that readers may take apart differently, so that what inspection reads is
    what the recipient's program shows: two Content-Type or Content-Transfer-Encoding headers
    that disagree, or two boundary parameters (the package takes the first, other readers the
    last: a text/plain first and a multipart second has us scan base64 letters where the
    reader opens a zip), and base64
    that decoders read differently (characters outside the alphabet, data after the padding).
    The package notices invalid base64 only when it decodes, and then decodes around it; it
    is checked here, strictly. Two Content-Disposition headers are let through: both readings
    of the part are inspected alike (a disposition only names and places it)."""
    for part in message.walk():
        types = part.get_all("Content-Type", [])
        if transfer_encoding.disagree(types):
            raise BadMessage(
                f"Content-Type header: given {len(types)} times with different values in "
                f"{_where(part, message)}; a message says once what each part is"
            )
        if types and len(_BOUNDARY_PARAM.findall(_QUOTED.sub('""', str(types[0])))) > 1:
            # The package takes the first boundary, other readers the last: two trees of parts.
            raise BadMessage(
                f"Content-Type header of {_where(part, message)}: boundary given twice; a multipart has one boundary"
            )
        encodings = part.get_all("Content-Transfer-Encoding", [])
        if transfer_encoding.disagree(encodings):
            raise BadMessage(
                f"Content-Transfer-Encoding header given {len(encodings)} times with different values in "
                f"{_where(part, message)}; a message says once how each part is encoded"
            )
        cte, _ = transfer_encoding.mechanism(part)
        if cte == "base64" and not part.is_multipart():
            invalid = transfer_encoding.base64_problem(transfer_encoding.raw_body(part))
            if invalid:
                raise BadMessage(
                    f"Content-Transfer-Encoding header: the body of {_where(part, message)} is declared "
                    f"base64 but is {invalid}; send it again from a mail program that encodes it"
                )


def _outline(message: EmailMessage) -> list[tuple[str, tuple[str, ...]]]:
    return [(part.get_content_type(), tuple(k.lower() for k in part.keys())) for part in message.walk()]


def _stored_as_read(message: EmailMessage) -> bytes:
    """The outbox keeps the message as the email package writes it out; refuse a message that
    would come back with other headers or parts than the ones just inspected.

    The package refolds headers with str.splitlines(), which also breaks at vertical tab,
    form feed, the file/group/record separators, NEL and the Unicode line separators: a
    Subject carrying a vertical tab and then "Content-Transfer-Encoding: base64" is one header
    when inspected and two once stored, and the body the recipient decodes is not the one
    policy read."""
    try:
        stored = message.as_bytes()
    except UnicodeError:  # raw 8-bit bytes in a header it must refold: it cannot write them back
        raise BadMessage(
            "a header holds raw 8-bit bytes (not RFC 2047 encoded) that cannot be stored as "
            "submitted; send it again from a mail program that encodes its headers"
        ) from None
    again = BytesParser(policy=policy.default).parsebytes(stored)
    if _outline(again) != _outline(message) or any(
        isinstance(d, tuple(_FATAL_DEFECTS)) for part in again.walk() for d in part.defects
    ):
        raise BadMessage(
            "the message would change when stored: a header holds a line break (vertical tab, "
            "form feed or a Unicode line separator); remove it and send again"
        )
    return stored


def _addresses(message: EmailMessage, header: str) -> list[str]:
    # The structured headers of policy.default, not email.utils.getaddresses: the latter
    # changed behaviour with the CVE-2023-27043 fix, and Python builds differ on it.
    out = []
    for value in message.get_all(header, []):
        for address in getattr(value, "addresses", ()):
            if not valid_address(address.addr_spec):
                shown = address.addr_spec if address.addr_spec not in ("", "<>") else str(value)
                raise BadMessage(f"{header} header: {shown.strip(chr(34))!r} is not a valid e-mail address")
            out.append(address.addr_spec)
    return out


def parse(raw: bytes, envelope_recipients: list[str] | None = None) -> Intake:
    if not raw.strip():
        raise BadMessage("message is empty")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise BadMessage(
            f"message is {len(raw) // (1024 * 1024)} MB; the limit is {MAX_MESSAGE_BYTES // (1024 * 1024)} MB"
        )
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:  # the parser recurses per level of parts
        raise BadMessage(f"malformed MIME: parts nested deeper than {MAX_MIME_DEPTH} levels") from None
    if not message.keys():
        raise BadMessage("no RFC 822 headers found at the start of the message")
    if _depth(message) > MAX_MIME_DEPTH:
        raise BadMessage(f"malformed MIME: parts nested deeper than {MAX_MIME_DEPTH} levels")
    for part in message.walk():
        if part.get_content_maintype() == "message" and part.is_multipart():
            # RFC 2046 §5.2.1: an enclosed message is never transfer-encoded. The parser reads
            # one that is as if it were not, so its headers are base64 letters: say so.
            cte, _ = transfer_encoding.mechanism(part)
            if cte not in transfer_encoding.IDENTITY:
                raise BadMessage(
                    f"Content-Transfer-Encoding header of part {part.get_content_type()}: {cte[:40]!r}, "
                    "but an enclosed message may only be 7bit, 8bit or binary (RFC 2046 5.2.1); attach "
                    "it as a file instead"
                )
        for defect in part.defects:
            for kind, text in _FATAL_DEFECTS.items():
                if isinstance(defect, kind):
                    raise BadMessage("malformed MIME: " + text.format(where=_where(part, message)))
    _read_headers(message)
    _one_reading(message)
    if message.get_content_maintype() == "multipart" and not message.get_boundary():
        raise BadMessage("malformed MIME: multipart message without a boundary")
    _utf8_headers(message)

    senders = _addresses(message, "From")
    if len(senders) != 1:
        raise BadMessage("From header: exactly one sender address is required")
    sender = senders[0]

    if envelope_recipients is not None:
        for address in envelope_recipients:
            if not valid_address(address):
                raise BadMessage(f"recipient {address!r} is not a valid e-mail address")
        recipients = list(envelope_recipients)
    else:
        recipients = [a for h in ("To", "Cc", "Bcc") for a in _addresses(message, h)]
    unique = tuple(dict.fromkeys(a.strip() for a in recipients))
    if not unique:
        raise BadMessage("no recipients: the message has no To, Cc or Bcc address")

    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    if "Date" not in message:
        message["Date"] = formatdate(localtime=True)
    stored = _stored_as_read(message)
    message_id = str(message["Message-ID"]).strip().strip("<>").strip()
    if not (message_id.isascii() and message_id.isprintable()):
        # RFC 5322 3.6.4: a msg-id is printable ASCII. Ours travels on in every protected copy
        # and notice, and is the key that makes a resubmission idempotent.
        raise BadMessage(f"Message-ID header: {message_id[:80]!r} is not printable ASCII")
    return Intake(message, sender, unique, message_id, stored)


def content_digest(stored: bytes, recipients: Iterable[str]) -> str:
    """What makes a resubmission "the same message": its bytes as the outbox keeps them,
    without the Date header (a client that lost our answer may send a fresh one; intake
    fills in a missing one at each try), line endings normalised, and the envelope
    recipients as a set. Two submissions with one Message-ID and the same digest are one
    message sent twice; with different digests, two messages (service.MessageIdReused)."""
    head, _, body = stored.replace(b"\r\n", b"\n").partition(b"\n\n")
    kept, in_date = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # continuation of the header before
            if not in_date:
                kept.append(line)
            continue
        in_date = line[:5].lower() == b"date:"
        if not in_date:
            kept.append(line)
    digest = hashlib.sha256(b"\n".join(kept) + b"\n\n" + body)
    digest.update(b"\0" + "\n".join(sorted({r.lower() for r in recipients})).encode("utf-8"))
    return digest.hexdigest()


def without_bcc(message: EmailMessage) -> EmailMessage:
    """The copy that leaves: Bcc recipients are never disclosed to the others (RFC 5322 §3.6.3)."""
    if "Bcc" not in message:
        return message
    clone = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    del clone["Bcc"]
    return clone
