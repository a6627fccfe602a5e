"""Data written by an earlier Postseal is carried forward when its store opens; data written
by a later one is refused, untouched.

Each store keeps the version of its layout with its data: a SQLite database in `PRAGMA
user_version` (a field of the database header, written in the same transaction as the rest),
a JSON file in a "version" field of its own. A store lists its steps, each bringing the data
to the next version. Opening runs the steps the data has not had yet, in order, inside one
transaction (SQLite) or before one atomic rewrite of the file (the caller's), and records the
new version with them: an upgrade cut short leaves the data as it was, and opening the same
data again runs nothing.

Versions: 0 is "no mark" — data written by release 0.1.0, which marked none, or a store that
does not exist yet. Step 1 brings either to release 0.1.0's layout (it creates that layout when
the store is new, and finds it already there in 0.1.0's data), so a new store and an upgraded
one end in the same layout by the same path. A version above the last step was written by a
newer Postseal: the store refuses to open it before it reads or writes anything else, in one
line naming the store, its file and the version. A downgrade is never guessed at: what a newer
version wrote may mean something this one cannot know.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class DataVersionError(Exception):
    """A store's data cannot be opened by this version; the text (one line) says which and why."""


class NewerData(DataVersionError):
    """The store's data was written by a newer Postseal; nothing was read past its version or changed."""


class BadVersion(DataVersionError):
    """The store's version mark is not a version at all (a damaged or hand-edited file)."""


@dataclass(frozen=True)
class Step:
    version: int  # the version the data has once this step has run
    what: str  # one line for the log
    apply: Callable[[Any], None]  # given the store's own handle (a connection, a document, …)


def latest(steps: Sequence[Step]) -> int:
    """The version this code writes: its last step's. Steps are numbered 1, 2, 3, … in order."""
    numbers = [step.version for step in steps]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"migration steps must be numbered 1, 2, 3, … in order, not {numbers}")
    return numbers[-1]


def refuse_newer(store: str, where: Path, found: int, steps: Sequence[Step]) -> None:
    newest = latest(steps)
    if found > newest:
        raise NewerData(
            f"the {store} in {where} was written by a newer Postseal (data version {found}; this Postseal "
            f"reads up to version {newest}): upgrade Postseal to open it; nothing was changed"
        )


def pending(store: str, where: Path, found: int, steps: Sequence[Step]) -> list[Step]:
    """The steps data at version `found` has not had yet (NewerData when it is past them all)."""
    refuse_newer(store, where, found, steps)
    return [step for step in steps if step.version > found]


def _run(store: str, where: Path, found: int, todo: list[Step], handle: Any) -> None:
    for step in todo:
        log.info("%s %s: version %d → %d: %s", store, where, step.version - 1, step.version, step.what)
        step.apply(handle)
    if todo:
        log.info("%s %s carried forward from version %d to %d", store, where, found, todo[-1].version)


# --- SQLite: PRAGMA user_version ---------------------------------------------------------------
def sqlite_version(path: Path) -> int:
    """The version mark of a database file, read without changing it (0 when there is none yet)."""
    if not path.exists():
        return 0
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        # Closed cleanly: the header is the truth, and reading it leaves no -wal/-shm behind as
        # even a read-only connection would. user_version: 4 bytes, big-endian, at offset 60
        # (https://www.sqlite.org/fileformat.html, "The Database Header").
        with path.open("rb") as handle:
            header = handle.read(100)
        if not header:
            return 0  # created, never written
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            raise BadVersion(f"{path} is not a SQLite database: restore it from a backup; nothing was changed")
        return int.from_bytes(header[60:64], "big")
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BadVersion(f"{path} cannot be read as a database ({exc}); nothing was changed") from None
    finally:
        db.close()


def migrate_sqlite(db: sqlite3.Connection, store: str, where: Path, steps: Sequence[Step], handle: Any = None) -> int:
    """Bring the database to the latest version in one transaction (`db` in autocommit mode,
    isolation_level=None); returns the version it had. Each step gets `handle` (default: `db`)."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    refuse_newer(store, where, found, steps)
    if found == latest(steps):
        return found
    # What a step replaces (a plain value sealed in place) is overwritten with zeros, not left
    # in free pages, from the moment the transaction commits: no window for a VACUUM to miss.
    (secure,) = db.execute("PRAGMA secure_delete").fetchone()
    db.execute("PRAGMA secure_delete=ON")
    db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have carried the data forward while this one waited for the lock.
        found = int(db.execute("PRAGMA user_version").fetchone()[0])
        todo = pending(store, where, found, steps)
        _run(store, where, found, todo, db if handle is None else handle)
        db.execute(f"PRAGMA user_version={latest(steps)}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.execute(f"PRAGMA secure_delete={int(secure)}")
    return found


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Statements one by one: `executescript` would commit the migration's transaction first."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:80]}")


# --- JSON documents: a "version" field --------------------------------------------------------
def document_version(store: str, where: Path, document: dict) -> int:
    found = document.get("version", 0)
    if type(found) is not int or found < 0:
        raise BadVersion(
            f"the {store} in {where} has version {found!r}, which is not a version: restore the file "
            "from a backup; nothing was changed"
        )
    return found


def migrate_document(document: dict, store: str, where: Path, steps: Sequence[Step], handle: Any = None) -> bool:
    """Bring a JSON document (changed in place) to the latest version; True when it changed
    and the caller must write it (atomically: the steps and the new version land together).
    Each step gets `handle` (default: the document)."""
    found = document_version(store, where, document)
    todo = pending(store, where, found, steps)
    _run(store, where, found, todo, document if handle is None else handle)
    document["version"] = latest(steps)
    return bool(todo)
