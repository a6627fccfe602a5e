"""The Agent's history (one room of the service, mixed into `Agent`): the audit log paged and
filtered for the tray, verified, exported for an auditor; the secure replies collected from
the portal. Verify and export read the whole log: an async caller runs them in a thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent import audit_evidence, replies
from agent.audit import AuditLog, VerifyResult
from agent.outbox import Outbox


@dataclass(frozen=True)
class AuditPage:
    records: list[dict[str, Any]]
    total: int  # records that pass the filter, on every page


@dataclass(frozen=True)
class AuditFilter:
    since: float = 0.0
    until: float = float("inf")
    recipient: str = ""  # any part of an address, any case
    method: str = ""
    event: str = ""

    def __bool__(self) -> bool:
        return bool(self.since or self.until != float("inf") or self.recipient or self.method or self.event)

    def passes(self, record: dict[str, Any]) -> bool:
        recipient = self.recipient.lower()
        return (
            self.since <= _when(record) <= self.until
            and (not recipient or any(recipient in a.lower() for a in record.get("recipients", [])))
            and (not self.method or self.method in _methods(record))
            and (not self.event or record.get("event") == self.event)
        )


class AuditRecords:
    """The log's records, re-read only when the file changed (the tray pages through 50,000)."""

    def __init__(self) -> None:
        self._stamp: tuple[int, int] | None = None
        self._records: list[dict[str, Any]] = []

    def of(self, log: AuditLog) -> list[dict[str, Any]]:
        try:
            stat = log.path.stat()
        except FileNotFoundError:
            return []
        stamp = (stat.st_size, stat.st_mtime_ns)
        if stamp != self._stamp:
            self._records, self._stamp = log.records(), stamp
        return self._records


class HistoryMethods:
    audit: AuditLog  # set by the class this is mixed into
    outbox: Outbox
    audit_records: AuditRecords

    def audit_page(self, limit: int, offset: int | None = None, where: AuditFilter | None = None) -> AuditPage:
        """Records oldest first. Without offset: the last `limit` (the first version's meaning);
        with offset: a page of the records that pass `where`."""
        records = self.audit_records.of(self.audit)
        if where:
            records = [r for r in records if where.passes(r)]
        page = records[-limit:] if offset is None else records[max(0, offset) : max(0, offset) + limit]
        return AuditPage(page, len(records))

    def verify_audit(self) -> VerifyResult:
        """The log as this agent has written it so far: what the signer thread has not signed yet
        is signed first (blocks: called off the event loop), so a check right after the outbox
        drains does not depend on how soon that thread ran. A disk that refuses leaves the head
        as it is, and the records after it are reported unsigned."""
        try:
            self.audit.checkpoint()
        except OSError:
            pass  # the worker's checkpoints report it (audit_problem); verify says what is on disk
        return self.audit.verify()

    def export_audit(self, fmt: str) -> str:
        """csv, or json: the signed export an auditor verifies away from the agent
        (agent/audit_evidence.py). Raises audit_evidence.NotIntact."""
        return audit_evidence.export_text(self.audit, fmt)

    def secure_replies(self) -> list[replies.Reply]:
        """The secure replies collected from the portal, newest first (the tray's Secure replies)."""
        return replies.listed(self.outbox, replies.reply_ids(self.audit_records.of(self.audit)))

    def secure_reply(self, ident: str) -> replies.Reply | None:
        """One secure reply with its text and attachments: read here, never logged."""
        return replies.read(self.outbox, ident, replies.reply_ids(self.audit_records.of(self.audit)))


def _when(record: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(record["time"]).timestamp()
    except (KeyError, ValueError):
        return 0.0


def _methods(record: dict[str, Any]) -> set[str]:
    method = record.get("method")
    if isinstance(method, dict):
        return set(method.values())
    return {method} if method else set()
