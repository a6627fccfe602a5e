"""Secure replies as the tray shows them: frozen views of GET /v1/replies (standard library only)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReplyFile:
    filename: str
    content_type: str
    data: bytes

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReplyFile:
        return cls(
            str(data.get("filename") or "attachment"),
            str(data.get("content_type") or ""),
            base64.b64decode(str(data.get("data") or "")),
        )


@dataclass(frozen=True)
class SecureReply:
    id: str
    sender: str
    subject: str
    received: float
    method: str
    state: str
    where: str = ""  # the delivery proof's line
    attachment_count: int = 0
    text: str = ""  # filled in by GET /v1/replies/{id}
    files: tuple[ReplyFile, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SecureReply:
        attachments = data.get("attachments")
        files = tuple(ReplyFile.from_json(a) for a in attachments) if isinstance(attachments, list) else ()
        count = len(files) if isinstance(attachments, list) else int(attachments or 0)
        return cls(
            str(data.get("id", "")),
            str(data.get("from", "")),
            str(data.get("subject") or ""),
            float(data.get("received") or 0),
            str(data.get("method", "")),
            str(data.get("state", "")),
            str(data.get("where") or ""),
            count,
            str(data.get("text") or ""),
            files,
        )

    def when(self, now: float | None = None) -> str:
        """The time today, the date before today."""
        stamp = time.localtime(self.received)
        today = time.localtime(now if now is not None else time.time())
        same_day = stamp.tm_yday == today.tm_yday and stamp.tm_year == today.tm_year
        return time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", stamp)

    def how(self) -> str:
        """Where else the clinician finds it, in their words."""
        if self.state != "delivered":
            in_flight = self.state in ("queued", "protecting", "sending", "deferred")
            return "Not yet: being delivered" if in_flight else "No: read it here"
        if self.method == "smime":
            return "Yes, encrypted (S/MIME)"
        if self.method in ("pgp", "internal"):  # replies collected by an earlier release
            return "Yes, encrypted (OpenPGP)" if self.method == "pgp" else "Yes"
        if "placed in your" in self.where:
            return "Yes, in your Inbox"
        return "No: read it here"
