"""The portal store's queries, written once for both backends (interface.py, PortalStore).

SqlPortalStore holds every statement whose text and atomicity are the same in SQLite and
PostgreSQL, in the SQL both accept: `?` placeholders (the Dialect turns them into psycopg's
`%s`), `CAST(? AS TEXT) IS NULL` for an optional filter (PostgreSQL must know a NULL
parameter's type), `CASE` where SQLite has a two-argument MAX and PostgreSQL GREATEST.
Each backend says how one statement runs (`execute`) and keeps what only its database can
promise:

- SqlitePortalStore (store.py): one connection in autocommit, every write taken under one
  lock; the steps that need more than one statement run in one transaction there;
- PostgresPortalStore (store_pg.py): a pool, each statement its own transaction; what needs
  more than one change is one statement (a data-modifying WITH), and event inserts take an
  advisory lock so that seq order is commit order.

Every limit (tries, lockouts, codes, enrolment codes, rate windows) is ONE statement here,
never a read followed by a write: the database does the counting.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from agent.portal.blobs import BlobStore, message_key, reply_key
from agent.portal.interface import LOCAL_AGENT, Sealed, digest

COLUMNS = (
    "id, sender, recipient, created, expires, revoked, size, passcode, code_hash, code_expires,"
    " code_tries, locked_until, codes_sent, opened, warned, agent"
)
# What update() may set: plain fields, never the id nor the owning agent.
FIELDS = frozenset(COLUMNS.replace(" ", "").split(",")) - {"id", "agent"}
PRUNE_EVERY = 60.0  # seconds between deletions of the counters of windows that have ended
_CHUNK = 500  # ids per `IN (…)`: well under SQLite's limit on a statement's parameters


@functools.lru_cache(maxsize=256)
def _format_style(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


@dataclass(frozen=True)
class Dialect:
    name: str
    qmark: bool  # whether the driver takes `?` placeholders (sqlite3) or `%s` (psycopg)

    def adapt(self, sql: str) -> str:
        """A statement written with `?` placeholders, as this driver takes it."""
        return sql if self.qmark else _format_style(sql)


SQLITE = Dialect("sqlite", qmark=True)
POSTGRES = Dialect("postgresql", qmark=False)


class Answer(Protocol):
    """What a statement answered, read whole (pg_pool.Result, or Rows for SQLite)."""

    rows: list[tuple]
    rowcount: int

    def fetchone(self) -> tuple | None: ...


class Rows:
    """A sqlite3 cursor's answer read whole, so no statement stays open after its lock."""

    def __init__(self, cursor: Any) -> None:
        self.rows: list[tuple] = cursor.fetchall() if cursor.description is not None else []
        self.rowcount: int = cursor.rowcount

    def fetchone(self) -> tuple | None:
        return self.rows[0] if self.rows else None


def sealed(row: tuple) -> Sealed:
    return Sealed(*row[:12], tuple(json.loads(row[12])), *row[13:])


class SqlPortalStore:
    """The shared half of both backends; not a store on its own (it has no `execute`)."""

    dialect: Dialect
    blobs: BlobStore
    _pruned: float = 0.0

    def execute(self, sql: str, params: Sequence[Any] = (), write: bool = False) -> Answer:
        """Run one statement written with `?` placeholders; `write`: it changes rows."""
        return self.run(self.dialect.adapt(sql), params, write)

    def run(self, sql: str, params: Sequence[Any], write: bool) -> Answer:
        """The backend's: one statement, in its driver's placeholders, answered whole."""
        raise NotImplementedError

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.execute(sql, params).rows

    def _changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.execute(sql, params, write=True).rowcount

    # --- sealed messages ----------------------------------------------------------------------
    def get(self, ident: str) -> Sealed | None:
        row = self._one(f"SELECT {COLUMNS} FROM messages WHERE id=?", (ident,))
        return sealed(row) if row else None

    def blob(self, ident: str) -> bytes | None:
        return self.blobs.get(message_key(ident))

    def update(self, ident: str, **fields: Any) -> None:
        if fields.keys() - FIELDS:
            raise ValueError(f"not a field of a message: {sorted(fields.keys() - FIELDS)}")
        if "codes_sent" in fields:
            fields["codes_sent"] = json.dumps(list(fields["codes_sent"]))
        names = ", ".join(f"{k}=?" for k in fields)  # names checked against FIELDS above
        self._changed(f"UPDATE messages SET {names} WHERE id=?", (*fields.values(), ident))

    # --- verification: every count and check is one statement, atomic under concurrency -----------
    # The read-then-write these replace let 75 parallel wrong codes each count as the first
    # try: the limit was checked on a row read before the request body was awaited. Here the
    # database does the counting, so N instances of the portal behind a proxy share one limit.
    def issue_code(
        self,
        ident: str,
        code_hash: str,
        code_expires: float,
        sent_before: tuple[float, ...],
        sent_now: tuple[float, ...],
        now: float,
    ) -> bool:
        """Store a new code if nothing changed since `sent_before` was read and the message is
        not locked; False when another request got there first (the caller asks again)."""
        return (
            self._changed(
                "UPDATE messages SET code_hash=?, code_expires=?, code_tries=0, codes_sent=?"
                " WHERE id=? AND codes_sent=? AND (locked_until IS NULL OR locked_until<=?)",
                (code_hash, code_expires, json.dumps(list(sent_now)), ident, json.dumps(list(sent_before)), now),
            )
            == 1
        )

    def count_wrong_try(self, ident: str, max_tries: int, lock_until: float, now: float) -> tuple[int, bool] | None:
        """One more wrong answer: (tries so far, whether this one locked the message), or None
        when the message was already locked (the try is refused, not counted)."""
        row = self.execute(
            "UPDATE messages SET"
            " code_tries = CASE WHEN code_tries + 1 >= ? THEN 0 ELSE code_tries + 1 END,"
            " code_hash = CASE WHEN code_tries + 1 >= ? THEN NULL ELSE code_hash END,"
            " locked_until = CASE WHEN code_tries + 1 >= ? THEN ? ELSE locked_until END"
            " WHERE id=? AND (locked_until IS NULL OR locked_until<=?)"
            " RETURNING code_tries, locked_until",
            (max_tries, max_tries, max_tries, lock_until, ident, now),
            write=True,
        ).fetchone()
        if row is None:
            return None
        tries, locked_until = row
        just_locked = locked_until == lock_until
        return (max_tries if just_locked else tries), just_locked

    def consume_code(self, ident: str, code_hash: str, now: float) -> bool:
        """The right code opens once: voided in the same statement that checks it is still the
        current, unexpired code of an unlocked message."""
        return (
            self._changed(
                "UPDATE messages SET code_hash=NULL, code_tries=0 WHERE id=? AND code_hash=? AND code_expires>?"
                " AND (locked_until IS NULL OR locked_until<=?) AND revoked IS NULL",
                (ident, code_hash, now, now),
            )
            == 1
        )

    def accept_passcode(self, ident: str, passcode_hash: str, now: float) -> bool:
        """The sender's passcode opens while the message is not locked (checked in the same statement)."""
        return (
            self._changed(
                "UPDATE messages SET code_tries=0 WHERE id=? AND passcode=?"
                " AND (locked_until IS NULL OR locked_until<=?) AND revoked IS NULL",
                (ident, passcode_hash, now),
            )
            == 1
        )

    # --- expiry: the ciphertext goes once ------------------------------------------------------------
    def unswept(self, cutoff: float) -> list[str]:
        """Unrevoked messages expired at or before `cutoff` whose ciphertext is not yet known
        to be gone (revoked ones lost it when revoked): a partial index keeps this a short
        scan however many expired messages the store has kept."""
        return [
            r[0]
            for r in self._all(
                "SELECT id FROM messages WHERE expires<=? AND revoked IS NULL AND swept IS NULL ORDER BY expires",
                (cutoff,),
            )
        ]

    def mark_swept(self, idents: Iterable[str], now: float) -> None:
        """These messages' ciphertext is gone: unswept() does not list them again."""
        idents = list(idents)
        for start in range(0, len(idents), _CHUNK):
            chunk = idents[start : start + _CHUNK]
            self._changed(f"UPDATE messages SET swept=? WHERE id IN ({', '.join('?' * len(chunk))})", (now, *chunk))

    def purge_expired(self, now: float | None = None) -> list[str]:
        """Expired messages lose their ciphertext (and replies left unfetched stay until fetched).
        Each is listed until its deletion succeeded, then never again."""
        now = now or time.time()
        gone, done = self.unswept(now), []
        try:
            for ident in gone:
                self.blobs.delete(message_key(ident))
                done.append(ident)
        finally:
            self.mark_swept(done, time.time())
        return gone

    # --- sessions --------------------------------------------------------------------------------
    def add_session(self, token: str, ident: str, expires: float) -> None:
        self._changed("INSERT INTO sessions VALUES (?,?,?)", (digest(token), ident, expires))
        self._changed("DELETE FROM sessions WHERE expires<?", (time.time(),))

    def session_valid(self, token: str, ident: str) -> bool:
        row = self._one("SELECT expires FROM sessions WHERE token_hash=? AND message=?", (digest(token), ident))
        return bool(row) and row[0] > time.time()

    # --- rate limits ------------------------------------------------------------------------------
    def hit(self, key: str, window: float, now: float) -> tuple[int, float]:
        # One statement: a new window starts the count at 1, the current one adds 1; a window
        # another process (a clock a little ahead) already started is kept. INSERT … ON
        # CONFLICT DO UPDATE takes the row's lock in PostgreSQL: concurrent hits from every
        # instance wait for each other and each sees the count the last one left.
        end = (now // window + 1) * window
        row = self.execute(
            "INSERT INTO rate AS r (key, window_end, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET"
            " count = CASE WHEN r.window_end >= excluded.window_end THEN r.count + 1 ELSE 1 END,"
            " window_end = CASE WHEN r.window_end >= excluded.window_end THEN r.window_end"
            " ELSE excluded.window_end END RETURNING count, window_end",
            (digest(key), end),
            write=True,
        ).fetchone()
        if now - self._pruned >= PRUNE_EVERY:
            self._pruned = now
            self._changed("DELETE FROM rate WHERE window_end < ?", (now,))
        assert row is not None  # INSERT … RETURNING always returns the row
        return row[0], row[1]

    # --- events the agent collects ------------------------------------------------------------------
    def events_since(self, seq: int, limit: int = 500, agent: str | None = None) -> list[dict]:
        rows = self._all(
            "SELECT e.seq, e.message, e.time, e.kind, e.detail FROM events e"
            " WHERE e.seq>? AND (CAST(? AS TEXT) IS NULL OR e.message IN (SELECT id FROM messages WHERE agent=?))"
            " ORDER BY e.seq LIMIT ?",
            (seq, agent, agent, limit),
        )
        return [{"seq": s, "id": m, "time": t, "kind": k, "detail": d or ""} for s, m, t, k, d in rows]

    def expiring(self, within: float, now: float | None = None, agent: str | None = None) -> list[Sealed]:
        """Unopened, unrevoked messages that lapse within `within` seconds and were not warned about."""
        now = now or time.time()
        ids = [
            r[0]
            for r in self._all(
                "SELECT id FROM messages WHERE opened IS NULL AND revoked IS NULL AND warned IS NULL"
                " AND expires>? AND expires<=? AND (CAST(? AS TEXT) IS NULL OR agent=?)",
                (now, now + within, agent, agent),
            )
        ]
        return [s for s in (self.get(i) for i in ids) if s]

    # --- replies -------------------------------------------------------------------------------------
    def put_reply(self, reply_id: str, ident: str, blob: bytes) -> None:
        # The row first (a reply id already taken fails here, before any bytes are written),
        # so a reply id can never overwrite another message's reply.
        self._changed("INSERT INTO replies VALUES (?,?,?,?)", (reply_id, ident, time.time(), len(blob)))
        try:
            self.blobs.put(reply_key(reply_id), blob)
        except BaseException:
            self._changed("DELETE FROM replies WHERE id=?", (reply_id,))
            raise

    def replies(self, agent: str | None = None) -> list[dict]:
        return [
            {"reply": r, "id": m, "created": c, "size": s}
            for r, m, c, s in self._all(
                "SELECT id, message, created, size FROM replies WHERE CAST(? AS TEXT) IS NULL"
                " OR message IN (SELECT id FROM messages WHERE agent=?) ORDER BY created",
                (agent, agent),
            )
        ]

    def reply_blob(self, reply_id: str) -> bytes | None:
        return self.blobs.get(reply_key(reply_id))

    def drop_reply(self, reply_id: str) -> bool:
        found = self._changed("DELETE FROM replies WHERE id=?", (reply_id,))
        self.blobs.delete(reply_key(reply_id))
        return bool(found)

    # --- enrolled agents -----------------------------------------------------------------------------
    def add_enrolment_code(self, code_hash: str, uses: int, expires: float, now: float) -> None:
        self._changed("INSERT INTO enrolment_codes VALUES (?,?,?,?)", (code_hash, uses, expires, now))

    def use_enrolment_code(self, code_hash: str, now: float) -> bool:
        return (
            self._changed(
                "UPDATE enrolment_codes SET uses_left=uses_left-1 WHERE code_hash=? AND uses_left>0 AND expires>?",
                (code_hash, now),
            )
            == 1
        )

    def add_agent(self, agent_id: str, name: str, credential_hash: str, now: float) -> bool:
        return (
            self._changed(
                "INSERT INTO agents (id, name, credential_hash, enrolled) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                (agent_id, name, credential_hash, now),
            )
            == 1
        )

    def agent_of(self, credential_hash: str) -> str | None:
        row = self._one("SELECT id FROM agents WHERE credential_hash=? AND revoked IS NULL", (credential_hash,))
        return row[0] if row else None

    def agents(self) -> list[dict]:
        rows = self._all(
            "SELECT a.id, a.name, a.enrolled, a.revoked, (SELECT max(created) FROM messages WHERE agent=a.id),"
            " (SELECT count(*) FROM messages WHERE agent=a.id) FROM agents a ORDER BY a.enrolled"
        )
        return [
            {"id": i, "name": n, "enrolled": e, "revoked": r, "last_upload": u, "messages": c}
            for i, n, e, r, u, c in rows
        ]

    def claim(self, ident: str, agent: str) -> bool:
        return (
            self._changed(
                "UPDATE messages SET agent=? WHERE id=? AND agent IN (?, ?)", (agent, ident, agent, LOCAL_AGENT)
            )
            == 1
        )

    def revoke_agent(self, agent_id: str, now: float) -> bool:
        return self._changed("UPDATE agents SET revoked=? WHERE id=? AND revoked IS NULL", (now, agent_id)) == 1
