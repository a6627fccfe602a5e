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

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser

ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")
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

    def to_json(self) -> dict[str, str]:
        return {"address": self.address, "action": self.action, "status": self.status,
                "diagnostic": self.diagnostic, "remote_mta": self.remote_mta}


@dataclass(frozen=True)
class Report:
    envelope_id: str
    message_id: str  # of the original, without <>, from the returned headers; "" when not returned
    reporting_mta: str
    recipients: tuple[RecipientStatus, ...]


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    if value is None:
        return ""
    # Unfold, drop control characters, bound: the text comes from a server we do not know.
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value))
    return " ".join(text.split())[:_LONGEST_FIELD]


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
        if isinstance(part, Message) and part.get_content_type() in ("message/delivery-status",
                                                                     "message/global-delivery-status"):
            return part
    raise NotADsn("the report has no message/delivery-status part")


def _original_message_id(message: Message) -> str:
    for part in message.get_payload():
        if not isinstance(part, Message):
            continue
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            headers = inner[0] if isinstance(inner, list) and inner else None
        elif kind in ("text/rfc822-headers", "message/global-headers"):
            headers = HeaderParser(policy=policy.compat32).parsestr(part.get_payload(decode=True).decode("utf-8", "replace"))
        else:
            continue
        if headers is not None and headers.get("Message-ID"):
            return _field(headers, "Message-ID").strip("<> ")  # stored without <>, as intake does
    return ""


def parse(raw: bytes) -> Report:
    """Raises NotADsn naming what is missing."""
    message = message_from_bytes(raw, policy=policy.compat32)
    blocks = _status_part(message).get_payload()
    if not isinstance(blocks, list) or len(blocks) < 2:
        raise NotADsn("the delivery-status part has no per-recipient fields")
    per_message, per_recipient = blocks[0], blocks[1:]
    recipients = []
    for block in per_recipient:
        final = _address(_field(block, "Final-Recipient"))
        action = _field(block, "Action").lower().split(" ")[0]
        if not final or action not in ACTIONS:
            raise NotADsn("a recipient block lacks Final-Recipient or a valid Action")
        original = _address(_field(block, "Original-Recipient"))
        recipients.append(RecipientStatus(
            original or final, final, action, _field(block, "Status"),
            _field(block, "Diagnostic-Code"), _field(block, "Remote-MTA")))
    return Report(_field(per_message, "Original-Envelope-Id"), _original_message_id(message),
                  _field(per_message, "Reporting-MTA"), tuple(recipients))
