"""The durable outbox: SQLite in WAL mode, content sealed at rest, per-recipient state.

Over 400 lines because it holds four ideas issue 21 separates: the store, the sealing, the
webhook queue and the typed rows.

Acceptance commits with `synchronous=FULL` before the agent answers 202 (Postfix's rule:
never acknowledge what is not on disk). Message bytes and protected copies are sealed with
AES-256-GCM under a key from the OS keyring (secret_store), each bound to its row by
associated data, so the database and its WAL hold no plaintext and rows cannot be swapped.

States per recipient, and who owns each transition (nothing else writes them):

    accept()            → queued, or held (policy)                    Pipeline.submit
    held                → queued (a person released it)                Pipeline.release
    held/deferred/queued → queued with another method (portal)         Pipeline.send_via_portal
    queued/deferred     → protecting                                   Pipeline._protect
    protecting          → sending (copy stored)                        Outbox.store_copies
    protecting          → held (cannot protect) | deferred (portal)    Pipeline._protect
    sending/deferred    → delivered | deferred | failed (relay reply)  Pipeline._deliver
    deferred, too old   → failed                                       Pipeline.process
    delivered/sending   → failed (a DSN says the next hop refused)     Pipeline.apply_bounce

The message's state is derived from its recipients' (see `message_state`) in the same
transaction. A message submitted with a callback URL gets one webhook event per recipient
outcome, queued in the transaction that records the outcome (so a crash cannot lose one).

The layout's version is the database's `user_version`: an outbox of an earlier release is
carried forward when it opens (MIGRATIONS), one of a newer release refused untouched
(agent/store_migrations.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agent import secret_store
from agent.model import TRANSITIONS, Method, Plan, ProtectedCopy, RecipientPlan, State
from agent.store_migrations import Step, migrate_sqlite, refuse_newer, run_script, sqlite_version

# The layout release 0.1.0 wrote (version 1); what changed since is in the steps below.
_LAYOUT_0_1_0 = """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    plan TEXT NOT NULL,
    content BLOB NOT NULL,
    next_due REAL  -- when the worker should look at it again; NULL = nothing left to do
);
CREATE TABLE IF NOT EXISTS recipients (
    message TEXT NOT NULL REFERENCES messages(id),
    address TEXT NOT NULL,
    method TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    copy INTEGER,
    proof TEXT NOT NULL DEFAULT '{}',
    updated REAL NOT NULL,
    PRIMARY KEY (message, address)
);
CREATE TABLE IF NOT EXISTS copies (
    message TEXT NOT NULL REFERENCES messages(id),
    idx INTEGER NOT NULL,
    method TEXT NOT NULL,
    recipients TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL DEFAULT '',
    portal_id TEXT NOT NULL DEFAULT '',
    data BLOB NOT NULL,
    PRIMARY KEY (message, idx)
);
CREATE TABLE IF NOT EXISTS callbacks (
    message TEXT PRIMARY KEY REFERENCES messages(id),
    url TEXT NOT NULL,
    secret BLOB NOT NULL  -- sealed: whoever reads the file must not be able to forge events
);
CREATE TABLE IF NOT EXISTS webhook_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the event id a receiver deduplicates on
    message TEXT NOT NULL REFERENCES messages(id),
    created REAL NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS webhook_message ON webhook_queue(message, id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_identity ON messages(message_id, sender);
CREATE INDEX IF NOT EXISTS messages_due ON messages(next_due, created) WHERE next_due IS NOT NULL;
"""


def _layout_of_0_1_0(outbox: Outbox) -> None:
    run_script(outbox.db, _LAYOUT_0_1_0)
    if "subject" not in _columns(outbox.db):  # outboxes written before the tray showed subjects
        outbox.db.execute("ALTER TABLE messages ADD COLUMN subject BLOB")


def _digests_and_sealed_plans(outbox: Outbox) -> None:
    # (Builds between 0.1.0 and the first versioned one did either already: both are checked.)
    if "digest" not in _columns(outbox.db):  # Message-ID reuse told apart from a resubmission
        outbox.db.execute("ALTER TABLE messages ADD COLUMN digest TEXT")
    # A plan names where each finding is ("attachment:<filename>"), and 0.1.0 kept it as plain
    # JSON: sealed in place (migrate_sqlite's secure_delete leaves no copy in free pages).
    legacy = outbox.db.execute("SELECT id, plan FROM messages WHERE typeof(plan)='text'").fetchall()
    outbox.db.executemany("UPDATE messages SET plan=? WHERE id=?",
                          [(outbox._seal_plan(i, json.loads(p)), i) for i, p in legacy])


def _columns(db: sqlite3.Connection) -> set[str]:
    return {row[1] for row in db.execute("PRAGMA table_info(messages)")}


# Ordered, each run once, in the same transaction as the version they lead to (store_migrations).
MIGRATIONS = (
    Step(1, "the layout of release 0.1.0", _layout_of_0_1_0),
    Step(2, "content digests kept (keyed); plans sealed at rest like the messages", _digests_and_sealed_plans),
)


def check_version(home: Path) -> None:
    """NewerData when the outbox in `home` was written by a newer Postseal (nothing is changed)."""
    path = home / "outbox.sqlite3"
    refuse_newer("outbox", path, sqlite_version(path), MIGRATIONS)


_WORKING = (State.QUEUED, State.PROTECTING, State.SENDING)
PAUSED = 1e15  # next_attempt of recipients waiting for the network: never due by time


class StorageUnavailable(Exception):
    """The outbox cannot take new messages (disk full, read-only); what it holds is kept."""


class IllegalTransition(ValueError):
    """A state change the state machine does not allow; nothing was written."""


class Duplicate(Exception):
    """The (Message-ID, sender) is already in the outbox under `ident`. `same`: whether its
    content digest matches the one offered, None when it cannot say (a message accepted
    before digests were kept, or none offered)."""

    def __init__(self, ident: str, same: bool | None = None) -> None:
        super().__init__(ident)
        self.ident = ident
        self.same = same


_REPORTED = (State.DELIVERED, State.DEFERRED, State.HELD, State.FAILED)


@dataclass(frozen=True)
class WebhookEvent:
    id: int
    message: str
    created: float
    body: str
    attempts: int


@dataclass(frozen=True)
class RecipientRow:
    address: str
    method: str
    state: State
    reason: str
    attempts: int
    next_attempt: float
    copy: int | None
    proof: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "method": self.method,
            "state": str(self.state),
            "reason": self.reason,
            "attempts": self.attempts,
            "next_attempt": self.next_attempt if 0 < self.next_attempt < PAUSED else None,
            "waiting_for_network": self.next_attempt >= PAUSED,
            "proof": self.proof,
        }


@dataclass(frozen=True)
class MessageRow:
    id: str
    message_id: str
    sender: str
    created: float
    updated: float
    state: State
    reason: str
    plan: dict[str, Any]
    recipients: tuple[RecipientRow, ...]
    subject: str = ""  # sealed at rest; shown by the local API (loopback, token) and never audited

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "subject": self.subject,
            "sender": self.sender,
            "created": self.created,
            "updated": self.updated,
            "state": str(self.state),
            "reason": self.reason,
            "plan": self.plan,
            "recipients": [r.to_json() for r in self.recipients],
        }


def message_state(states: list[State]) -> State:
    """A message is as far along as its least advanced recipient."""
    for state in (State.PROTECTING, State.SENDING, State.QUEUED, State.DEFERRED, State.HELD, State.FAILED):
        if state in states:
            return state
    return State.DELIVERED


class Outbox:
    def __init__(self, home: Path) -> None:
        self.path = home / "outbox.sqlite3"
        home.mkdir(parents=True, exist_ok=True)
        check_version(home)  # an outbox of a newer Postseal: refused before its key is even fetched
        key = secret_store.get_or_create(home, "outbox-key", in_use=self._sealed_before)
        self._aead = AESGCM(key)
        # Content digests are kept keyed: a plain hash beside sealed content would let whoever
        # holds the file confirm a guess of what a message says.
        self._digest_key = hmac.new(key, b"postseal outbox content digest", hashlib.sha256).digest()
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        os.chmod(self.path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL for the state changes after acceptance: in WAL mode a commit then survives
        # the agent being killed (it is in the OS page cache), and only a power loss can take
        # back the newest ones; acceptance itself is FULL (see accept()).
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        migrate_sqlite(self.db, "outbox", self.path, MIGRATIONS, self)

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
        self.db.close()

    # --- sealing -----------------------------------------------------------------------
    def _seal(self, data: bytes, label: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, label.encode())

    def _open(self, blob: bytes, label: str) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], label.encode())

    # A plan names where each finding is ("attachment:<filename>"), and a file named after the
    # patient is PHI: the plan is sealed at rest like the message itself.
    def _seal_plan(self, ident: str, plan: dict[str, Any]) -> bytes:
        return self._seal(json.dumps(plan).encode(), f"plan:{ident}")

    def _open_plan(self, ident: str, stored: bytes | str) -> dict[str, Any]:
        return json.loads(stored if isinstance(stored, str) else self._open(stored, f"plan:{ident}"))

    def _keyed(self, digest: str) -> str:
        return hmac.new(self._digest_key, digest.encode(), hashlib.sha256).hexdigest()

    # --- writing -------------------------------------------------------------------------
    def find_by_message_id(self, message_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM messages WHERE message_id=?", (message_id,))]

    def failed_since(self, since: float) -> list[str]:
        """Messages that ended failed and were updated after `since` (sender notices)."""
        return [r[0] for r in self.db.execute(
            "SELECT id FROM messages WHERE state=? AND updated>=?", (State.FAILED, since))]

    def find(self, message_id: str, sender: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM messages WHERE message_id=? AND sender=?", (message_id, sender)
        ).fetchone()
        return row[0] if row else None

    def accept(self, raw: bytes, message_id: str, plan: Plan, held_reason: str = "",
               callback: tuple[str, str] | None = None, subject: str = "", digest: str = "") -> str:
        """Store a new message durably; returns its outbox id. Held messages keep their reason.

        Raises Duplicate when (Message-ID, sender) is already in the outbox: a client that
        lost our 202 (agent killed after the commit) and submits again must not cause a
        second delivery. The unique index makes this hold under concurrent submissions.
        `digest` (intake.content_digest) is kept, keyed, so the caller can tell that
        resubmission from another message that reuses the Message-ID (Duplicate.same)."""
        ident = secrets.token_hex(8)
        now = time.time()
        state = State.HELD if held_reason else State.QUEUED
        # The 202 promises the message survives power loss: this commit waits for the disk.
        self.db.execute("PRAGMA synchronous=FULL")
        try:
            self._insert(ident, now, state, raw, message_id, plan, held_reason, callback, subject,
                         self._keyed(digest) if digest else None)
        except sqlite3.IntegrityError:
            existing = self.db.execute("SELECT id, digest FROM messages WHERE message_id=? AND sender=?",
                                       (message_id, plan.sender)).fetchone()
            if existing is None:
                raise
            same = hmac.compare_digest(existing[1], self._keyed(digest)) if existing[1] and digest else None
            raise Duplicate(existing[0], same) from None
        except sqlite3.OperationalError as exc:
            # Refuse rather than half-accept: nothing was committed, the sender is told now.
            why = {"database or disk is full": "the disk is full",
                   "attempt to write a readonly database": "the data directory is read-only"}.get(str(exc), str(exc))
            raise StorageUnavailable(
                f"cannot store new messages in {self.path.parent}: {why}; nothing was accepted "
                "(messages already in the outbox are kept). Free disk space or make the folder writable."
            ) from None
        finally:
            try:
                self.db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.OperationalError:
                pass
        return ident

    def _insert(self, ident: str, now: float, state: State, raw: bytes, message_id: str,
                plan: Plan, held_reason: str, callback: tuple[str, str] | None, subject: str,
                digest: str | None) -> None:
        with self._tx():
            self.db.execute(
                "INSERT INTO messages (id, message_id, sender, created, updated, state, reason, plan, content,"
                " next_due, subject, digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (ident, message_id, plan.sender, now, now, state, held_reason,
                 self._seal_plan(ident, plan.to_json()), self._seal(raw, f"message:{ident}"),
                 None if held_reason else 0.0, self._seal(subject.encode(), f"subject:{ident}"), digest),
            )
            self.db.executemany(
                "INSERT INTO recipients (message, address, method, state, reason, updated) VALUES (?,?,?,?,?,?)",
                [(ident, r.address, str(r.method), state, held_reason, now) for r in plan.recipients],
            )
            if callback:
                url, secret = callback
                self.db.execute("INSERT INTO callbacks VALUES (?,?,?)",
                                (ident, url, self._seal(secret.encode(), f"callback:{ident}")))
                if held_reason:
                    for r in plan.recipients:
                        self._queue_event(ident, r.address, state, held_reason, now)

    def store_copies(self, ident: str, copies: list[ProtectedCopy], start: int = 0) -> None:
        with self._tx():
            for index, copy in enumerate(copies, start):
                self.db.execute(
                    "INSERT OR REPLACE INTO copies VALUES (?,?,?,?,?,?,?)",
                    (ident, index, str(copy.method), json.dumps(list(copy.recipients)),
                     copy.key_fingerprint, copy.portal_id,
                     self._seal(copy.data, f"copy:{ident}:{index}")),
                )
                for address in copy.recipients:
                    updated = self.db.execute(
                        "UPDATE recipients SET copy=?, state=?, updated=? WHERE message=? AND address=? AND state=?",
                        (index, State.SENDING, time.time(), ident, address, State.PROTECTING),
                    ).rowcount
                    if not updated:  # the whole transaction (copies too) is rolled back
                        raise IllegalTransition(f"message {ident} to {address}: a copy for a recipient not being protected")
            self._refresh(ident)

    def set_recipient(self, ident: str, address: str, state: State, reason: str = "",
                      proof: dict[str, Any] | None = None, next_attempt: float = 0.0,
                      attempted: bool = False) -> None:
        with self._tx():
            row = self.db.execute("SELECT state FROM recipients WHERE message=? AND address=?",
                                  (ident, address)).fetchone()
            if row is None:
                raise IllegalTransition(f"message {ident} has no recipient {address}")
            if state not in TRANSITIONS[State(row[0])]:
                raise IllegalTransition(f"message {ident} to {address}: {row[0]} → {state} is not allowed")
            self.db.execute(
                "UPDATE recipients SET state=?, reason=?, proof=COALESCE(?, proof), next_attempt=?,"
                " attempts=attempts+?, updated=? WHERE message=? AND address=?",
                (state, reason, json.dumps(proof) if proof is not None else None, next_attempt,
                 1 if attempted else 0, time.time(), ident, address),
            )
            self._refresh(ident)
            if state in _REPORTED:
                self._queue_event(ident, address, state, reason, time.time())

    def _queue_event(self, ident: str, address: str, state: State, reason: str, now: float) -> None:
        """A webhook event for a recipient outcome, if the message has a callback (same
        transaction as the outcome). The body names addresses and states, never content."""
        if self.db.execute("SELECT 1 FROM callbacks WHERE message=?", (ident,)).fetchone() is None:
            return
        message_id, message_state_, method = self.db.execute(
            "SELECT m.message_id, m.state, r.method FROM messages m JOIN recipients r ON r.message=m.id"
            " WHERE m.id=? AND r.address=?", (ident, address),
        ).fetchone()
        body = json.dumps({"type": f"recipient.{state}", "id": ident, "message_id": message_id,
                           "recipient": address, "state": str(state), "method": method, "reason": reason,
                           "message_state": message_state_, "time": now}, sort_keys=True)
        self.db.execute("INSERT INTO webhook_queue (message, created, body, next_attempt) VALUES (?,?,?,?)",
                        (ident, now, body, now))

    # --- webhooks ----------------------------------------------------------------------
    def callback(self, ident: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT url, secret FROM callbacks WHERE message=?", (ident,)).fetchone()
        return (row[0], self._open(row[1], f"callback:{ident}").decode()) if row else None

    # Only the oldest pending event of each message is ever due, so a receiver sees one
    # message's events in the order they happened even when an earlier one had to be retried.
    _HEADS = "FROM webhook_queue w WHERE w.id = (SELECT MIN(id) FROM webhook_queue WHERE message=w.message)"

    def webhooks_due(self, now: float, limit: int = 50) -> list[WebhookEvent]:
        rows = self.db.execute(
            f"SELECT id, message, created, body, attempts {self._HEADS} AND next_attempt<=? ORDER BY id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [WebhookEvent(*row) for row in rows]

    def next_webhook(self) -> float | None:
        (value,) = self.db.execute(f"SELECT MIN(next_attempt) {self._HEADS}").fetchone()
        return value

    def webhook_done(self, event_id: int) -> None:
        self.db.execute("DELETE FROM webhook_queue WHERE id=?", (event_id,))

    def webhook_retry(self, event_id: int, next_attempt: float, error: str) -> None:
        self.db.execute("UPDATE webhook_queue SET attempts=attempts+1, next_attempt=?, last_error=? WHERE id=?",
                        (next_attempt, error, event_id))

    def annotate(self, ident: str, address: str, **proof: Any) -> None:
        """Add to a recipient's proof without changing its state (e.g. a portal copy revoked)."""
        with self._tx():
            (raw,) = self.db.execute("SELECT proof FROM recipients WHERE message=? AND address=?",
                                     (ident, address)).fetchone()
            self.db.execute("UPDATE recipients SET proof=? WHERE message=? AND address=?",
                            (json.dumps({**json.loads(raw), **proof}), ident, address))

    def retry_now(self, ident: str) -> int:
        """One message's deferred recipients are due now (the tray's "retry now")."""
        with self._tx():
            count = self.db.execute(
                "UPDATE recipients SET next_attempt=0 WHERE message=? AND state=?", (ident, State.DEFERRED),
            ).rowcount
            self._refresh(ident)
        return count

    def reroute(self, ident: str, address: str, plan: RecipientPlan, reason: str) -> None:
        """Queue a recipient again with another method (a new copy will be made)."""
        with self._tx():
            (state,) = self.db.execute("SELECT state FROM recipients WHERE message=? AND address=?",
                                       (ident, address)).fetchone()
            if State.QUEUED not in TRANSITIONS[State(state)] and State(state) != State.QUEUED:
                raise IllegalTransition(f"message {ident} to {address}: cannot reroute a {state} recipient")
            self.db.execute(
                "UPDATE recipients SET method=?, state=?, reason=?, copy=NULL, next_attempt=0, updated=?"
                " WHERE message=? AND address=?",
                (str(plan.method), State.QUEUED, reason, time.time(), ident, address))
            (raw_plan,) = self.db.execute("SELECT plan FROM messages WHERE id=?", (ident,)).fetchone()
            stored = self._open_plan(ident, raw_plan)
            stored["recipients"] = [plan.to_json() if r["address"] == address else r for r in stored["recipients"]]
            self.db.execute("UPDATE messages SET plan=? WHERE id=?", (self._seal_plan(ident, stored), ident))
            self._refresh(ident)

    def retry_deferred_now(self) -> int:
        """Make every deferred recipient due (agent start, network back), paused ones too:
        returns how many."""
        with self._tx():
            cursor = self.db.execute(
                "UPDATE recipients SET next_attempt=0 WHERE state=?", (State.DEFERRED,)
            )
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
        active = [0.0 if State(s) in _WORKING else n for s, _, n in rows if State(s) in _WORKING or State(s) == State.DEFERRED]
        self.db.execute(
            "UPDATE messages SET state=?, reason=?, updated=?, next_due=? WHERE id=?",
            (state, "; ".join(reasons), time.time(), min(active) if active else None, ident),
        )

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    # --- reading -------------------------------------------------------------------------
    def raw(self, ident: str) -> bytes:
        (blob,) = self.db.execute("SELECT content FROM messages WHERE id=?", (ident,)).fetchone()
        return self._open(blob, f"message:{ident}")

    def copies(self, ident: str) -> list[ProtectedCopy]:
        rows = self.db.execute(
            "SELECT idx, method, recipients, key_fingerprint, portal_id, data FROM copies"
            " WHERE message=? ORDER BY idx", (ident,),
        ).fetchall()
        return [
            ProtectedCopy(Method(method), tuple(json.loads(rcpts)), self._open(data, f"copy:{ident}:{idx}"), fpr, pid)
            for idx, method, rcpts, fpr, pid, data in rows
        ]

    def portal_ids(self, since: float) -> list[str]:
        """The portal ids of copies of messages accepted since `since` (oldest first)."""
        return [r[0] for r in self.db.execute(
            "SELECT c.portal_id FROM copies c JOIN messages m ON m.id = c.message"
            " WHERE c.portal_id != '' AND m.created >= ? ORDER BY m.created", (since,))]

    def portal_copy(self, portal_id: str) -> tuple[str, ProtectedCopy] | None:
        """The outbox message and the portal copy (its notice holds the link) for a portal id."""
        row = self.db.execute("SELECT message, idx, recipients, data FROM copies WHERE portal_id=?",
                              (portal_id,)).fetchone()
        if row is None:
            return None
        ident, idx, rcpts, data = row
        return ident, ProtectedCopy(Method.PORTAL, tuple(json.loads(rcpts)), self._open(data, f"copy:{ident}:{idx}"),
                                    portal_id=portal_id)

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
                " FROM recipients WHERE message=? ORDER BY rowid", (ident,),
            )
        )
        i, mid, sender, created, updated, state, reason, plan, subject = row
        subject_text = self._open(subject, f"subject:{i}").decode() if subject else ""
        return MessageRow(i, mid, sender, created, updated, State(state), reason, self._open_plan(i, plan), recipients,
                          subject_text)

    def list(self, limit: int = 500) -> list[MessageRow]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM messages ORDER BY created DESC LIMIT ?", (limit,))]
        return [m for m in (self.get(i) for i in ids) if m is not None]

    def due(self, now: float, limit: int = 1000, skip: set[str] | frozenset = frozenset()) -> list[str]:
        """Messages with work to do now — new, interrupted, or deferred and due — oldest
        first among the equally due. An index range scan: cheap with 100,000 rows of history."""
        rows = self.db.execute(
            "SELECT id FROM messages WHERE next_due IS NOT NULL AND next_due<=?"
            " ORDER BY next_due, created LIMIT ?",
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


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error:
                self._rollback()
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. SQLITE_FULL ends the transaction itself)
