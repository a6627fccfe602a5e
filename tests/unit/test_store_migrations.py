"""The one way stores carry their data forward (agent/store_migrations.py): ordered steps in
one transaction with the version they lead to, nothing half done, newer data refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent.portal.store import MIGRATIONS as PORTAL_STEPS
from agent.portal.store import SCHEMA, SqlitePortalStore
from agent.store_migrations import (
    BadVersion,
    NewerData,
    Step,
    latest,
    migrate_document,
    migrate_sqlite,
    run_script,
    sqlite_version,
)

STEPS = (
    Step(1, "a table", lambda db: db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")),
    Step(2, "a column", lambda db: db.execute("ALTER TABLE notes ADD COLUMN seen INTEGER NOT NULL DEFAULT 0")),
)


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_steps_run_in_order_once_and_the_version_goes_with_them(tmp_path):
    db = connect(tmp_path / "s.db")
    assert migrate_sqlite(db, "notes", tmp_path / "s.db", STEPS) == 0
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    db.execute("INSERT INTO notes (text, seen) VALUES ('x', 1)")
    assert migrate_sqlite(db, "notes", tmp_path / "s.db", STEPS) == 2  # nothing left to do: nothing runs
    db.close()
    assert sqlite_version(tmp_path / "s.db") == 2


def test_a_step_that_fails_leaves_the_database_as_it_was(tmp_path):
    def broken(db: sqlite3.Connection) -> None:
        db.execute("UPDATE notes SET text='changed'")
        raise RuntimeError("disk trouble")

    db = connect(tmp_path / "s.db")
    migrate_sqlite(db, "notes", tmp_path / "s.db", STEPS[:1])
    db.execute("INSERT INTO notes (text) VALUES ('kept')")
    with pytest.raises(RuntimeError, match="disk trouble"):
        migrate_sqlite(db, "notes", tmp_path / "s.db", (*STEPS, Step(3, "broken", broken)))
    assert db.execute("PRAGMA user_version").fetchone() == (1,)  # step 2 went back with step 3
    assert [row[1] for row in db.execute("PRAGMA table_info(notes)")] == ["id", "text"]
    assert db.execute("SELECT text FROM notes").fetchall() == [("kept",)]
    assert not db.in_transaction


def test_a_newer_database_is_refused_before_anything_runs(tmp_path):
    db = connect(tmp_path / "s.db")
    db.execute("PRAGMA user_version=7")
    ran = []
    with pytest.raises(NewerData) as refused:
        migrate_sqlite(db, "notes", tmp_path / "s.db", (Step(1, "spy", ran.append),))
    assert ran == [] and db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    message = str(refused.value)
    assert "\n" not in message and "the notes in" in message and "data version 7" in message
    assert "reads up to version 1" in message and "upgrade Postseal" in message


def test_the_version_of_a_closed_database_is_read_from_its_header_without_leaving_files(tmp_path):
    path = tmp_path / "s.db"
    db = connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    migrate_sqlite(db, "notes", path, STEPS)
    assert sqlite_version(path) == 2  # a -wal file with the change not yet checkpointed: asked of SQLite
    db.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]
    assert sqlite_version(path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]  # the header, read as a file
    (tmp_path / "other").write_bytes(b"not a database at all, but long enough to have a header" * 3)
    with pytest.raises(BadVersion, match="is not a SQLite database"):
        sqlite_version(tmp_path / "other")
    assert sqlite_version(tmp_path / "absent.db") == 0


def test_a_document_is_carried_forward_and_a_strange_version_refused(tmp_path):
    steps = (Step(1, "mark", lambda d: None), Step(2, "rename", lambda d: d.update(items=d.pop("things", []))))
    old = {"things": [1, 2]}
    assert migrate_document(old, "list", tmp_path / "l.json", steps) is True
    assert old == {"items": [1, 2], "version": 2}
    assert migrate_document(old, "list", tmp_path / "l.json", steps) is False and old["version"] == 2
    for strange in ("2", 1.5, -1, True, None):
        with pytest.raises(BadVersion, match=r"has version .* which is not a version"):
            migrate_document({"version": strange}, "list", tmp_path / "l.json", steps)
    with pytest.raises(NewerData, match="data version 3"):
        migrate_document({"version": 3}, "list", tmp_path / "l.json", steps)


def test_steps_must_be_numbered_from_one_without_gaps():
    assert latest(STEPS) == 2
    with pytest.raises(ValueError, match="numbered 1, 2, 3"):
        latest((STEPS[1], STEPS[0]))
    with pytest.raises(ValueError, match="numbered 1, 2, 3"):
        latest((STEPS[0], Step(3, "gap", print)))


def test_a_migration_script_runs_inside_the_transaction(tmp_path):
    db = connect(tmp_path / "s.db")
    db.execute("BEGIN")
    run_script(db, "CREATE TABLE a (x TEXT -- a comment; with a semicolon\n);\nCREATE TABLE b (y);\n")
    assert db.in_transaction  # executescript would have committed
    db.execute("ROLLBACK")
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_a_portal_store_of_0_1_0_loses_the_file_names_of_its_receipts(tmp_path):
    root = tmp_path / "portal"
    root.mkdir()
    db = connect(root / "portal.db")
    db.executescript(SCHEMA)  # as release 0.1.0 wrote it, with no version mark
    db.executemany(
        "INSERT INTO events (message, time, kind, detail) VALUES ('m1', 0, ?, ?)",
        [("downloaded", "Doe_John_MRN-123.pdf"), ("downloaded", "attachment 2"), ("opened", "")],
    )
    db.close()
    store = SqlitePortalStore(root)
    assert store.db.execute("SELECT kind, detail FROM events ORDER BY seq").fetchall() == [
        ("downloaded", ""),
        ("downloaded", "attachment 2"),
        ("opened", ""),
    ]  # the receipts themselves stay
    store.db.close()
    assert sqlite_version(root / "portal.db") == latest(PORTAL_STEPS)
    assert not any(b"Doe_John" in p.read_bytes() for p in root.iterdir() if p.is_file())
