"""The portal store on PostgreSQL (psycopg 3), for an organization's portal: several
`postseal portal serve` processes share one database, so they share codes, sessions, attempt
counters and lockouts. Same interface and meaning as SqlitePortalStore (interface.py); sealed
bytes go to a BlobStore (files by default, S3-compatible storage in production).

The queries both backends share are in store_sql.py (SqlPortalStore); what is here is the
PostgreSQL layout, its migration, and what only PostgreSQL does its own way (below).

Every limit is one statement (UPDATE … WHERE … RETURNING): under READ COMMITTED, concurrent
updates of one row wait for each other's row lock and re-check their WHERE on the row as the
other left it, so N wrong codes through N connections count N tries, never fewer.

The layout is versioned like the other stores (agent/store_migrations.py): the version is the
one row of `postseal_schema`, and `postseal portal migrate --database URL` runs the steps it
lacks in one transaction, under an advisory lock so two instances started at once migrate
once. A store never migrates when it opens: an instance of an older release must not find
its tables changed under it; it refuses a database that is behind (run migrate) or ahead
(upgrade Postseal), before reading anything else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from agent.portal.blobs import BlobStore, message_key
from agent.portal.interface import LOCAL_AGENT, digest
from agent.portal.pg_pool import PooledDatabase, Result
from agent.portal.store_sql import POSTGRES, SqlPortalStore
from agent.store_migrations import DataVersionError, Step, latest, pending, refuse_newer

log = logging.getLogger(__name__)

STORE = "portal database"
_LOCK_KEY = 0x706F7374  # pg_advisory_xact_lock: one migration at a time per database
_EVENTS_KEY = 0x706F7375  # and one event insert at a time (see event())

SCHEMA = """
CREATE TABLE messages (
  id TEXT PRIMARY KEY, sender TEXT NOT NULL, recipient TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
  expires DOUBLE PRECISION NOT NULL, revoked DOUBLE PRECISION, size BIGINT NOT NULL, passcode TEXT,
  code_hash TEXT, code_expires DOUBLE PRECISION, code_tries INTEGER NOT NULL DEFAULT 0,
  locked_until DOUBLE PRECISION, codes_sent TEXT NOT NULL DEFAULT '[]', opened DOUBLE PRECISION,
  warned DOUBLE PRECISION
);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, message TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL);
CREATE INDEX sessions_expires ON sessions (expires);
CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY, message TEXT NOT NULL, time DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL, detail TEXT
);
CREATE TABLE replies (id TEXT PRIMARY KEY, message TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, size BIGINT NOT NULL);
"""


def _create(conn: psycopg.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _rate(conn: psycopg.Connection) -> None:
    # Attempt and receipt counters (access.RateLimits), keyed by a digest: no client address stored.
    conn.execute(
        "CREATE TABLE rate (key TEXT PRIMARY KEY, window_end DOUBLE PRECISION NOT NULL, count INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX rate_window_end ON rate (window_end)")


# Enrolled agents own their messages, each expiry is recorded once: as the SQLite store's
# version 3 (store.py ENROLMENT says why each column).
ENROLMENT = """
CREATE TABLE agents (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, credential_hash TEXT NOT NULL UNIQUE,
  enrolled DOUBLE PRECISION NOT NULL, revoked DOUBLE PRECISION
);
CREATE TABLE enrolment_codes (
  code_hash TEXT PRIMARY KEY, uses_left INTEGER NOT NULL, expires DOUBLE PRECISION NOT NULL,
  created DOUBLE PRECISION NOT NULL
);
ALTER TABLE messages ADD COLUMN agent TEXT NOT NULL DEFAULT 'local';
ALTER TABLE messages ADD COLUMN expiry_noted DOUBLE PRECISION;
UPDATE messages SET expiry_noted = expires WHERE expires <= extract(epoch FROM now());
CREATE INDEX messages_agent ON messages (agent);
CREATE INDEX messages_unnoted ON messages (expires) WHERE expiry_noted IS NULL AND revoked IS NULL;
"""


def _script(script: str):
    def apply(conn: psycopg.Connection) -> None:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)

    return apply


# Each message's ciphertext is deleted once: as the SQLite store's version 5 (store.py SWEPT).
SWEPT = """
ALTER TABLE messages ADD COLUMN swept DOUBLE PRECISION;
CREATE INDEX messages_unswept ON messages (expires) WHERE swept IS NULL AND revoked IS NULL;
"""

MIGRATIONS = (
    Step(1, "the portal's first PostgreSQL layout (that of the SQLite store's version 2)", _create),
    Step(2, "rate limits kept in the database, shared by every portal instance", _rate),
    Step(3, "enrolled agents own their messages; each expiry is recorded once", _script(ENROLMENT)),
    Step(4, "the ciphertext of each expired message is deleted once, not on every sweep", _script(SWEPT)),
)


def where(url: str) -> str:
    """The database as a log line may name it: host, port and name, never a password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(a database URL that cannot be read)"
    return make_conninfo(**{k: v for k, v in parts.items() if k in ("host", "port", "dbname", "user")})


def _with_timeout(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """Connections give up after 10 s when the URL sets no connect_timeout of its own (libpq
    would wait on an unanswered host for as long as the network lets it)."""
    try:
        given = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        given = {}
    return options if "connect_timeout" in given else {**options, "connect_timeout": 10}


def connect(url: str, **options: Any) -> psycopg.Connection:
    return psycopg.connect(url, **_with_timeout(url, options))


def _version(conn: psycopg.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS postseal_schema (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM postseal_schema").fetchone()
    return row[0] if row else 0


def migrate(url: str) -> tuple[int, int]:
    """Bring the database at `url` to this release's layout; (version found, version now)."""
    with connect(url) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        found = _version(conn)
        todo = pending(STORE, where(url), found, MIGRATIONS)  # where: a database, not a file
        for step in todo:
            log.info("%s %s: version %d → %d: %s", STORE, where(url), step.version - 1, step.version, step.what)
            step.apply(conn)
        conn.execute("DELETE FROM postseal_schema")
        conn.execute("INSERT INTO postseal_schema (version) VALUES (%s)", (latest(MIGRATIONS),))
    return found, latest(MIGRATIONS)


# Connections per store (per `portal serve` process): as many as the server runs store calls
# at once (offload.WORKERS). Two instances take 2 x POOL_SIZE of the server's max_connections.
POOL_SIZE = 10


class PostgresPortalStore(SqlPortalStore):
    dialect = POSTGRES

    def __init__(self, url: str, blobs: BlobStore, pool_size: int = POOL_SIZE) -> None:
        self.blobs = blobs
        self._pruned = 0.0
        # The layout is checked on a connection of its own, so a database that cannot be
        # reached or is not migrated is refused here, in one line, before any pool exists.
        with connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass('postseal_schema') IS NOT NULL").fetchone()
            found = conn.execute("SELECT version FROM postseal_schema").fetchone() if row and row[0] else None
        version = found[0] if found else 0
        refuse_newer(STORE, where(url), version, MIGRATIONS)
        if version < latest(MIGRATIONS):
            raise DataVersionError(
                f"the {STORE} {where(url)} has data version {version}, this Postseal needs {latest(MIGRATIONS)}: "
                "run `postseal portal migrate --database URL` first; nothing was changed"
            )
        # A pool, read like one connection (pg_pool.py): the server's threads (offload.py)
        # each borrow a connection per statement, in autocommit, so each statement is its
        # own transaction and a row lock lasts one statement; every limit stays one atomic
        # statement whichever connection runs it.
        self.db = PooledDatabase(url, pool_size, **_with_timeout(url, {}))

    def run(self, sql: str, params: Sequence[Any], write: bool) -> Result:
        return self.db.execute(sql, params)

    # --- what PostgreSQL does its own way: one statement where SQLite holds a lock -------------------
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
        # The row is claimed first (the id is unique), the bytes written after: a second
        # upload under the same id never overwrites the first's ciphertext. Bytes that fail
        # to land give the id back, so a retried upload succeeds.
        claimed = self.execute(
            "INSERT INTO messages (id, sender, recipient, created, expires, size, passcode, agent)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING RETURNING id",
            (ident, sender, recipient, time.time(), expires, len(blob), digest(passcode) if passcode else None, agent),
            write=True,
        ).fetchone()
        if claimed is None:
            return False
        try:
            self.blobs.put(message_key(ident), blob)
        except BaseException:
            self._changed("DELETE FROM messages WHERE id=?", (ident,))
            raise
        return True

    def revoke(self, ident: str) -> bool:
        row = self.execute(
            "WITH gone AS (UPDATE messages SET revoked=? WHERE id=? AND revoked IS NULL RETURNING id),"
            " ended AS (DELETE FROM sessions WHERE message=?)"
            " SELECT count(*) FROM gone",
            (time.time(), ident, ident),
            write=True,
        ).fetchone()
        self.blobs.delete(message_key(ident))
        return bool(row and row[0])

    def note_expired(self, now: float | None = None) -> list[str]:
        # One statement: the rows are marked and their events written together (the events'
        # advisory lock as in event()), so two instances syncing at once note each expiry once.
        now = now or time.time()
        rows = self.execute(
            "WITH turn AS (SELECT pg_advisory_xact_lock(?)),"
            " gone AS (UPDATE messages SET expiry_noted=? WHERE expires<=? AND revoked IS NULL"
            " AND expiry_noted IS NULL AND (SELECT true FROM turn) RETURNING id)"
            " INSERT INTO events (message, time, kind, detail) SELECT id, ?, 'expired', '' FROM gone ORDER BY id"
            " RETURNING message",
            (_EVENTS_KEY, now, now, now),
            write=True,
        ).rows
        return [r[0] for r in rows]

    # The agent reads events from a cursor (events_since(last seq seen)), so seq order must
    # be commit order: with several instances, an event whose seq was drawn first but
    # committed last would otherwise fall behind a cursor already past it, lost. Each insert
    # takes a transaction-scoped advisory lock in the same statement, before its seq is drawn,
    # and holds it until that statement commits: event inserts are serialized across
    # instances (each is one short row), and no lower seq can appear after a higher one.
    def event(self, ident: str, kind: str, detail: str = "") -> None:
        self._changed(
            "WITH turn AS (SELECT pg_advisory_xact_lock(?))"
            " INSERT INTO events (message, time, kind, detail) SELECT ?, ?, ?, ? FROM turn",
            (_EVENTS_KEY, ident, time.time(), kind, detail[:300]),
        )

    def close(self) -> None:
        self.db.close()
