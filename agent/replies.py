"""Secure replies as the clinician reads them in the tray (GET /v1/replies).

A reply collected from the portal (portal_sync.py) is a message in the outbox like any other:
sealed at rest there, and delivered by S/MIME or kept in the agent (routing.route_reply). The
audit's `portal_reply` record names its outbox id; that is how a reply is told apart from mail
the clinician wrote, without opening every message. Its content is read only here, for the
local API (loopback, token), and never written to a log or the audit.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes, policy
from typing import Any

from agent.outbox import MessageRow, Outbox
from agent.protect.entity import PORTAL_REPLY

MAX_LISTED = 500


@dataclass(frozen=True)
class ReplyAttachment:
    filename: str
    content_type: str
    data: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
            "data": base64.b64encode(self.data).decode("ascii"),
        }


@dataclass(frozen=True)
class Reply:
    id: str
    sender: str  # who replied (the recipient of the original message)
    subject: str
    received: float
    how: str  # the method: "smime" (in the clinician's mail program too) or "kept" (here, and maybe the Inbox)
    state: str
    where: str  # the delivery proof's line: where it went (e.g. "201 placed in your Gmail Inbox …")
    text: str
    attachments: tuple[ReplyAttachment, ...]

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.sender,
            "subject": self.subject,
            "received": self.received,
            "method": self.how,
            "state": self.state,
            "where": self.where,
            "attachments": len(self.attachments),
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.summary(), "text": self.text, "attachments": [a.to_json() for a in self.attachments]}


def reply_ids(records: Iterable[dict[str, Any]]) -> list[str]:
    """The outbox ids of the secure replies the audit recorded, newest first, each once."""
    seen: dict[str, None] = {}
    for record in records:
        if record.get("event") == "portal_reply" and record.get("message"):
            seen[str(record["message"])] = None
    return list(reversed(seen))[:MAX_LISTED]


def _reply(row: MessageRow, raw: bytes) -> Reply | None:
    message = message_from_bytes(raw, policy=policy.default)
    who = str(message.get(PORTAL_REPLY) or "")
    if not who:
        return None  # not a portal reply (an id the audit named for something else)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    attachments = tuple(
        ReplyAttachment(
            part.get_filename() or "attachment", part.get_content_type(), part.get_payload(decode=True) or b""
        )
        for part in message.iter_attachments()
    )
    first = row.recipients[0] if row.recipients else None
    return Reply(
        row.id,
        who,
        row.subject,
        row.created,
        str(first.method) if first else "",
        str(first.state) if first else str(row.state),
        str((first.proof or {}).get("reply", "")) if first else "",
        text,
        attachments,
    )


def read(outbox: Outbox, ident: str, known: Iterable[str]) -> Reply | None:
    """The reply `ident`, or None when it is not one of the secure replies in `known`."""
    if ident not in set(known):
        return None
    row = outbox.get(ident)
    return _reply(row, outbox.raw(ident)) if row is not None else None


def listed(outbox: Outbox, known: Iterable[str]) -> list[Reply]:
    out = []
    for ident in known:
        reply = read(outbox, ident, (ident,))
        if reply is not None:
            out.append(reply)
    return out
