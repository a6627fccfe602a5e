"""The outbox's stored layout: the tables release 0.1.0 wrote and the steps that carried it to
this release's. The layout's version is the database's `user_version`: an outbox of an earlier
release is carried forward when it opens (MIGRATIONS), one of a newer release refused untouched
(agent/store_migrations.py). Nothing here may change what an existing step writes: a step
that has shipped is history."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Protocol

from agent.outbox.sealing import Sealer
from agent.store_migrations import Step, refuse_newer, run_script, sqlite_version

# The layout release 0.1.0 wrote (version 1); what changed since is in the steps below.
LAYOUT_0_1_0 = """
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


class Opened(Protocol):
    """What a step is given: the outbox being opened (its connection and its sealer)."""

    db: sqlite3.Connection
    sealer: Sealer


def _layout_of_0_1_0(outbox: Opened) -> None:
    run_script(outbox.db, LAYOUT_0_1_0)
    if "subject" not in _columns(outbox.db):  # outboxes written before the tray showed subjects
        outbox.db.execute("ALTER TABLE messages ADD COLUMN subject BLOB")


def _digests_and_sealed_plans(outbox: Opened) -> None:
    # (Builds between 0.1.0 and the first versioned one did either already: both are checked.)
    if "digest" not in _columns(outbox.db):  # Message-ID reuse told apart from a resubmission
        outbox.db.execute("ALTER TABLE messages ADD COLUMN digest TEXT")
    # A plan names where each finding is ("attachment:<filename>"), and 0.1.0 kept it as plain
    # JSON: sealed in place (migrate_sqlite's secure_delete leaves no copy in free pages).
    legacy = outbox.db.execute("SELECT id, plan FROM messages WHERE typeof(plan)='text'").fetchall()
    outbox.db.executemany(
        "UPDATE messages SET plan=? WHERE id=?", [(outbox.sealer.seal_plan(i, json.loads(p)), i) for i, p in legacy]
    )


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
