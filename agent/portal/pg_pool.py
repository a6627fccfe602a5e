"""A pool of PostgreSQL connections that reads like one connection, for the portal store.

The portal's server runs each store call on a thread of its own (offload.py); one psycopg
connection shared by those threads would run their statements one after another (a
connection is one conversation with the server), so the PostgreSQL store keeps a pool
(psycopg_pool.ConnectionPool) and lends a connection to each statement.

`PooledDatabase.execute(sql, params)` borrows a connection, runs the statement in autocommit
(each statement its own transaction: a row lock lasts one statement, as store_pg.py's limits
need), reads the whole answer and gives the connection back before returning a `Result`
(`fetchone`, `fetchall`, iteration, `rowcount`), so no cursor outlives its loan. A block that
needs several statements in one transaction holds one connection for its length:

    with db.transaction():
        db.execute(...)  # these run on the block's connection, in its transaction
        db.execute(...)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool


class Result:
    """What a statement answered, read whole: rows (none for a statement without a result)
    and how many rows it changed."""

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self.rows: list[tuple] = cursor.fetchall() if cursor.description is not None else []
        self.rowcount: int = cursor.rowcount
        self._next = 0

    def fetchone(self) -> tuple | None:
        if self._next >= len(self.rows):
            return None
        self._next += 1
        return self.rows[self._next - 1]

    def fetchall(self) -> list[tuple]:
        rest, self._next = self.rows[self._next :], len(self.rows)
        return rest

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fetchall())


class PooledDatabase:
    def __init__(self, url: str, size: int, **options: Any) -> None:
        # Connections are opened in the background as needed (at most `size`; one kept open
        # when idle); a caller waits at most `wait` seconds for one, then gets PoolTimeout
        # (a psycopg.OperationalError, like a failed connection).
        wait = float(options.pop("wait", 30))
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True, **options},
            timeout=wait,
            name="postseal-portal",
            open=True,
        )
        self._held = threading.local()

    def execute(self, sql: str, params: Any = None) -> Result:
        held = getattr(self._held, "conn", None)
        if held is not None:
            return Result(held.execute(sql, params))
        with self.pool.connection() as conn:
            return Result(conn.execute(sql, params))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One connection and one transaction for the block (nested: a savepoint)."""
        held = getattr(self._held, "conn", None)
        if held is not None:
            with held.transaction():
                yield held
            return
        with self.pool.connection() as conn, conn.transaction():
            self._held.conn = conn
            try:
                yield conn
            finally:
                self._held.conn = None

    def close(self) -> None:
        self.pool.close()
