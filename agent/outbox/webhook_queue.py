"""The outbox's webhook queue: the callback a message was submitted with (its secret sealed)
and one event per recipient outcome, queued in the transaction that records the outcome, so a
crash cannot lose one. agent/webhooks.py sends them; this module only keeps them.

Only the oldest pending event of each message is ever due, so a receiver sees one message's
events in the order they happened even when an earlier one had to be retried."""

from __future__ import annotations

import json
import sqlite3

from agent.model import State
from agent.outbox.rows import WebhookEvent
from agent.outbox.sealing import Sealer

_HEADS = "FROM webhook_queue w WHERE w.id = (SELECT MIN(id) FROM webhook_queue WHERE message=w.message)"


class WebhookQueue:
    def __init__(self, db: sqlite3.Connection, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    # --- written inside the outbox's transactions -----------------------------------------
    def register(self, ident: str, url: str, secret: str) -> None:
        """The callback of a message being accepted (same transaction as its rows)."""
        self.db.execute(
            "INSERT INTO callbacks VALUES (?,?,?)", (ident, url, self.sealer.seal(secret.encode(), f"callback:{ident}"))
        )

    def queue_event(self, ident: str, address: str, state: State, reason: str, now: float) -> None:
        """A webhook event for a recipient outcome, if the message has a callback (same
        transaction as the outcome). The body names addresses and states, never content."""
        if self.db.execute("SELECT 1 FROM callbacks WHERE message=?", (ident,)).fetchone() is None:
            return
        message_id, message_state_, method = self.db.execute(
            "SELECT m.message_id, m.state, r.method FROM messages m JOIN recipients r ON r.message=m.id"
            " WHERE m.id=? AND r.address=?",
            (ident, address),
        ).fetchone()
        body = json.dumps(
            {
                "type": f"recipient.{state}",
                "id": ident,
                "message_id": message_id,
                "recipient": address,
                "state": str(state),
                "method": method,
                "reason": reason,
                "message_state": message_state_,
                "time": now,
            },
            sort_keys=True,
        )
        self.db.execute(
            "INSERT INTO webhook_queue (message, created, body, next_attempt) VALUES (?,?,?,?)", (ident, now, body, now)
        )

    # --- read and worked by the sender -------------------------------------------------------
    def callback(self, ident: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT url, secret FROM callbacks WHERE message=?", (ident,)).fetchone()
        return (row[0], self.sealer.open(row[1], f"callback:{ident}").decode()) if row else None

    def due(self, now: float, limit: int = 50) -> list[WebhookEvent]:
        rows = self.db.execute(
            f"SELECT id, message, created, body, attempts {_HEADS} AND next_attempt<=? ORDER BY id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [WebhookEvent(*row) for row in rows]

    def next_attempt(self) -> float | None:
        (value,) = self.db.execute(f"SELECT MIN(next_attempt) {_HEADS}").fetchone()
        return value

    def done(self, event_id: int) -> None:
        self.db.execute("DELETE FROM webhook_queue WHERE id=?", (event_id,))

    def retry(self, event_id: int, next_attempt: float, error: str) -> None:
        self.db.execute(
            "UPDATE webhook_queue SET attempts=attempts+1, next_attempt=?, last_error=? WHERE id=?",
            (next_attempt, error, event_id),
        )
