"""The durable outbox: SQLite in WAL mode, content sealed at rest, per-recipient state.

Acceptance commits with `synchronous=FULL` before the agent answers 202 (Postfix's rule:
never acknowledge what is not on disk), many concurrent submissions in one commit
(agent/outbox/acceptance.py). Message bytes, subjects, plans and protected copies
are sealed (agent/outbox/sealing.py), so the database and its WAL hold no plaintext.

States per recipient, and who owns each transition (nothing else writes them; the allowed
moves are agent/model.py's TRANSITIONS, checked here):

    accept()            → queued, or held (policy)                    Agent.submit
    held                → queued (a person released it)                Actions.release
    held/deferred/queued → queued with another method (portal)         Actions.send_via_portal
    queued/deferred     → protecting                                   Worker._protect
    protecting          → sending (copy stored)                        Outbox.store_copies
    protecting          → held (cannot protect) | deferred (portal)    Worker._protect
    sending/deferred    → delivered | deferred | failed (relay reply)  Worker._deliver
    sending/deferred    → held (the mailbox refuses it until a person  Worker._deliver
                          acts: over quota, too large)
    deferred, too old   → failed                                       Worker.process
    delivered/sending   → failed (a DSN says the next hop refused)     Actions.apply_bounce

The message's state is derived from its recipients' (rows.message_state) in the same
transaction. A message submitted with a callback URL gets one webhook event per recipient
outcome, queued in the transaction that records the outcome (agent/outbox/webhook_queue.py).
The tables and their migrations are in agent/outbox/layout.py; the queries, which change
nothing, in agent/outbox/reading.py (an Outbox is an OutboxReader); the transaction every
move runs in, in agent/outbox/transaction.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from agent import secret_store
from agent.model import TRANSITIONS, Plan, ProtectedCopy, RecipientPlan, State
from agent.outbox.acceptance import Acceptance, Submission
from agent.outbox.layout import MIGRATIONS, check_version
from agent.outbox.reading import OutboxReader
from agent.outbox.rows import REPORTED, WORKING, IllegalTransition, WebhookEvent, message_state
from agent.outbox.sealing import Sealer
from agent.outbox.transaction import Transaction
from agent.outbox.webhook_queue import WebhookQueue
from agent.store_migrations import migrate_sqlite


class Outbox(OutboxReader):
    def __init__(self, home: Path) -> None:
        self.path = home / "outbox.sqlite3"
        home.mkdir(parents=True, exist_ok=True)
        check_version(home)  # an outbox of a newer Postseal: refused before its key is even fetched
        key = secret_store.get_or_create(home, "outbox-key", in_use=self._sealed_before)
        super().__init__(sqlite3.connect(self.path, isolation_level=None, check_same_thread=False), Sealer(key))
        os.chmod(self.path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL for the state changes after acceptance: in WAL mode a commit then survives
        # the agent being killed (it is in the OS page cache), and only a power loss can take
        # back the newest ones; acceptance itself is FULL, on a connection of its own
        # (agent/outbox/acceptance.py).
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.writing = threading.Lock()  # one writer of this process at a time (transaction.py)
        self.webhooks = WebhookQueue(self.db, self.sealer)
        migrate_sqlite(self.db, "outbox", self.path, MIGRATIONS, self)  # steps get this outbox (layout.Opened)
        self.acceptance = Acceptance(self.path, self.sealer, self.writing)

    def _sealed_before(self) -> str:
        """What a new key would make unreadable: messages already sealed in this outbox."""
        if not self.path.exists():
            return ""
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        try:
            count = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):
                return ""  # created, never used: nothing was sealed
            return f"{self.path} exists and cannot be checked for sealed messages ({exc})"
        finally:
            db.close()
        return f"{self.path} holds {count} message{'s' if count != 1 else ''} sealed with it" if count else ""

    def close(self) -> None:
        with self.writing:  # a commit in flight ends first
            self.acceptance.close()
            self.db.close()

    # --- accepting -----------------------------------------------------------------------
    def accept(
        self,
        raw: bytes,
        message_id: str,
        plan: Plan,
        held_reason: str = "",
        callback: tuple[str, str] | None = None,
        subject: str = "",
        digest: str = "",
    ) -> str:
        """Store one new message durably; returns its outbox id. Held messages keep their reason.

        Raises Duplicate when (Message-ID, sender) is already in the outbox: a client that
        lost our 202 (agent killed after the commit) and submits again must not cause a
        second delivery. `digest` (intake.content_digest) is kept, keyed, so the caller can
        tell that resubmission from another message that reuses the Message-ID (Duplicate.same).
        Raises StorageUnavailable when the disk refuses: nothing was accepted. The agent
        accepts through `accept_many`, many messages per commit (agent/outbox/acceptance.py)."""
        (result,) = self.accept_many([Submission(raw, message_id, plan, held_reason, callback, subject, digest)])
        if isinstance(result, Exception):
            raise result
        return result

    def accept_many(self, items: list[Submission]) -> list[str | Exception]:
        """Store `items` in one durable (synchronous=FULL) commit: for each, its outbox id or
        the exception that refused it. Blocks for the fsync: call it off the event loop, one
        caller at a time (agent/outbox/group_commit.py)."""
        return self.acceptance.accept_many(items)

    def store_copies(self, ident: str, copies: list[ProtectedCopy], start: int = 0) -> None:
        with self._tx():
            for index, copy in enumerate(copies, start):
                self.db.execute(
                    "INSERT OR REPLACE INTO copies VALUES (?,?,?,?,?,?,?)",
                    (
                        ident,
                        index,
                        str(copy.method),
                        json.dumps(list(copy.recipients)),
                        copy.key_fingerprint,
                        copy.portal_id,
                        self.sealer.seal(copy.data, f"copy:{ident}:{index}"),
                    ),
                )
                for address in copy.recipients:
                    updated = self.db.execute(
                        "UPDATE recipients SET copy=?, state=?, updated=? WHERE message=? AND address=? AND state=?",
                        (index, State.SENDING, time.time(), ident, address, State.PROTECTING),
                    ).rowcount
                    if not updated:  # the whole transaction (copies too) is rolled back
                        raise IllegalTransition(
                            f"message {ident} to {address}: a copy for a recipient not being protected"
                        )
            self._refresh(ident)

    def set_recipient(
        self,
        ident: str,
        address: str,
        state: State,
        reason: str = "",
        proof: dict[str, Any] | None = None,
        next_attempt: float = 0.0,
        attempted: bool = False,
    ) -> None:
        with self._tx():
            row = self.db.execute(
                "SELECT state FROM recipients WHERE message=? AND address=?", (ident, address)
            ).fetchone()
            if row is None:
                raise IllegalTransition(f"message {ident} has no recipient {address}")
            if state not in TRANSITIONS[State(row[0])]:
                raise IllegalTransition(f"message {ident} to {address}: {row[0]} → {state} is not allowed")
            self.db.execute(
                "UPDATE recipients SET state=?, reason=?, proof=COALESCE(?, proof), next_attempt=?,"
                " attempts=attempts+?, updated=? WHERE message=? AND address=?",
                (
                    state,
                    reason,
                    json.dumps(proof) if proof is not None else None,
                    next_attempt,
                    1 if attempted else 0,
                    time.time(),
                    ident,
                    address,
                ),
            )
            self._refresh(ident)
            if state in REPORTED:
                self.webhooks.queue_event(ident, address, state, reason, time.time())

    # --- webhooks ----------------------------------------------------------------------
    def callback(self, ident: str) -> tuple[str, str] | None:
        return self.webhooks.callback(ident)

    def webhooks_due(self, now: float, limit: int = 50) -> list[WebhookEvent]:
        return self.webhooks.due(now, limit)

    def next_webhook(self) -> float | None:
        return self.webhooks.next_attempt()

    def webhook_done(self, event_id: int) -> None:
        with self._tx():
            self.webhooks.done(event_id)

    def webhook_retry(self, event_id: int, next_attempt: float, error: str) -> None:
        with self._tx():
            self.webhooks.retry(event_id, next_attempt, error)

    # --- state moves ---------------------------------------------------------------------
    def annotate(self, ident: str, address: str, **proof: Any) -> None:
        """Add to a recipient's proof without changing its state (e.g. a portal copy revoked)."""
        with self._tx():
            (raw,) = self.db.execute(
                "SELECT proof FROM recipients WHERE message=? AND address=?", (ident, address)
            ).fetchone()
            self.db.execute(
                "UPDATE recipients SET proof=? WHERE message=? AND address=?",
                (json.dumps({**json.loads(raw), **proof}), ident, address),
            )

    def retry_now(self, ident: str) -> int:
        """One message's deferred recipients are due now (the tray's "retry now")."""
        with self._tx():
            count = self.db.execute(
                "UPDATE recipients SET next_attempt=0 WHERE message=? AND state=?", (ident, State.DEFERRED)
            ).rowcount
            self._refresh(ident)
        return count

    def reroute(self, ident: str, address: str, plan: RecipientPlan, reason: str) -> None:
        """Queue a recipient again with another method (a new copy will be made)."""
        with self._tx():
            (state,) = self.db.execute(
                "SELECT state FROM recipients WHERE message=? AND address=?", (ident, address)
            ).fetchone()
            if State.QUEUED not in TRANSITIONS[State(state)] and State(state) != State.QUEUED:
                raise IllegalTransition(f"message {ident} to {address}: cannot reroute a {state} recipient")
            self.db.execute(
                "UPDATE recipients SET method=?, state=?, reason=?, copy=NULL, next_attempt=0, updated=?"
                " WHERE message=? AND address=?",
                (str(plan.method), State.QUEUED, reason, time.time(), ident, address),
            )
            (raw_plan,) = self.db.execute("SELECT plan FROM messages WHERE id=?", (ident,)).fetchone()
            stored = self.sealer.open_plan(ident, raw_plan)
            stored["recipients"] = [plan.to_json() if r["address"] == address else r for r in stored["recipients"]]
            self.db.execute("UPDATE messages SET plan=? WHERE id=?", (self.sealer.seal_plan(ident, stored), ident))
            self._refresh(ident)

    def retry_deferred_now(self) -> int:
        """Make every deferred recipient due (agent start, network back), paused ones too:
        returns how many."""
        with self._tx():
            cursor = self.db.execute("UPDATE recipients SET next_attempt=0 WHERE state=?", (State.DEFERRED,))
            self.db.execute(
                "UPDATE messages SET next_due=0 WHERE id IN (SELECT message FROM recipients WHERE state=?)",
                (State.DEFERRED,),
            )
        return cursor.rowcount

    def _refresh(self, ident: str) -> None:
        """Derive the message's state and next_due from its recipients (same transaction)."""
        rows = self.db.execute(
            "SELECT state, reason, next_attempt FROM recipients WHERE message=?", (ident,)
        ).fetchall()
        states = [State(s) for s, _, _ in rows]
        state = message_state(states)
        reasons = sorted({r for s, r, _ in rows if r and State(s) == state})
        active = [
            0.0 if State(s) in WORKING else n for s, _, n in rows if State(s) in WORKING or State(s) == State.DEFERRED
        ]
        self.db.execute(
            "UPDATE messages SET state=?, reason=?, updated=?, next_due=? WHERE id=?",
            (state, "; ".join(reasons), time.time(), min(active) if active else None, ident),
        )

    def _tx(self) -> Transaction:
        return Transaction(self.db, self.writing)
