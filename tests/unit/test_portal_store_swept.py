"""The ciphertext of an expired message is deleted once, on each backend (the embedded SQLite
store and PostgreSQL, tests/portal_pg.py): purge_expired() and the sweeper list only what is
not yet swept, and a deletion that failed is tried again until it succeeds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent.portal.blobs import BlobError, BlobStore, FileBlobStore, message_key
from agent.portal.store import MIGRATIONS, SqlitePortalStore
from agent.portal.sweep import sweep
from agent.store_migrations import migrate_sqlite

BLOB = b"\x02" * 32
T0 = 1_900_000_000.0
HOUR = 3600.0


class Recording:
    """A blob store that records every deletion and refuses the keys in `refuse`."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner
        self.deleted: list[str] = []
        self.refuse: set[str] = set()

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, data)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def delete(self, key: str) -> bool:
        if key in self.refuse:
            raise BlobError(f"object store {key}: cannot delete (refused by the test)")
        self.deleted.append(key)
        return self.inner.delete(key)


@pytest.fixture
def store(portal_store):
    portal_store.blobs = Recording(portal_store.blobs)
    return portal_store


def test_purge_deletes_each_expired_ciphertext_once(store):
    for ident, expires in (("first-0123456789", T0), ("second-012345678", T0 + 1), ("later-0123456789", T0 + HOUR)):
        assert store.put(ident, BLOB, "dr.chen@valleyclinic.example", "pat@example.org", expires)
    assert store.purge_expired(T0 + 10) == ["first-0123456789", "second-012345678"]
    assert store.blobs.deleted == [message_key("first-0123456789"), message_key("second-012345678")]
    assert store.purge_expired(T0 + 20) == [] and len(store.blobs.deleted) == 2  # not listed, not deleted again
    assert store.purge_expired(T0 + 2 * HOUR) == ["later-0123456789"]
    assert store.blob("later-0123456789") is None and store.get("first-0123456789").expired(T0 + 10)


def test_a_ciphertext_that_could_not_be_deleted_is_listed_again(store):
    for ident, expires in (("kept-0123456789a", T0), ("stuck-0123456789", T0 + 1)):
        assert store.put(ident, BLOB, "dr.chen@valleyclinic.example", "pat@example.org", expires)
    store.blobs.refuse.add(message_key("stuck-0123456789"))
    with pytest.raises(BlobError):
        store.purge_expired(T0 + 10)
    assert store.unswept(T0 + 10) == ["stuck-0123456789"]  # the one deleted before is marked
    store.blobs.refuse.clear()
    assert store.purge_expired(T0 + 10) == ["stuck-0123456789"] and store.unswept(T0 + 10) == []


def test_the_sweeper_marks_only_what_it_deleted(store, tmp_path):
    for ident in ("fine-0123456789a", "stuck-0123456789"):
        assert store.put(ident, BLOB, "dr.chen@valleyclinic.example", "pat@example.org", T0)
    assert store.put("revoked-01234567", BLOB, "dr.chen@valleyclinic.example", "pat@example.org", T0)
    assert store.revoke("revoked-01234567")
    store.blobs.refuse.add(message_key("stuck-0123456789"))
    first = sweep(store, store.blobs, now=T0 + 2 * HOUR, grace_seconds=HOUR)
    assert first.swept == ["fine-0123456789a"] and list(first.failed) == ["stuck-0123456789"]
    store.blobs.refuse.clear()
    again = sweep(store, store.blobs, now=T0 + 3 * HOUR, grace_seconds=HOUR)
    assert (again.swept, again.failed) == (["stuck-0123456789"], {})
    assert sweep(store, store.blobs, now=T0 + 4 * HOUR, grace_seconds=HOUR).swept == []
    assert store.blobs.deleted.count(message_key("fine-0123456789a")) == 1


def test_marks_cover_more_ids_than_one_statement_takes(store):
    for ident in ("one-0123456789ab", "two-0123456789ab"):
        assert store.put(ident, BLOB, "dr.chen@valleyclinic.example", "pat@example.org", T0)
    others = [f"absent-{n:09d}" for n in range(1200)]
    store.mark_swept(["one-0123456789ab", *others[:600], "two-0123456789ab", *others[600:]], T0 + 1)
    assert store.unswept(T0 + 10) == []


def test_a_store_of_the_previous_version_sweeps_its_expired_messages_once_more(tmp_path: Path):
    root = tmp_path / "portal"
    root.mkdir()
    db = sqlite3.connect(root / "portal.db", isolation_level=None)
    migrate_sqlite(db, "portal store", root / "portal.db", MIGRATIONS[:4])
    db.execute(
        "INSERT INTO messages (id, sender, recipient, created, expires, size) VALUES (?,?,?,?,?,?)",
        ("old-expired-01234", "a@c.example", "p@m.example", 0, 1000, 32),
    )
    db.close()
    FileBlobStore(root).put(message_key("old-expired-01234"), BLOB)
    store = SqlitePortalStore(root)
    try:
        assert store.purge_expired(T0) == ["old-expired-01234"] and store.blob("old-expired-01234") is None
        assert store.purge_expired(T0) == []
    finally:
        store.close()
