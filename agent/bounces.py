"""Delivery status notifications (RFC 3464) that arrive after the relay said 250.

A relay accepts a copy, tries the recipient's server later and fails: the only news is a
bounce in the sender's inbox. Handed to the agent (`POST /v1/bounces`, `postseal bounce`),
it is parsed here into per-recipient statuses. Only the status fields are kept — action,
status code, the remote server's diagnostic line — never the returned message or its text:
a bounce quotes the original, PHI and all, and the outbox must not gain a plaintext copy.

The original is found by the envelope id we sent (ENVID, RFC 3461 §4.4, when the relay
offers DSN) and otherwise by the Message-ID in the returned headers.
"""

from __future__ import annotations

import base64
import binascii
import io
import quopri
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import HeaderParser

from agent import bounce_wording

ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")
WORDING = "no delivery-status report: the address was read from the bounce's text"
_LONGEST_FIELD = 300  # a diagnostic is one server reply line; more is noise or an attack


class NotADsn(ValueError):
    """The bytes are not a delivery status notification we can use."""


@dataclass(frozen=True)
class RecipientStatus:
    address: str  # Original-Recipient when given (what we sent to), else Final-Recipient
    final_address: str
    action: str  # one of ACTIONS
    status: str  # enhanced status code, "5.1.1"
    diagnostic: str  # "smtp; 550 5.1.1 User unknown", one line, bounded
    remote_mta: str

    @property
    def failed(self) -> bool:
        return self.action == "failed"

    def words(self, *, action: bool = False) -> str:
        """The status and the diagnostic (after the action, if asked), the empty ones left out:
        "5.1.1 smtp; 550 5.1.1 User unknown". The outbox reason and the audit use it."""
        return " ".join(filter(None, (self.action if action else "", self.status, self.diagnostic)))

    def to_json(self) -> dict[str, str]:
        return {
            "address": self.address,
            "action": self.action,
            "status": self.status,
            "diagnostic": self.diagnostic,
            "remote_mta": self.remote_mta,
        }


@dataclass(frozen=True)
class Report:
    envelope_id: str
    message_id: str  # of the original, without <>, from the returned headers; "" when not returned
    reporting_mta: str
    recipients: tuple[RecipientStatus, ...]
    source: str = "rfc3464"  # or "wording": no report, the failed addresses read from its text


def _field(block: Message, name: str) -> str:
    # raw_items, not get(): compat32 turns a header holding 8-bit bytes into U+FFFD, and an
    # SMTPUTF8 bounce's UTF-8 address would come back as replacement characters.
    values = [v for k, v in block.raw_items() if k.lower() == name.lower()]
    if not values:
        return ""
    text = values[0]
    if any("\udc80" <= c <= "\udcff" for c in text):  # bytes the parser kept as surrogates
        text = text.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    # Unfold, drop control characters, bound: the text comes from a server we do not know.
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    return " ".join(text.split())[:_LONGEST_FIELD]


def _status_code(value: str) -> str:
    """RFC 3464 §2.3.4: status-code = DIGIT "." 1*3DIGIT "." 1*3DIGIT; the field may carry an
    RFC 822 comment (`5.0.0 (permanent failure)`), which is not part of the code."""
    words = re.sub(r"\([^()]*\)", " ", value).split()
    return words[0] if words and re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", words[0]) else ""


def _address(typed: str) -> str:
    """`rfc822; bob@example.org` → bob@example.org; `utf-8; b\\x{F6}b@…` decoded (RFC 6533)."""
    kind, _, value = typed.partition(";")
    value = value.strip()
    if kind.strip().lower() == "utf-8":
        value = re.sub(r"\\x\{([0-9A-Fa-f]{1,6})\}", lambda m: chr(int(m.group(1), 16)), value)
    return value.strip("<>").lower()


def _status_part(message: Message) -> Message:
    if message.get_content_type() != "multipart/report":
        raise NotADsn(f"expected a multipart/report, got {message.get_content_type()}")
    report_type = (message.get_param("report-type") or "").lower()
    if report_type != "delivery-status":
        raise NotADsn(f"the report is {report_type or 'untyped'}, not delivery-status (RFC 3464)")
    for part in message.get_payload():
        if isinstance(part, Message) and part.get_content_type() in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            return part
    raise NotADsn("the report has no message/delivery-status part")


def _original_message_id(message: Message) -> str:
    for part in message.walk():  # a report's parts, or the parts of a bounce that is no report
        kind = part.get_content_type()
        if kind not in ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers"):
            continue
        # The parser reads every message/* part as a message (message/global-headers too);
        # text/rfc822-headers stays text.
        inner = part.get_payload()
        if isinstance(inner, list):
            headers = inner[0] if inner else None
        else:
            text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
            headers = HeaderParser(policy=policy.compat32).parsestr(text)
        if headers is not None and headers.get("Message-ID"):
            return _field(headers, "Message-ID").strip("<> ")  # stored without <>, as intake does
    return ""


def _status_text(part: Message) -> str:
    """The status part's text, decoded. message/global-delivery-status (RFC 6533) is UTF-8 and
    may be base64 or quoted-printable encoded, yet the parser takes it for an ordinary message/*
    part and parses its text as one message: flattened back, it is the text as sent."""
    payload = part.get_payload()
    if isinstance(payload, list):
        out = io.BytesIO()
        for inner in payload:
            if isinstance(inner, Message):
                BytesGenerator(out, mangle_from_=False, maxheaderlen=0).flatten(inner)
                out.write(b"\n")
        data = out.getvalue()
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        try:
            if encoding == "base64":
                data = base64.b64decode(b"".join(data.split()), validate=True)
            elif encoding == "quoted-printable":
                data = quopri.decodestring(data)
        except binascii.Error:
            raise NotADsn("the delivery-status part's base64 is invalid") from None
    else:
        data = part.get_payload(decode=True) or b""
    return data.decode("utf-8", "replace")


def _blocks(part: Message) -> list[Message]:
    """The status part's field groups, empty ones dropped.

    RFC 3464 §2.1: per-message fields, a blank line, then one group per recipient. Many real
    relays (Amazon SES, Exchange 2007, Office 365, ...) end the part with another blank line,
    which is not a recipient lacking its fields but no group at all.
    """
    groups = [
        HeaderParser(policy=policy.compat32).parsestr(chunk.strip("\r\n") + "\n")
        for chunk in re.split(r"\r?\n[ \t]*\r?\n", _status_text(part))
    ]
    return [block for block in groups if block.keys()]


def parse(raw: bytes) -> Report:
    """An RFC 3464 report, read here; any other bounce — no report, or a malformed one (a
    misspelt field, the returned headers run into the status part) — read by its wording
    (agent/bounce_wording.py). Raises NotADsn naming what is missing when neither reads it."""
    message = message_from_bytes(raw, policy=policy.compat32)
    try:
        return _report(message)
    except NotADsn as refused:
        failed, delayed = bounce_wording.failures(raw)
        if not failed and not delayed:
            raise NotADsn(f"{refused}, and its text names no failed recipient") from None
    recipients = [RecipientStatus(a, a, "failed", "", WORDING, "") for a in failed]
    recipients += [RecipientStatus(a, a, "delayed", "", WORDING, "") for a in delayed]
    message_id = _original_message_id(message) or bounce_wording.quoted_message_id(message)
    return Report("", message_id, "", tuple(recipients), source="wording")


def _report(message: Message) -> Report:
    blocks = _blocks(_status_part(message))
    if not blocks:
        raise NotADsn("the delivery-status part is empty")
    # Some relays (AOL) leave out the blank line between the per-message fields and the first
    # recipient's: a group naming a Final-Recipient is a recipient's wherever it stands.
    per_message = blocks[0]
    per_recipient = [block for block in blocks if _field(block, "Final-Recipient")]
    if not per_recipient and len(blocks) > 1:
        raise NotADsn("a recipient block lacks Final-Recipient or a valid Action")
    if not per_recipient:
        raise NotADsn("the delivery-status part has no per-recipient fields")
    if any(not _field(block, "Final-Recipient") for block in blocks[1:]):
        raise NotADsn("a recipient block lacks Final-Recipient or a valid Action")
    recipients = []
    for block in per_recipient:
        final = _address(_field(block, "Final-Recipient"))
        action = _field(block, "Action").lower().split(" ")[0]
        if not final or action not in ACTIONS:
            raise NotADsn("a recipient block lacks Final-Recipient or a valid Action")
        original = _address(_field(block, "Original-Recipient"))
        recipients.append(
            RecipientStatus(
                original or final,
                final,
                action,
                _status_code(_field(block, "Status")),
                _field(block, "Diagnostic-Code"),
                _field(block, "Remote-MTA"),
            )
        )
    return Report(
        _field(per_message, "Original-Envelope-Id"),
        _original_message_id(message),
        _field(per_message, "Reporting-MTA"),
        tuple(recipients),
    )
