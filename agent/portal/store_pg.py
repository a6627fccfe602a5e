"""The portal store on PostgreSQL (psycopg 3), for an organization's portal: several
`postseal portal serve` processes share one database, so they share codes, sessions, attempt
counters and lockouts. Same interface and meaning as SqlitePortalStore (interface.py); sealed
bytes go to a BlobStore (files by default, S3-compatible storage in production).

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

import json
import logging
import time
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from agent.portal.blobs import BlobStore, message_key, reply_key
from agent.portal.interface import LOCAL_AGENT, Sealed, digest
from agent.portal.pg_pool import PooledDatabase
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
    conn.execute("CREATE TABLE rate (key TEXT PRIMARY KEY, window_end DOUBLE PRECISION NOT NULL,"
                 " count INTEGER NOT NULL)")
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


MIGRATIONS = (
    Step(1, "the portal's first PostgreSQL layout (that of the SQLite store's version 2)", _create),
    Step(2, "rate limits kept in the database, shared by every portal instance", _rate),
    Step(3, "enrolled agents own their messages; each expiry is recorded once", _script(ENROLMENT)),
)
PRUNE_EVERY = 60.0  # seconds between deletions of the counters of windows that have ended


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


_COLUMNS = ("id, sender, recipient, created, expires, revoked, size, passcode, code_hash, code_expires,"
            " code_tries, locked_until, codes_sent, opened, warned, agent")


# Connections per store (per `portal serve` process): as many as the server runs store calls
# at once (offload.WORKERS). Two instances take 2 x POOL_SIZE of the server's max_connections.
POOL_SIZE = 10


class PostgresPortalStore:
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
                "run `postseal portal migrate --database URL` first; nothing was changed")
        # A pool, read like one connection (pg_pool.py): the server's threads (offload.py)
        # each borrow a connection per statement, in autocommit, so each statement is its
        # own transaction and a row lock lasts one statement; every limit below stays one
        # atomic statement whichever connection runs it.
        self.db = PooledDatabase(url, pool_size, **_with_timeout(url, {}))

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        return self.db.execute(sql, params).fetchone()

    # --- sealed messages ----------------------------------------------------------------------
    def put(self, ident: str, blob: bytes, sender: str, recipient: str, expires: float,
            passcode: str | None = None, agent: str = LOCAL_AGENT) -> bool:
        # The row is claimed first (the id is unique), the bytes written after: a second
        # upload under the same id never overwrites the first's ciphertext. Bytes that fail
        # to land give the id back, so a retried upload succeeds.
        claimed = self._one(
            "INSERT INTO messages (id, sender, recipient, created, expires, size, passcode, agent)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO NOTHING RETURNING id",
            (ident, sender, recipient, time.time(), expires, len(blob), digest(passcode) if passcode else None, agent))
        if claimed is None:
            return False
        try:
            self.blobs.put(message_key(ident), blob)
        except BaseException:
            self.db.execute("DELETE FROM messages WHERE id=%s", (ident,))
            raise
        return True

    def get(self, ident: str) -> Sealed | None:
        row = self._one(f"SELECT {_COLUMNS} FROM messages WHERE id=%s", (ident,))  # noqa: S608 - our columns
        if row is None:
            return None
        return Sealed(*row[:12], tuple(json.loads(row[12])), *row[13:])

    def blob(self, ident: str) -> bytes | None:
        return self.blobs.get(message_key(ident))

    def update(self, ident: str, **fields: Any) -> None:
        unknown = fields.keys() - set(_COLUMNS.replace(" ", "").split(",")) - {"id", "agent"}
        if unknown or fields.keys() & {"id", "agent"}:
            raise ValueError(f"not a field of a message: {sorted(unknown | (fields.keys() & {'id', 'agent'}))}")
        if "codes_sent" in fields:
            fields["codes_sent"] = json.dumps(list(fields["codes_sent"]))
        names = ", ".join(f"{k}=%s" for k in fields)
        self.db.execute(f"UPDATE messages SET {names} WHERE id=%s", (*fields.values(), ident))

    # --- verification: one statement each -------------------------------------------------------
    def issue_code(self, ident: str, code_hash: str, code_expires: float,
                   sent_before: tuple[float, ...], sent_now: tuple[float, ...], now: float) -> bool:
        return self.db.execute(
            "UPDATE messages SET code_hash=%s, code_expires=%s, code_tries=0, codes_sent=%s"
            " WHERE id=%s AND codes_sent=%s AND (locked_until IS NULL OR locked_until<=%s)",
            (code_hash, code_expires, json.dumps(list(sent_now)), ident, json.dumps(list(sent_before)), now),
        ).rowcount == 1

    def count_wrong_try(self, ident: str, max_tries: int, lock_until: float, now: float) -> tuple[int, bool] | None:
        row = self._one(
            "UPDATE messages SET"
            " code_tries = CASE WHEN code_tries + 1 >= %(max)s THEN 0 ELSE code_tries + 1 END,"
            " code_hash = CASE WHEN code_tries + 1 >= %(max)s THEN NULL ELSE code_hash END,"
            " locked_until = CASE WHEN code_tries + 1 >= %(max)s THEN %(until)s ELSE locked_until END"
            " WHERE id=%(id)s AND (locked_until IS NULL OR locked_until<=%(now)s)"
            " RETURNING code_tries, locked_until",
            {"max": max_tries, "until": lock_until, "id": ident, "now": now})
        if row is None:
            return None
        tries, locked_until = row
        just_locked = locked_until == lock_until
        return (max_tries if just_locked else tries), just_locked

    def consume_code(self, ident: str, code_hash: str, now: float) -> bool:
        return self.db.execute(
            "UPDATE messages SET code_hash=NULL, code_tries=0 WHERE id=%s AND code_hash=%s AND code_expires>%s"
            " AND (locked_until IS NULL OR locked_until<=%s) AND revoked IS NULL",
            (ident, code_hash, now, now)).rowcount == 1

    def accept_passcode(self, ident: str, passcode_hash: str, now: float) -> bool:
        return self.db.execute(
            "UPDATE messages SET code_tries=0 WHERE id=%s AND passcode=%s"
            " AND (locked_until IS NULL OR locked_until<=%s) AND revoked IS NULL",
            (ident, passcode_hash, now)).rowcount == 1

    def revoke(self, ident: str) -> bool:
        row = self._one(
            "WITH gone AS (UPDATE messages SET revoked=%s WHERE id=%s AND revoked IS NULL RETURNING id),"
            " ended AS (DELETE FROM sessions WHERE message=%s)"
            " SELECT count(*) FROM gone", (time.time(), ident, ident))
        self.blobs.delete(message_key(ident))
        return bool(row and row[0])

    def purge_expired(self, now: float | None = None) -> list[str]:
        now = now or time.time()
        gone = [r[0] for r in self.db.execute("SELECT id FROM messages WHERE expires<=%s AND revoked IS NULL", (now,))]
        for ident in gone:
            self.blobs.delete(message_key(ident))
        return gone

    def note_expired(self, now: float | None = None) -> list[str]:
        # One statement: the rows are marked and their events written together (the events'
        # advisory lock as in event()), so two instances syncing at once note each expiry once.
        now = now or time.time()
        rows = self.db.execute(
            "WITH turn AS (SELECT pg_advisory_xact_lock(%s)),"
            " gone AS (UPDATE messages SET expiry_noted=%s WHERE expires<=%s AND revoked IS NULL"
            " AND expiry_noted IS NULL AND (SELECT true FROM turn) RETURNING id)"
            " INSERT INTO events (message, time, kind, detail) SELECT id, %s, 'expired', '' FROM gone ORDER BY id"
            " RETURNING message", (_EVENTS_KEY, now, now, now)).fetchall()
        return [r[0] for r in rows]

    # --- sessions --------------------------------------------------------------------------------
    def add_session(self, token: str, ident: str, expires: float) -> None:
        self.db.execute("INSERT INTO sessions VALUES (%s,%s,%s)", (digest(token), ident, expires))
        self.db.execute("DELETE FROM sessions WHERE expires<%s", (time.time(),))

    def session_valid(self, token: str, ident: str) -> bool:
        row = self._one("SELECT expires FROM sessions WHERE token_hash=%s AND message=%s", (digest(token), ident))
        return bool(row) and row[0] > time.time()

    # --- rate limits ------------------------------------------------------------------------------
    def hit(self, key: str, window: float, now: float) -> tuple[int, float]:
        # INSERT … ON CONFLICT DO UPDATE takes the row's lock: concurrent hits from every
        # instance wait for each other and each sees the count the last one left.
        end = (now // window + 1) * window
        row = self._one(
            "INSERT INTO rate AS r (key, window_end, count) VALUES (%s, %s, 1) ON CONFLICT (key) DO UPDATE SET"
            " count = CASE WHEN r.window_end >= excluded.window_end THEN r.count + 1 ELSE 1 END,"
            " window_end = GREATEST(r.window_end, excluded.window_end) RETURNING count, window_end",
            (digest(key), end))
        if now - self._pruned >= PRUNE_EVERY:
            self._pruned = now
            self.db.execute("DELETE FROM rate WHERE window_end < %s", (now,))
        assert row is not None  # INSERT … RETURNING always returns the row
        return row[0], row[1]

    # --- events the agent collects ------------------------------------------------------------------
    # The agent reads events from a cursor (events_since(last seq seen)), so seq order must
    # be commit order: with several instances, an event whose seq was drawn first but
    # committed last would otherwise fall behind a cursor already past it, lost. Each insert
    # takes a transaction-scoped advisory lock in the same statement, before its seq is drawn,
    # and holds it until that statement commits: event inserts are serialized across
    # instances (each is one short row), and no lower seq can appear after a higher one.
    def event(self, ident: str, kind: str, detail: str = "") -> None:
        self.db.execute("WITH turn AS (SELECT pg_advisory_xact_lock(%s))"
                        " INSERT INTO events (message, time, kind, detail) SELECT %s, %s, %s, %s FROM turn",
                        (_EVENTS_KEY, ident, time.time(), kind, detail[:300]))

    def events_since(self, seq: int, limit: int = 500, agent: str | None = None) -> list[dict]:
        rows = self.db.execute(
            "SELECT e.seq, e.message, e.time, e.kind, e.detail FROM events e"
            " WHERE e.seq>%(seq)s AND (%(agent)s::text IS NULL OR e.message IN"
            " (SELECT id FROM messages WHERE agent=%(agent)s)) ORDER BY e.seq LIMIT %(limit)s",
            {"seq": seq, "agent": agent, "limit": limit}).fetchall()
        return [{"seq": s, "id": m, "time": t, "kind": k, "detail": d or ""} for s, m, t, k, d in rows]

    def expiring(self, within: float, now: float | None = None, agent: str | None = None) -> list[Sealed]:
        now = now or time.time()
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM messages WHERE opened IS NULL AND revoked IS NULL AND warned IS NULL"
            " AND expires>%s AND expires<=%s AND (%s::text IS NULL OR agent=%s)", (now, now + within, agent, agent))]
        return [s for s in (self.get(i) for i in ids) if s]

    # --- replies -------------------------------------------------------------------------------------
    def put_reply(self, reply_id: str, ident: str, blob: bytes) -> None:
        # The row first (a reply id already taken fails here, before any bytes are written).
        self.db.execute("INSERT INTO replies VALUES (%s,%s,%s,%s)", (reply_id, ident, time.time(), len(blob)))
        try:
            self.blobs.put(reply_key(reply_id), blob)
        except BaseException:
            self.db.execute("DELETE FROM replies WHERE id=%s", (reply_id,))
            raise

    def replies(self, agent: str | None = None) -> list[dict]:
        return [{"reply": r, "id": m, "created": c, "size": s} for r, m, c, s in self.db.execute(
            "SELECT id, message, created, size FROM replies WHERE %(agent)s::text IS NULL"
            " OR message IN (SELECT id FROM messages WHERE agent=%(agent)s) ORDER BY created", {"agent": agent})]

    def reply_blob(self, reply_id: str) -> bytes | None:
        return self.blobs.get(reply_key(reply_id))

    def drop_reply(self, reply_id: str) -> bool:
        found = self.db.execute("DELETE FROM replies WHERE id=%s", (reply_id,)).rowcount
        self.blobs.delete(reply_key(reply_id))
        return bool(found)

    # --- enrolled agents -----------------------------------------------------------------------------
    def add_enrolment_code(self, code_hash: str, uses: int, expires: float, now: float) -> None:
        self.db.execute("INSERT INTO enrolment_codes VALUES (%s,%s,%s,%s)", (code_hash, uses, expires, now))

    def use_enrolment_code(self, code_hash: str, now: float) -> bool:
        return self.db.execute("UPDATE enrolment_codes SET uses_left=uses_left-1"
                               " WHERE code_hash=%s AND uses_left>0 AND expires>%s", (code_hash, now)).rowcount == 1

    def add_agent(self, agent_id: str, name: str, credential_hash: str, now: float) -> bool:
        return self.db.execute("INSERT INTO agents (id, name, credential_hash, enrolled) VALUES (%s,%s,%s,%s)"
                               " ON CONFLICT DO NOTHING", (agent_id, name, credential_hash, now)).rowcount == 1

    def agent_of(self, credential_hash: str) -> str | None:
        row = self._one("SELECT id FROM agents WHERE credential_hash=%s AND revoked IS NULL", (credential_hash,))
        return row[0] if row else None

    def agents(self) -> list[dict]:
        rows = self.db.execute(
            "SELECT a.id, a.name, a.enrolled, a.revoked, (SELECT max(created) FROM messages WHERE agent=a.id),"
            " (SELECT count(*) FROM messages WHERE agent=a.id) FROM agents a ORDER BY a.enrolled").fetchall()
        return [{"id": i, "name": n, "enrolled": e, "revoked": r, "last_upload": u, "messages": c}
                for i, n, e, r, u, c in rows]

    def claim(self, ident: str, agent: str) -> bool:
        return self.db.execute("UPDATE messages SET agent=%s WHERE id=%s AND agent IN (%s, %s)",
                               (agent, ident, agent, LOCAL_AGENT)).rowcount == 1

    def revoke_agent(self, agent_id: str, now: float) -> bool:
        return self.db.execute("UPDATE agents SET revoked=%s WHERE id=%s AND revoked IS NULL",
                               (now, agent_id)).rowcount == 1

    def close(self) -> None:
        self.db.close()
