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

The queries both backends share are in store_sql.py (SqlPortalStore); what is here is the
SQLite layout and what only SQLite does its own way: every write under one lock, and the
steps of more than one statement in one transaction.

The database's `user_version` is its layout's version: a store of an earlier release is
carried forward when it opens (MIGRATIONS), one of a newer release refused untouched
(agent/store_migrations.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.portal.blobs import BlobStore, FileBlobStore, message_key
from agent.portal.interface import LOCAL_AGENT, Sealed, digest
from agent.portal.store_sql import SQLITE, Rows, SqlPortalStore
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

# Each message's ciphertext is deleted once (SqlPortalStore.unswept/mark_swept): messages
# already expired keep `swept` empty, so the first sweep after the upgrade deletes what may be
# left of theirs (deleting a blob that is gone is harmless) and marks them.
SWEPT = """
ALTER TABLE messages ADD COLUMN swept REAL;
CREATE INDEX messages_unswept ON messages (expires) WHERE swept IS NULL AND revoked IS NULL;
"""

MIGRATIONS = (
    Step(1, "the layout of release 0.1.0", lambda db: run_script(db, SCHEMA)),
    Step(2, "receipts name attachments by their place, never by their file name", _receipt_names_wiped),
    Step(3, "rate limits kept in the store, shared by every portal process", lambda db: run_script(db, RATE)),
    Step(4, "enrolled agents own their messages; each expiry is recorded once", lambda db: run_script(db, ENROLMENT)),
    Step(
        5,
        "the ciphertext of each expired message is deleted once, not on every sweep",
        lambda db: run_script(db, SWEPT),
    ),
)


def check_version(root: Path) -> None:
    """NewerData when the portal store in `root` was written by a newer Postseal (nothing is changed)."""
    path = root / "portal.db"
    refuse_newer("portal store", path, sqlite_version(path), MIGRATIONS)


__all__ = ["MIGRATIONS", "SCHEMA", "Sealed", "SqlitePortalStore", "check_version", "digest"]


class SqlitePortalStore(SqlPortalStore):
    dialect = SQLITE

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

    def run(self, sql: str, params: Sequence[Any], write: bool) -> Rows:
        # One connection in autocommit: each statement is its own transaction; writes take the
        # lock so that this process's threads never interleave inside one of the steps below.
        if not write:
            return Rows(self.db.execute(sql, params))
        with self._lock:
            return Rows(self.db.execute(sql, params))

    # --- what SQLite does its own way -------------------------------------------------------------
    def put(
        self,
        ident: str,
        blob: bytes,
        sender: str,
        recipient: str,
        expires: float,
        passcode: str | None = None,
        agent: str = LOCAL_AGENT,
    ) -> bool:
        # Under the lock the id is checked, the bytes written, then the row: a reader never
        # sees a message whose ciphertext is not there yet.
        with self._lock:
            if self.db.execute("SELECT 1 FROM messages WHERE id=?", (ident,)).fetchone():
                return False
            self.blobs.put(message_key(ident), blob)
            self.db.execute(
                "INSERT INTO messages (id, sender, recipient, created, expires, size, passcode, agent)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (
                    ident,
                    sender,
                    recipient,
                    time.time(),
                    expires,
                    len(blob),
                    digest(passcode) if passcode else None,
                    agent,
                ),
            )
            return True

    def revoke(self, ident: str) -> bool:
        """The ciphertext is deleted; the record stays so the page can say "revoked"."""
        with self._lock:
            found = self.db.execute(
                "UPDATE messages SET revoked=? WHERE id=? AND revoked IS NULL", (time.time(), ident)
            ).rowcount
            self.db.execute("DELETE FROM sessions WHERE message=?", (ident,))
        self.blobs.delete(message_key(ident))
        return bool(found)

    def note_expired(self, now: float | None = None) -> list[str]:
        now = now or time.time()
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                gone = [
                    r[0]
                    for r in self.db.execute(
                        "UPDATE messages SET expiry_noted=? WHERE expires<=? AND revoked IS NULL AND expiry_noted IS NULL"
                        " RETURNING id",
                        (now, now),
                    ).fetchall()
                ]
                self.db.executemany(
                    "INSERT INTO events (message, time, kind, detail) VALUES (?,?,'expired','')",
                    [(ident, now) for ident in gone],
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return gone

    def event(self, ident: str, kind: str, detail: str = "") -> None:
        # One writer at a time (the lock, and SQLite's own): seq order is commit order.
        self.execute(
            "INSERT INTO events (message, time, kind, detail) VALUES (?,?,?,?)",
            (ident, time.time(), kind, detail[:300]),
            write=True,
        )

    def close(self) -> None:
        self.db.close()
