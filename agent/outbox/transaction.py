"""One write transaction of the outbox: `BEGIN IMMEDIATE` … `COMMIT`, rolled back on any error.

IMMEDIATE takes SQLite's write lock at BEGIN rather than at the first write, so a move that
reads a recipient's state and then changes it cannot fail half-way on a lock another
connection took in between. A failed COMMIT (a full disk) is rolled back too, so the
connection is never left inside a transaction.

The outbox writes through two connections of this process — the state moves on the event
loop's, acceptance on its own (agent/outbox/acceptance.py) — and `writing`, one lock shared by
both, is taken before BEGIN: a writer that finds the other one committing waits on that lock
and wakes when it is released, rather than in SQLite's busy handler, which polls by sleeping.
"""

from __future__ import annotations

import sqlite3
import threading


class Transaction:
    def __init__(self, db: sqlite3.Connection, writing: threading.Lock) -> None:
        self.db = db
        self.writing = writing

    def __enter__(self) -> None:
        self.writing.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.writing.release()
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                try:
                    self.db.execute("COMMIT")
                except sqlite3.Error:
                    self._rollback()
                    raise
            else:
                self._rollback()
        finally:
            self.writing.release()

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. SQLITE_FULL ends the transaction itself)
