"""The read side of the outbox: every query that changes nothing.

`Outbox` (store.py) is an `OutboxReader` that also writes; these methods only read its SQLite
database and open what is sealed in it (content, subjects, plans, copies), so they can be read
apart from the state moves and their transactions.
"""

from __future__ import annotations

import json
import sqlite3

from agent.model import Method, ProtectedCopy, RecipientPlan, State
from agent.outbox.rows import PAUSED, MessageRow, RecipientRow
from agent.outbox.sealing import Sealer


class OutboxReader:
    def __init__(self, db: sqlite3.Connection, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    # --- finding ------------------------------------------------------------------------
    def find_by_message_id(self, message_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM messages WHERE message_id=?", (message_id,))]

    def failed_since(self, since: float) -> list[str]:
        """Messages that ended failed and were updated after `since` (sender notices)."""
        return [
            r[0] for r in self.db.execute("SELECT id FROM messages WHERE state=? AND updated>=?", (State.FAILED, since))
        ]

    def find(self, message_id: str, sender: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM messages WHERE message_id=? AND sender=?", (message_id, sender)
        ).fetchone()
        return row[0] if row else None

    # --- reading ------------------------------------------------------------------------
    def raw(self, ident: str) -> bytes:
        (blob,) = self.db.execute("SELECT content FROM messages WHERE id=?", (ident,)).fetchone()
        return self.sealer.open(blob, f"message:{ident}")

    def copies(self, ident: str) -> list[ProtectedCopy]:
        rows = self.db.execute(
            "SELECT idx, method, recipients, key_fingerprint, portal_id, data FROM copies WHERE message=? ORDER BY idx",
            (ident,),
        ).fetchall()
        return [
            ProtectedCopy(
                Method(method), tuple(json.loads(rcpts)), self.sealer.open(data, f"copy:{ident}:{idx}"), fpr, pid
            )
            for idx, method, rcpts, fpr, pid, data in rows
        ]

    def portal_ids(self, since: float) -> list[str]:
        """The portal ids of copies of messages accepted since `since` (oldest first)."""
        return [
            r[0]
            for r in self.db.execute(
                "SELECT c.portal_id FROM copies c JOIN messages m ON m.id = c.message"
                " WHERE c.portal_id != '' AND m.created >= ? ORDER BY m.created",
                (since,),
            )
        ]

    def portal_copy(self, portal_id: str) -> tuple[str, ProtectedCopy] | None:
        """The outbox message and the portal copy (its notice holds the link) for a portal id."""
        row = self.db.execute(
            "SELECT message, idx, recipients, data FROM copies WHERE portal_id=?", (portal_id,)
        ).fetchone()
        if row is None:
            return None
        ident, idx, rcpts, data = row
        return ident, ProtectedCopy(
            Method.PORTAL, tuple(json.loads(rcpts)), self.sealer.open(data, f"copy:{ident}:{idx}"), portal_id=portal_id
        )

    def get(self, ident: str) -> MessageRow | None:
        row = self.db.execute(
            "SELECT id, message_id, sender, created, updated, state, reason, plan, subject FROM messages WHERE id=?",
            (ident,),
        ).fetchone()
        if row is None:
            return None
        recipients = tuple(
            RecipientRow(a, m, State(s), r, n, t, c, json.loads(p))
            for a, m, s, r, n, t, c, p in self.db.execute(
                "SELECT address, method, state, reason, attempts, next_attempt, copy, proof"
                " FROM recipients WHERE message=? ORDER BY rowid",
                (ident,),
            )
        )
        i, mid, sender, created, updated, state, reason, plan, subject = row
        subject_text = self.sealer.open(subject, f"subject:{i}").decode() if subject else ""
        return MessageRow(
            i,
            mid,
            sender,
            created,
            updated,
            State(state),
            reason,
            self.sealer.open_plan(i, plan),
            recipients,
            subject_text,
        )

    def list(self, limit: int = 500) -> list[MessageRow]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM messages ORDER BY created DESC LIMIT ?", (limit,))]
        return [m for m in (self.get(i) for i in ids) if m is not None]

    def due(self, now: float, limit: int = 1000, skip: set[str] | frozenset = frozenset()) -> list[str]:
        """Messages with work to do now — new, interrupted, or deferred and due — oldest
        first among the equally due. An index range scan: cheap with 100,000 rows of history."""
        rows = self.db.execute(
            "SELECT id FROM messages WHERE next_due IS NOT NULL AND next_due<=? ORDER BY next_due, created LIMIT ?",
            (now, limit + len(skip)),
        ).fetchall()
        return [r[0] for r in rows if r[0] not in skip][:limit]

    def next_wakeup(self) -> float | None:
        (value,) = self.db.execute(
            "SELECT MIN(next_due) FROM messages WHERE next_due IS NOT NULL AND next_due<?", (PAUSED,)
        ).fetchone()
        return value

    def counts(self) -> dict[str, int]:
        """Recipients per state: what the tray and the harness summarise."""
        return dict(self.db.execute("SELECT state, COUNT(*) FROM recipients GROUP BY state").fetchall())

    def recipient_plans(self, ident: str) -> list[RecipientPlan]:
        row = self.get(ident)
        assert row is not None
        return [RecipientPlan.from_json(r) for r in row.plan["recipients"]]
