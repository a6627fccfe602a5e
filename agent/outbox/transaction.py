"""One write transaction of the outbox: `BEGIN IMMEDIATE` … `COMMIT`, rolled back on any error.

IMMEDIATE takes SQLite's write lock at BEGIN rather than at the first write, so a move that
reads a recipient's state and then changes it cannot fail half-way on a lock another
connection took in between. A failed COMMIT (a full disk) is rolled back too, so the
connection is never left inside a transaction.
"""

from __future__ import annotations

import sqlite3


class Transaction:
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
