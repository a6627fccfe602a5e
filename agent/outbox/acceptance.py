"""Acceptance into the outbox: new messages, stored durably, many in one commit.

A 202 (or SMTP 250) promises the message survives power loss, so acceptance commits with
`synchronous=FULL`: the commit waits for the disk (Postfix's rule: never acknowledge what is
not on disk). That wait is the price of an acceptance, and it is paid once per group, not per
message: `accept_many` stores every message handed to it in one transaction, one fsync, and
answers each only after that commit (agent/outbox/group_commit.py gathers the messages that
arrive while the previous commit runs). Each message is written under a savepoint of its own,
so one that cannot be stored (its Message-ID already there) is answered alone and the others
are kept; a commit that fails (a full disk) answers all of them that nothing was accepted.

It writes through a connection of its own, always FULL, used from one thread at a time (the
group commit's), so the event loop's connection never sees a transaction half-way and is
not held up by its fsync unless it writes at that moment (the shared lock in transaction.py).
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from agent.model import Plan, State
from agent.outbox.rows import Duplicate, StorageUnavailable
from agent.outbox.sealing import Sealer
from agent.outbox.transaction import Transaction
from agent.outbox.webhook_queue import WebhookQueue


@dataclass(frozen=True)
class Submission:
    """One message to accept. Held messages keep their reason; `callback` is (url, secret);
    `digest` (intake.content_digest) tells a resubmission from a reused Message-ID."""

    raw: bytes
    message_id: str
    plan: Plan
    held_reason: str = ""
    callback: tuple[str, str] | None = None
    subject: str = ""
    digest: str = ""


class Acceptance:
    def __init__(self, path: Path, sealer: Sealer, writing: threading.Lock) -> None:
        self.path = path
        self.sealer = sealer
        self.writing = writing
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # WAL mode belongs to the database file (the outbox set it); this connection only ever
        # accepts, so it is FULL for good: its commits wait for the disk.
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.webhooks = WebhookQueue(self.db, sealer)

    def close(self) -> None:
        self.db.close()

    def accept_many(self, items: list[Submission]) -> list[str | Exception]:
        """Store `items` in one durable commit; for each, its new outbox id, or the exception
        that refused it (Duplicate, StorageUnavailable, ...). Returns only after the commit."""
        results: list[str | Exception] = []
        try:
            with Transaction(self.db, self.writing):
                for item in items:
                    results.append(self._one(item))
        except sqlite3.OperationalError as exc:
            # Refuse rather than half-accept: nothing was committed, each sender is told now.
            return [self._unavailable(exc) for _ in items]
        return results

    def _one(self, item: Submission) -> str | Exception:
        ident = secrets.token_hex(8)
        self.db.execute("SAVEPOINT one")
        try:
            self._insert(ident, item)
        except sqlite3.OperationalError:
            raise  # the disk, not this message: the whole group is refused (accept_many)
        except Exception as exc:  # noqa: BLE001 - this message is answered with it, the others go on
            self.db.execute("ROLLBACK TO one")
            self.db.execute("RELEASE one")
            if isinstance(exc, sqlite3.IntegrityError):
                return self._duplicate(item) or exc
            return exc
        self.db.execute("RELEASE one")
        return ident

    def _duplicate(self, item: Submission) -> Duplicate | None:
        """(Message-ID, sender) already in the outbox, maybe accepted in this same group: a
        client that lost our 202 and submits again must not cause a second delivery. The
        unique index makes this hold under concurrent submissions."""
        existing = self.db.execute(
            "SELECT id, digest FROM messages WHERE message_id=? AND sender=?", (item.message_id, item.plan.sender)
        ).fetchone()
        if existing is None:
            return None
        digest = self.sealer.keyed(item.digest) if item.digest else None
        same = hmac.compare_digest(existing[1], digest) if existing[1] and digest else None
        return Duplicate(existing[0], same)

    def _unavailable(self, exc: sqlite3.OperationalError) -> StorageUnavailable:
        why = {
            "database or disk is full": "the disk is full",
            "attempt to write a readonly database": "the data directory is read-only",
        }.get(str(exc), str(exc))
        return StorageUnavailable(
            f"cannot store new messages in {self.path.parent}: {why}; nothing was accepted "
            "(messages already in the outbox are kept). Free disk space or make the folder writable."
        )

    def _insert(self, ident: str, item: Submission) -> None:
        now = time.time()
        plan, held_reason = item.plan, item.held_reason
        state = State.HELD if held_reason else State.QUEUED
        self.db.execute(
            "INSERT INTO messages (id, message_id, sender, created, updated, state, reason, plan, content,"
            " next_due, subject, digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                ident,
                item.message_id,
                plan.sender,
                now,
                now,
                state,
                held_reason,
                self.sealer.seal_plan(ident, plan.to_json()),
                self.sealer.seal(item.raw, f"message:{ident}"),
                None if held_reason else 0.0,
                self.sealer.seal(item.subject.encode(), f"subject:{ident}"),
                self.sealer.keyed(item.digest) if item.digest else None,
            ),
        )
        self.db.executemany(
            "INSERT INTO recipients (message, address, method, state, reason, updated) VALUES (?,?,?,?,?,?)",
            [(ident, r.address, str(r.method), state, held_reason, now) for r in plan.recipients],
        )
        if item.callback:
            url, secret = item.callback
            self.webhooks.register(ident, url, secret)
            if held_reason:
                for r in plan.recipients:
                    self.webhooks.queue_event(ident, r.address, state, held_reason, now)
