"""What the portal keeps, behind one interface (agent/portal/interface.py, PortalStore):
sealed messages and replies (ciphertext only), each message's recipient, expiry and
verification state, sessions, and the events the agent collects (opened, downloaded, locked,
replied).

`SqlitePortalStore` is the embedded portal's: one SQLite file for the state, and by default
one file per blob (FileBlobStore, agent/portal/blobs.py). An organization-wide portal uses
PostgresPortalStore (store_pg.py) for the state and any BlobStore (S3-compatible object
storage) for the blobs: nothing here depends on the state and the blobs living on one disk.

Never stored: a key, a plaintext, a code or a session token in clear (codes and tokens are
kept as SHA-256 digests; a stolen database opens nothing).

The database's `user_version` is its layout's version: a store of an earlier release is
carried forward when it opens (MIGRATIONS), one of a newer release refused untouched
(agent/store_migrations.py).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from agent.portal.blobs import BlobStore, FileBlobStore, message_key, reply_key
from agent.portal.interface import LOCAL_AGENT, Sealed, digest
from agent.store_migrations import Step, migrate_sqlite, refuse_newer, run_script, sqlite_version

# The layout release 0.1.0 wrote (version 1); what changed since is in the steps below.
SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, sender TEXT NOT NULL, recipient TEXT NOT NULL, created REAL NOT NULL,
  expires REAL NOT NULL, revoked REAL, size INTEGER NOT NULL, passcode TEXT,
  code_hash TEXT, code_expires REAL, code_tries INTEGER NOT NULL DEFAULT 0, locked_until REAL,
  codes_sent TEXT NOT NULL DEFAULT '[]', opened REAL, warned REAL
);
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, message TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT NOT NULL, time REAL NOT NULL, kind TEXT NOT NULL, detail TEXT
);
CREATE TABLE IF NOT EXISTS replies (
  id TEXT PRIMARY KEY, message TEXT NOT NULL, created REAL NOT NULL, size INTEGER NOT NULL
);
"""


def _receipt_names_wiped(db: sqlite3.Connection) -> None:
    # Release 0.1.0 stored the downloaded file's name with the receipt: a name can be PHI, so
    # it is wiped (the receipt itself, its time and its message, stays).
    db.execute("UPDATE events SET detail='' WHERE kind='downloaded' AND detail NOT GLOB 'attachment [0-9]*'")


# Attempt and receipt counters (access.RateLimits): one row per limited key, its count in the
# current fixed window. The key is a digest: a client's address never lands in the file.
RATE = """
CREATE TABLE IF NOT EXISTS rate (key TEXT PRIMARY KEY, window_end REAL NOT NULL, count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rate_window_end ON rate (window_end);
"""

# Enrolled agents (agent/portal/enrolment.py): each message belongs to the agent that
# uploaded it; messages written before are the local agent's (the embedded portal's own, or
# the legacy shared token a standalone portal adopts). Codes and credentials are digests.
# `expiry_noted`: when the message's one "expired" event was written; messages already
# expired carried it before (sync wrote it), so they are marked noted, never told again.
ENROLMENT = """
CREATE TABLE agents (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, credential_hash TEXT NOT NULL UNIQUE, enrolled REAL NOT NULL, revoked REAL
);
CREATE TABLE enrolment_codes (
  code_hash TEXT PRIMARY KEY, uses_left INTEGER NOT NULL, expires REAL NOT NULL, created REAL NOT NULL
);
ALTER TABLE messages ADD COLUMN agent TEXT NOT NULL DEFAULT 'local';
ALTER TABLE messages ADD COLUMN expiry_noted REAL;
UPDATE messages SET expiry_noted = expires WHERE expires <= strftime('%s', 'now');
CREATE INDEX messages_agent ON messages (agent);
"""

MIGRATIONS = (
    Step(1, "the layout of release 0.1.0", lambda db: run_script(db, SCHEMA)),
    Step(2, "receipts name attachments by their place, never by their file name", _receipt_names_wiped),
    Step(3, "rate limits kept in the store, shared by every portal process", lambda db: run_script(db, RATE)),
    Step(4, "enrolled agents own their messages; each expiry is recorded once", lambda db: run_script(db, ENROLMENT)),
)
# How often (seconds) a store deletes the counters of windows that have ended.
PRUNE_EVERY = 60.0


def check_version(root: Path) -> None:
    """NewerData when the portal store in `root` was written by a newer Postseal (nothing is changed)."""
    path = root / "portal.db"
    refuse_newer("portal store", path, sqlite_version(path), MIGRATIONS)


_COLUMNS = ("id, sender, recipient, created, expires, revoked, size, passcode, code_hash, code_expires,"
            " code_tries, locked_until, codes_sent, opened, warned, agent")

__all__ = ["SCHEMA", "MIGRATIONS", "Sealed", "SqlitePortalStore", "check_version", "digest"]


class SqlitePortalStore:
    def __init__(self, root: Path, blobs: BlobStore | None = None) -> None:
        self.root = root
        check_version(root)
        for folder in (root, root / "blobs", root / "replies"):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Keys "blobs/<id>" and "replies/<id>": with files, the layout of release 0.1.0.
        self.blobs: BlobStore = blobs if blobs is not None else FileBlobStore(root)
        self._lock = threading.Lock()
        self._pruned = 0.0
        self.db = sqlite3.connect(root / "portal.db", check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        migrate_sqlite(self.db, "portal store", root / "portal.db", MIGRATIONS)

    # --- sealed messages ----------------------------------------------------------------------
    def put(self, ident: str, blob: bytes, sender: str, recipient: str, expires: float,
            passcode: str | None = None, agent: str = LOCAL_AGENT) -> bool:
        with self._lock:
            if self.db.execute("SELECT 1 FROM messages WHERE id=?", (ident,)).fetchone():
                return False
            self.blobs.put(message_key(ident), blob)
            self.db.execute("INSERT INTO messages (id, sender, recipient, created, expires, size, passcode, agent)"
                            " VALUES (?,?,?,?,?,?,?,?)", (ident, sender, recipient, time.time(), expires, len(blob),
                                                         digest(passcode) if passcode else None, agent))
            return True

    def get(self, ident: str) -> Sealed | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM messages WHERE id=?", (ident,)).fetchone()  # noqa: S608
        if row is None:
            return None
        return Sealed(*row[:12], tuple(json.loads(row[12])), *row[13:])

    def blob(self, ident: str) -> bytes | None:
        return self.blobs.get(message_key(ident))

    def update(self, ident: str, **fields: Any) -> None:
        if "codes_sent" in fields:
            fields["codes_sent"] = json.dumps(list(fields["codes_sent"]))
        names = ", ".join(f"{k}=?" for k in fields)
        with self._lock:
            self.db.execute(f"UPDATE messages SET {names} WHERE id=?", (*fields.values(), ident))  # noqa: S608 - names are ours

    # --- verification: every count and check is one statement, atomic under concurrency -----------
    # The read-then-write these replace let 75 parallel wrong codes each count as the first
    # try: the limit was checked on a row read before the request body was awaited. Here the
    # database does the counting, so N instances of the portal behind a proxy share one limit.
    def issue_code(self, ident: str, code_hash: str, code_expires: float,
                   sent_before: tuple[float, ...], sent_now: tuple[float, ...], now: float) -> bool:
        """Store a new code if nothing changed since `sent_before` was read and the message is
        not locked; False when another request got there first (the caller asks again)."""
        with self._lock:
            return self.db.execute(
                "UPDATE messages SET code_hash=?, code_expires=?, code_tries=0, codes_sent=?"
                " WHERE id=? AND codes_sent=? AND (locked_until IS NULL OR locked_until<=?)",
                (code_hash, code_expires, json.dumps(list(sent_now)), ident, json.dumps(list(sent_before)), now),
            ).rowcount == 1

    def count_wrong_try(self, ident: str, max_tries: int, lock_until: float, now: float) -> tuple[int, bool] | None:
        """One more wrong answer: (tries so far, whether this one locked the message), or None
        when the message was already locked (the try is refused, not counted)."""
        with self._lock:
            row = self.db.execute(
                "UPDATE messages SET"
                " code_tries = CASE WHEN code_tries + 1 >= ? THEN 0 ELSE code_tries + 1 END,"
                " code_hash = CASE WHEN code_tries + 1 >= ? THEN NULL ELSE code_hash END,"
                " locked_until = CASE WHEN code_tries + 1 >= ? THEN ? ELSE locked_until END"
                " WHERE id=? AND (locked_until IS NULL OR locked_until<=?)"
                " RETURNING code_tries, locked_until",
                (max_tries, max_tries, max_tries, lock_until, ident, now)).fetchone()
        if row is None:
            return None
        tries, locked_until = row
        just_locked = locked_until == lock_until
        return (max_tries if just_locked else tries), just_locked

    def consume_code(self, ident: str, code_hash: str, now: float) -> bool:
        """The right code opens once: voided in the same statement that checks it is still the
        current, unexpired code of an unlocked message."""
        with self._lock:
            return self.db.execute(
                "UPDATE messages SET code_hash=NULL, code_tries=0 WHERE id=? AND code_hash=? AND code_expires>?"
                " AND (locked_until IS NULL OR locked_until<=?) AND revoked IS NULL",
                (ident, code_hash, now, now)).rowcount == 1

    def accept_passcode(self, ident: str, passcode_hash: str, now: float) -> bool:
        """The sender's passcode opens while the message is not locked (checked in the same statement)."""
        with self._lock:
            return self.db.execute(
                "UPDATE messages SET code_tries=0 WHERE id=? AND passcode=?"
                " AND (locked_until IS NULL OR locked_until<=?) AND revoked IS NULL",
                (ident, passcode_hash, now)).rowcount == 1

    def revoke(self, ident: str) -> bool:
        """The ciphertext is deleted; the record stays so the page can say "revoked"."""
        with self._lock:
            found = self.db.execute("UPDATE messages SET revoked=? WHERE id=? AND revoked IS NULL",
                                    (time.time(), ident)).rowcount
            self.db.execute("DELETE FROM sessions WHERE message=?", (ident,))
        self.blobs.delete(message_key(ident))
        return bool(found)

    def purge_expired(self, now: float | None = None) -> list[str]:
        """Expired messages lose their ciphertext (and replies left unfetched stay until fetched)."""
        now = now or time.time()
        gone = [r[0] for r in self.db.execute("SELECT id FROM messages WHERE expires<=? AND revoked IS NULL", (now,))]
        for ident in gone:
            self.blobs.delete(message_key(ident))
        return gone

    def note_expired(self, now: float | None = None) -> list[str]:
        now = now or time.time()
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                gone = [r[0] for r in self.db.execute(
                    "UPDATE messages SET expiry_noted=? WHERE expires<=? AND revoked IS NULL AND expiry_noted IS NULL"
                    " RETURNING id", (now, now)).fetchall()]
                self.db.executemany("INSERT INTO events (message, time, kind, detail) VALUES (?,?,'expired','')",
                                    [(ident, now) for ident in gone])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return gone

    # --- sessions --------------------------------------------------------------------------------
    def add_session(self, token: str, ident: str, expires: float) -> None:
        with self._lock:
            self.db.execute("INSERT INTO sessions VALUES (?,?,?)", (digest(token), ident, expires))
            self.db.execute("DELETE FROM sessions WHERE expires<?", (time.time(),))

    def session_valid(self, token: str, ident: str) -> bool:
        row = self.db.execute("SELECT expires FROM sessions WHERE token_hash=? AND message=?",
                              (digest(token), ident)).fetchone()
        return bool(row) and row[0] > time.time()

    # --- rate limits ------------------------------------------------------------------------------
    def hit(self, key: str, window: float, now: float) -> tuple[int, float]:
        # One statement: a new window starts the count at 1, the current one adds 1. MAX keeps
        # a window that another process (a clock a little ahead) already started.
        end = (now // window + 1) * window
        with self._lock:
            count, window_end = self.db.execute(
                "INSERT INTO rate (key, window_end, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET"
                " count = CASE WHEN rate.window_end >= excluded.window_end THEN rate.count + 1 ELSE 1 END,"
                " window_end = MAX(rate.window_end, excluded.window_end) RETURNING count, window_end",
                (digest(key), end)).fetchone()
            if now - self._pruned >= PRUNE_EVERY:
                self._pruned = now
                self.db.execute("DELETE FROM rate WHERE window_end < ?", (now,))
        return count, window_end

    # --- events the agent collects ------------------------------------------------------------------
    def event(self, ident: str, kind: str, detail: str = "") -> None:
        with self._lock:
            self.db.execute("INSERT INTO events (message, time, kind, detail) VALUES (?,?,?,?)",
                            (ident, time.time(), kind, detail[:300]))

    def events_since(self, seq: int, limit: int = 500, agent: str | None = None) -> list[dict]:
        rows = self.db.execute(
            "SELECT e.seq, e.message, e.time, e.kind, e.detail FROM events e"
            " WHERE e.seq>? AND (? IS NULL OR e.message IN (SELECT id FROM messages WHERE agent=?))"
            " ORDER BY e.seq LIMIT ?", (seq, agent, agent, limit)).fetchall()
        return [{"seq": s, "id": m, "time": t, "kind": k, "detail": d or ""} for s, m, t, k, d in rows]

    def expiring(self, within: float, now: float | None = None, agent: str | None = None) -> list[Sealed]:
        """Unopened, unrevoked messages that lapse within `within` seconds and were not warned about."""
        now = now or time.time()
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM messages WHERE opened IS NULL AND revoked IS NULL AND warned IS NULL"
            " AND expires>? AND expires<=? AND (? IS NULL OR agent=?)", (now, now + within, agent, agent))]
        return [s for s in (self.get(i) for i in ids) if s]

    # --- replies -------------------------------------------------------------------------------------
    def put_reply(self, reply_id: str, ident: str, blob: bytes) -> None:
        # The row first (a reply id already taken fails here, before any bytes are written),
        # so a reply id can never overwrite another message's reply.
        with self._lock:
            self.db.execute("INSERT INTO replies VALUES (?,?,?,?)", (reply_id, ident, time.time(), len(blob)))
        try:
            self.blobs.put(reply_key(reply_id), blob)
        except BaseException:
            with self._lock:
                self.db.execute("DELETE FROM replies WHERE id=?", (reply_id,))
            raise

    def replies(self, agent: str | None = None) -> list[dict]:
        return [{"reply": r, "id": m, "created": c, "size": s} for r, m, c, s in self.db.execute(
            "SELECT id, message, created, size FROM replies"
            " WHERE ? IS NULL OR message IN (SELECT id FROM messages WHERE agent=?) ORDER BY created", (agent, agent))]

    def reply_blob(self, reply_id: str) -> bytes | None:
        return self.blobs.get(reply_key(reply_id))

    def drop_reply(self, reply_id: str) -> bool:
        with self._lock:
            found = self.db.execute("DELETE FROM replies WHERE id=?", (reply_id,)).rowcount
        self.blobs.delete(reply_key(reply_id))
        return bool(found)

    # --- enrolled agents -----------------------------------------------------------------------------
    def add_enrolment_code(self, code_hash: str, uses: int, expires: float, now: float) -> None:
        with self._lock:
            self.db.execute("INSERT INTO enrolment_codes VALUES (?,?,?,?)", (code_hash, uses, expires, now))

    def use_enrolment_code(self, code_hash: str, now: float) -> bool:
        with self._lock:
            return self.db.execute("UPDATE enrolment_codes SET uses_left=uses_left-1"
                                   " WHERE code_hash=? AND uses_left>0 AND expires>?", (code_hash, now)).rowcount == 1

    def add_agent(self, agent_id: str, name: str, credential_hash: str, now: float) -> bool:
        with self._lock:
            return self.db.execute("INSERT INTO agents (id, name, credential_hash, enrolled) VALUES (?,?,?,?)"
                                   " ON CONFLICT DO NOTHING", (agent_id, name, credential_hash, now)).rowcount == 1

    def agent_of(self, credential_hash: str) -> str | None:
        row = self.db.execute("SELECT id FROM agents WHERE credential_hash=? AND revoked IS NULL",
                              (credential_hash,)).fetchone()
        return row[0] if row else None

    def agents(self) -> list[dict]:
        rows = self.db.execute(
            "SELECT a.id, a.name, a.enrolled, a.revoked, (SELECT max(created) FROM messages WHERE agent=a.id),"
            " (SELECT count(*) FROM messages WHERE agent=a.id) FROM agents a ORDER BY a.enrolled").fetchall()
        return [{"id": i, "name": n, "enrolled": e, "revoked": r, "last_upload": u, "messages": c}
                for i, n, e, r, u, c in rows]

    def claim(self, ident: str, agent: str) -> bool:
        with self._lock:
            return self.db.execute("UPDATE messages SET agent=? WHERE id=? AND agent IN (?, ?)",
                                   (agent, ident, agent, LOCAL_AGENT)).rowcount == 1

    def revoke_agent(self, agent_id: str, now: float) -> bool:
        with self._lock:
            return self.db.execute("UPDATE agents SET revoked=? WHERE id=? AND revoked IS NULL",
                                   (now, agent_id)).rowcount == 1

    def close(self) -> None:
        self.db.close()
