"""What every portal store answers, the same on each backend: the embedded SQLite store and
the PostgreSQL one (a real throwaway cluster, tests/portal_pg.py), both with file blobs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent.portal.blobs import FileBlobStore, check_key
from agent.portal.interface import digest
from agent.portal.store import SqlitePortalStore

IDENT = "contract-message-0123456789"
BLOB = b"\x01" * 64


@pytest.fixture
def store(portal_store):
    assert portal_store.put(IDENT, BLOB, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400)
    return portal_store


def test_a_message_is_stored_once_and_read_back(store):
    assert not store.put(IDENT, b"other", "x@y.example", "z@y.example", time.time() + 10)
    sealed = store.get(IDENT)
    assert (sealed.sender, sealed.recipient, sealed.size, sealed.code_tries) == (
        "dr.chen@valleyclinic.example",
        "maria@mailbox.example",
        64,
        0,
    )
    assert sealed.codes_sent == () and sealed.revoked is None and sealed.passcode is None
    assert store.blob(IDENT) == BLOB
    assert store.get("no-such-message") is None and store.blob("no-such-message") is None


def test_a_passcode_is_kept_as_a_digest_and_opens_until_locked(store):
    assert store.put("with-passcode-1", BLOB, "a@b.example", "c@d.example", time.time() + 60, "tulip 42")
    sealed = store.get("with-passcode-1")
    assert sealed.passcode == digest("tulip 42")
    now = time.time()
    assert store.accept_passcode("with-passcode-1", digest("tulip 42"), now)
    assert not store.accept_passcode("with-passcode-1", digest("wrong"), now)
    for _ in range(5):
        store.count_wrong_try("with-passcode-1", 5, now + 600, now)
    assert not store.accept_passcode("with-passcode-1", digest("tulip 42"), now)


def test_update_sets_plain_fields(store):
    store.update(IDENT, opened=123.5, codes_sent=(1.0, 2.0))
    sealed = store.get(IDENT)
    assert sealed.opened == 123.5 and sealed.codes_sent == (1.0, 2.0)


def test_a_code_is_issued_only_on_what_was_read(store):
    now = time.time()
    assert store.issue_code(IDENT, "h1", now + 600, (), (now,), now)
    assert not store.issue_code(IDENT, "h2", now + 600, (), (now,), now)  # stale: a code went out since
    sealed = store.get(IDENT)
    assert sealed.code_hash == "h1" and sealed.codes_sent == (now,)


def test_five_wrong_tries_lock_and_void_the_code_and_a_locked_message_counts_nothing(store):
    now = time.time()
    store.issue_code(IDENT, "h1", now + 600, (), (now,), now)
    assert [store.count_wrong_try(IDENT, 5, now + 600, now) for _ in range(5)] == [
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (5, True),
    ]
    assert store.count_wrong_try(IDENT, 5, now + 600, now) is None
    sealed = store.get(IDENT)
    assert sealed.locked_until == now + 600 and sealed.code_hash is None and sealed.code_tries == 0
    assert not store.consume_code(IDENT, "h1", now)
    assert not store.issue_code(IDENT, "h3", now + 600, (now,), (now, now + 1), now)
    later = now + 601  # the lock has lapsed: a new code can be asked for and tries count again
    assert store.issue_code(IDENT, "h3", later + 600, (now,), (now, later), later)
    assert store.count_wrong_try(IDENT, 5, later + 600, later) == (1, False)


def test_the_right_code_opens_once_and_not_after_it_expired(store):
    now = time.time()
    store.issue_code(IDENT, "h1", now + 600, (), (now,), now)
    assert not store.consume_code(IDENT, "other", now)
    assert not store.consume_code(IDENT, "h1", now + 601)
    assert store.consume_code(IDENT, "h1", now)
    assert not store.consume_code(IDENT, "h1", now)


def test_revoking_deletes_the_ciphertext_and_the_sessions(store):
    store.add_session("token-1", IDENT, time.time() + 600)
    assert store.session_valid("token-1", IDENT)
    assert store.revoke(IDENT) and not store.revoke(IDENT)
    assert store.blob(IDENT) is None and store.get(IDENT).revoked
    assert not store.session_valid("token-1", IDENT)
    now = time.time()
    store.update(IDENT, code_hash="h1", code_expires=now + 600)
    assert not store.consume_code(IDENT, "h1", now)


def test_sessions_belong_to_one_message_and_lapse(store):
    store.add_session("token-1", IDENT, time.time() + 600)
    store.add_session("token-2", IDENT, time.time() - 1)
    assert store.session_valid("token-1", IDENT)
    assert not store.session_valid("token-1", "another-message")
    assert not store.session_valid("token-2", IDENT) and not store.session_valid("nope", IDENT)


def test_expired_messages_lose_their_ciphertext(store):
    assert store.put("short-lived-1", BLOB, "a@b.example", "c@d.example", time.time() + 5)
    assert store.purge_expired(time.time() + 10) == ["short-lived-1"]
    assert store.blob("short-lived-1") is None and store.blob(IDENT) == BLOB


def test_events_come_in_order_from_a_cursor_and_details_are_cut(store):
    store.event(IDENT, "code_sent")
    store.event(IDENT, "downloaded", "x" * 400)
    first, second = store.events_since(0)
    assert (first["kind"], first["id"], first["detail"]) == ("code_sent", IDENT, "")
    assert second["kind"] == "downloaded" and len(second["detail"]) == 300
    assert store.events_since(first["seq"]) == [second] and store.events_since(second["seq"]) == []
    assert store.events_since(0, limit=1) == [first]


def test_messages_about_to_expire_are_listed_until_warned_or_opened(store):
    now = time.time()
    assert store.put("soon-1", BLOB, "a@b.example", "c@d.example", now + 3600)
    assert [s.id for s in store.expiring(7200, now)] == ["soon-1"]
    store.update("soon-1", warned=now)
    assert store.expiring(7200, now) == []


def test_replies_are_kept_until_fetched_and_dropped(store):
    store.put_reply("reply-1", IDENT, b"sealed reply")
    [listed] = store.replies()
    assert (listed["reply"], listed["id"], listed["size"]) == ("reply-1", IDENT, 12)
    assert store.reply_blob("reply-1") == b"sealed reply"
    assert store.drop_reply("reply-1") and not store.drop_reply("reply-1")
    assert store.reply_blob("reply-1") is None and store.replies() == []


def rate_rows(store) -> list[tuple]:
    return store.db.execute("SELECT key, window_end, count FROM rate").fetchall()  # sqlite3 and psycopg alike


def test_a_rate_counts_hits_in_a_fixed_window_and_starts_again_in_the_next(store):
    start = 1_800_000_000.0  # a window's first second
    assert [store.hit("attempts:203.0.113.7", 60, start + n) for n in range(3)] == [
        (1, start + 60),
        (2, start + 60),
        (3, start + 60),
    ]
    assert store.hit("attempts:198.51.100.2", 60, start) == (1, start + 60)  # another key counts apart
    assert store.hit("attempts:203.0.113.7", 60, start + 60) == (1, start + 120)
    # A hit stamped a little in the past (another instance's clock) joins the newer window.
    assert store.hit("attempts:203.0.113.7", 60, start + 59) == (2, start + 120)


def test_a_rate_keeps_no_client_address_and_prunes_windows_that_ended(store):
    now = time.time()
    store.hit("attempts:203.0.113.7", 60, now - 3600)
    store.hit("attempts:198.51.100.2", 60, now)
    rows = rate_rows(store)
    assert [row[2] for row in rows] == [1]  # the hour-old window was deleted
    assert rows[0][0] == digest("attempts:198.51.100.2") and "198.51" not in str(rows)


@pytest.mark.parametrize("key", ["", "../x", "blobs/../x", "/etc/passwd", "blobs//x", "a b", "blobs/."])
def test_a_blob_key_never_leaves_the_blob_folder(key, tmp_path):
    with pytest.raises(ValueError):
        check_key(key)
    with pytest.raises(ValueError):
        FileBlobStore(tmp_path).put(key, b"x")


class BrokenBlobs(FileBlobStore):
    """Bytes that fail to land (a full disk, an object store that is down), once."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.fail = True

    def put(self, key: str, data: bytes) -> None:
        if self.fail:
            self.fail = False
            raise OSError("no space left on device")
        super().put(key, data)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_an_upload_whose_bytes_did_not_land_leaves_no_message_and_can_be_retried(backend, request, tmp_path):
    blobs = BrokenBlobs(tmp_path / "portal")
    if backend == "sqlite":
        made = SqlitePortalStore(tmp_path / "portal", blobs)
    else:
        from agent.portal.store_pg import PostgresPortalStore

        made = PostgresPortalStore(request.getfixturevalue("postgres_url"), blobs)
    try:
        with pytest.raises(OSError):
            made.put("retried-1", BLOB, "a@b.example", "c@d.example", time.time() + 60)
        assert made.get("retried-1") is None
        assert made.put("retried-1", BLOB, "a@b.example", "c@d.example", time.time() + 60)
        assert made.blob("retried-1") == BLOB
    finally:
        made.close()
