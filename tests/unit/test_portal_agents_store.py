"""What every portal store answers about enrolled agents, the same on each backend (the
embedded SQLite store and PostgreSQL on a real throwaway cluster): enrolment codes are used
up atomically, credentials are kept as digests, each agent lists only its own messages'
events, replies and lapses, and each expiry is recorded once."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from agent.portal import enrolment
from agent.portal.interface import LOCAL_AGENT, digest
from agent.portal.store import SCHEMA, SqlitePortalStore
from agent.store_migrations import sqlite_version

BLOB = b"\x01" * 64


@pytest.fixture
def store(portal_store):
    return portal_store


def test_an_enrolment_code_serves_its_uses_until_it_lapses_and_is_kept_as_a_digest(store):
    code, expires = enrolment.new_code(store, 2, 3600)
    assert code.startswith("pse-") and len(code) > 20
    first, second = enrolment.enrol(store, code, "Front desk"), enrolment.enrol(store, code, "Dr. Chen's laptop")
    assert first and second and first.agent != second.agent and first.credential != second.credential
    assert enrolment.enrol(store, code, "a third") is None  # used up
    assert enrolment.enrol(store, "pse-not-a-code", "x") is None and enrolment.enrol(store, "", "x") is None
    lapsed, _ = enrolment.new_code(store, 5, 60, now=time.time() - 120)
    assert enrolment.enrol(store, lapsed, "late") is None
    assert store.agent_of(digest(first.credential)) == first.agent
    assert store.agent_of(first.credential) is None  # only the digest opens the door
    listed = {row["id"]: row for row in store.agents()}
    assert listed[first.agent]["name"] == "Front desk" and listed[second.agent]["name"] == "Dr. Chen's laptop"


def test_concurrent_enrolments_never_exceed_the_codes_uses(store):
    code, _ = enrolment.new_code(store, 3, 3600)
    got: list = []
    start = threading.Barrier(8)

    def one() -> None:
        start.wait()
        got.append(enrolment.enrol(store, code, "racer"))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([g for g in got if g]) == 3


def test_a_revoked_agent_is_no_longer_known_and_a_bad_duration_or_count_is_one_line(store):
    code, _ = enrolment.new_code(store, 1, 3600)
    agent = enrolment.enrol(store, code, "old laptop")
    assert store.revoke_agent(agent.agent, time.time()) and not store.revoke_agent(agent.agent, time.time())
    assert store.agent_of(digest(agent.credential)) is None
    assert [r["revoked"] is not None for r in store.agents()] == [True]
    with pytest.raises(enrolment.EnrolmentError, match="1 to"):
        enrolment.new_code(store, 0, 60)
    for bad in ("7", "91d", "0d", "1w"):
        with pytest.raises(enrolment.EnrolmentError, match="--expires"):
            enrolment.duration(bad)
    assert enrolment.duration("12h") == 43200


def test_adopting_the_local_credential_is_idempotent_and_never_undoes_a_revocation(store):
    enrolment.adopt(store, "the-embedded-agents-own-secret")
    enrolment.adopt(store, "the-embedded-agents-own-secret")
    assert store.agent_of(digest("the-embedded-agents-own-secret")) == LOCAL_AGENT
    store.revoke_agent(LOCAL_AGENT, time.time())
    enrolment.adopt(store, "the-embedded-agents-own-secret")
    assert store.agent_of(digest("the-embedded-agents-own-secret")) is None


def test_each_agent_lists_only_its_own_events_replies_and_lapses(store):
    now = time.time()
    assert store.put("mine-0123456789ab", BLOB, "a@clinic.example", "p@mail.example", now + 600, agent="a-1")
    assert store.put("theirs-0123456789", BLOB, "b@clinic.example", "q@mail.example", now + 600, agent="a-2")
    assert store.get("mine-0123456789ab").agent == "a-1"
    store.event("mine-0123456789ab", "opened")
    store.event("theirs-0123456789", "opened")
    store.put_reply("reply-mine-01234567", "mine-0123456789ab", b"sealed")
    store.put_reply("reply-theirs-012345", "theirs-0123456789", b"sealed")
    assert [e["id"] for e in store.events_since(0, agent="a-1")] == ["mine-0123456789ab"]
    assert [e["id"] for e in store.events_since(0, agent="a-2")] == ["theirs-0123456789"]
    assert len(store.events_since(0)) == 2
    assert [r["reply"] for r in store.replies("a-1")] == ["reply-mine-01234567"]
    assert [s.id for s in store.expiring(3600, now, agent="a-2")] == ["theirs-0123456789"]
    assert store.events_since(0, agent="a-3") == [] and store.replies("a-3") == []


def test_each_expiry_is_recorded_once_however_often_it_is_asked(store):
    now = time.time()
    assert store.put("lapsing-0123456789", BLOB, "a@clinic.example", "p@mail.example", now + 5)
    assert store.note_expired(now) == []
    assert store.note_expired(now + 10) == ["lapsing-0123456789"]
    assert store.note_expired(now + 20) == [] and store.note_expired(now + 30) == []
    assert [e["kind"] for e in store.events_since(0)] == ["expired"]
    assert store.purge_expired(now + 30) == ["lapsing-0123456789"]  # the sweeper still sees it every time


def test_a_version_2_sqlite_store_gives_its_messages_to_the_local_agent_and_tells_no_old_expiry_again(tmp_path):
    root = tmp_path / "portal"
    root.mkdir()
    db = sqlite3.connect(root / "portal.db")
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO messages (id, sender, recipient, created, expires, size) VALUES (?,?,?,?,?,?)",
        [
            ("old-expired-0123456", "a@c.example", "p@m.example", 0, 1000, 64),
            ("old-current-0123456", "a@c.example", "p@m.example", 0, time.time() + 600, 64),
        ],
    )
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    store = SqlitePortalStore(root)
    try:
        assert store.get("old-current-0123456").agent == LOCAL_AGENT
        assert store.note_expired() == []  # its expiry event was written by the sync of before
        assert sqlite_version(root / "portal.db") >= 3
    finally:
        store.close()


def test_an_agent_claims_only_messages_of_before_enrolment_or_its_own(store):
    now = time.time()
    assert store.put("legacy-0123456789ab", BLOB, "a@clinic.example", "p@mail.example", now + 600)  # the shared token's
    assert store.put("patel-0123456789abc", BLOB, "b@clinic.example", "q@mail.example", now + 600, agent="a-2")
    assert store.claim("legacy-0123456789ab", "a-1") and store.get("legacy-0123456789ab").agent == "a-1"
    assert store.claim("legacy-0123456789ab", "a-1")  # again: already its own
    assert not store.claim("legacy-0123456789ab", "a-3")  # now an enrolled agent's: not anyone else's
    assert not store.claim("patel-0123456789abc", "a-1") and store.get("patel-0123456789abc").agent == "a-2"
    assert not store.claim("no-such-0123456789a", "a-1")
