"""Enrolled agents against the real portal app on a loopback port, on the embedded SQLite
store and on PostgreSQL (a real throwaway cluster): an agent without a valid credential is
refused with JSON; each agent sees and acts only on its own messages (another's is "not
found", never "forbidden"); the same upload again is a success, a different one a conflict;
an expiry is told once however often agents sync; the agent's upload is retried under the
same id when the portal fails once or is down for a moment."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest
import requests
from aiohttp import web

from agent.demo_world import free_port
from agent.portal import access, enrolment
from agent.portal.blobs import BlobError, FileBlobStore
from agent.portal.interface import PortalStore
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore
from agent.protect import ProtectError
from agent.protect.portal import PortalClient, PortalUnavailable

BLOB = b"\x05" * 96
LOCAL_SECRET = "the-embedded-agents-credential-0123456789"


class Portal:
    """The portal app on its own event loop in a thread; stop() and start() again on one port."""

    def __init__(self, store: PortalStore, port: int | None = None, mailer=None, **options) -> None:
        self.store, self.port, self.mailer, self.options = store, port or free_port(), mailer, options
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    def start(self) -> Portal:
        ready = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            app = create_app(
                self.store, LOCAL_SECRET, self.mailer, limiter=access.RateLimiter(per_minute=100_000), **self.options
            )
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        assert ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def store(portal_store):
    return portal_store


@pytest.fixture
def portal(store):
    running = Portal(store).start()
    yield running
    running.stop()


def enrol(portal: Portal, name: str) -> str:
    code, _ = enrolment.new_code(portal.store, 1, 3600)
    answer = requests.post(f"{portal.url}/api/v1/enroll", json={"code": code, "name": name}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["credential"]


def upload(portal: Portal, credential: str, ident: str, data: bytes = BLOB, recipient: str = "maria@mailbox.example"):
    return requests.put(
        f"{portal.url}/api/v1/messages/{ident}",
        data=data,
        timeout=10,
        headers={
            "Authorization": f"Bearer {credential}",
            "X-Postseal-Recipient": recipient,
            "X-Postseal-Sender": "dr.chen@valleyclinic.example",
        },
    )


def call(portal: Portal, credential: str, method: str, path: str):
    return requests.request(
        method, f"{portal.url}{path}", timeout=10, headers={"Authorization": f"Bearer {credential}"}
    )


def test_unknown_or_revoked_credentials_and_bad_codes_are_refused_with_json(portal):
    for credential in ("", "not-a-credential-of-this-portal", "x" * 600):
        refused = call(portal, credential, "GET", "/api/v1/sync")
        assert refused.status_code == 401 and "enroll" in refused.json()["error"]
        assert upload(portal, credential, "nobody-0123456789ab").status_code == 401
    bad = requests.post(f"{portal.url}/api/v1/enroll", json={"code": "pse-guessed", "name": "x"}, timeout=10)
    assert bad.status_code == 403 and "enrolment code" in bad.json()["error"]
    assert requests.post(f"{portal.url}/api/v1/enroll", data=b"[", timeout=10).status_code == 400
    credential = enrol(portal, "front desk")
    assert call(portal, credential, "GET", "/api/v1/sync").status_code == 200
    assert call(portal, LOCAL_SECRET, "GET", "/api/v1/sync").status_code == 200  # the adopted local agent
    [row] = [r for r in portal.store.agents() if r["name"] == "front desk"]
    portal.store.revoke_agent(row["id"], time.time())
    assert call(portal, credential, "GET", "/api/v1/sync").status_code == 401
    assert upload(portal, credential, "revoked-0123456789a").status_code == 401


def test_an_agent_sees_and_acts_only_on_its_own_messages(portal):
    mine, theirs = enrol(portal, "Dr. Chen"), enrol(portal, "Dr. Patel")
    assert upload(portal, mine, "chen-message-012345").status_code == 201
    assert upload(portal, theirs, "patel-message-01234").status_code == 201
    store = portal.store
    store.event("chen-message-012345", "opened")
    store.event("patel-message-01234", "opened")
    store.put_reply("chen-reply-01234567", "chen-message-012345", b"\x09" * 40)
    soon = time.time() + 3600
    store.update("chen-message-012345", expires=soon)
    store.update("patel-message-01234", expires=soon)

    def synced(credential: str) -> dict:
        answer = call(portal, credential, "GET", "/api/v1/sync?since=0&warn_within=7200")
        assert answer.status_code == 200
        return answer.json()

    seen = synced(theirs)
    assert {e["id"] for e in seen["events"]} == {"patel-message-01234"} and seen["replies"] == []
    assert [x["id"] for x in seen["expiring"]] == ["patel-message-01234"]
    seen = synced(mine)
    assert {e["id"] for e in seen["events"]} == {"chen-message-012345"}
    assert [r["reply"] for r in seen["replies"]] == ["chen-reply-01234567"]
    # Another agent's message or reply is "not found", exactly like one that does not exist.
    for path, method in (
        ("/api/v1/messages/chen-message-012345", "DELETE"),
        ("/api/v1/messages/chen-message-012345/warned", "POST"),
        ("/api/v1/replies/chen-reply-01234567/blob", "GET"),
        ("/api/v1/replies/chen-reply-01234567", "DELETE"),
    ):
        other = call(portal, theirs, method, path)
        missing = call(portal, theirs, method, path.replace("chen-", "none-"))
        assert other.status_code == missing.status_code == 404, (path, other.text)
    assert store.get("chen-message-012345").revoked is None and store.get("chen-message-012345").warned is None
    assert store.reply_blob("chen-reply-01234567") == b"\x09" * 40
    assert call(portal, mine, "GET", "/api/v1/replies/chen-reply-01234567/blob").content == b"\x09" * 40
    assert call(portal, mine, "DELETE", "/api/v1/replies/chen-reply-01234567").status_code == 204
    assert call(portal, mine, "POST", "/api/v1/messages/chen-message-012345/warned").status_code == 204
    assert call(portal, mine, "DELETE", "/api/v1/messages/chen-message-012345").status_code == 200


def test_the_same_upload_again_succeeds_and_a_different_one_conflicts(portal):
    mine, theirs = enrol(portal, "Dr. Chen"), enrol(portal, "Dr. Patel")
    assert upload(portal, mine, "retried-0123456789a").status_code == 201
    again = upload(portal, mine, "retried-0123456789a")
    assert again.status_code == 200 and again.json()["id"] == "retried-0123456789a"
    assert upload(portal, mine, "retried-0123456789a", b"\x06" * 96).status_code == 409
    assert upload(portal, mine, "retried-0123456789a", recipient="someone@else.example").status_code == 409
    assert upload(portal, theirs, "retried-0123456789a").status_code == 409
    assert portal.store.blob("retried-0123456789a") == BLOB and portal.store.get("retried-0123456789a").agent != ""


def test_an_expiry_is_told_once_however_often_agents_sync(portal):
    mine = enrol(portal, "Dr. Chen")
    assert upload(portal, mine, "lapsing-0123456789a").status_code == 201
    portal.store.update("lapsing-0123456789a", expires=time.time() - 1)
    kinds = []
    for _ in range(3):
        kinds += [e["kind"] for e in call(portal, mine, "GET", "/api/v1/sync?since=0").json()["events"]]
        kinds += [e["kind"] for e in call(portal, LOCAL_SECRET, "GET", "/api/v1/sync?since=0").json()["events"]]
    assert [e["kind"] for e in portal.store.events_since(0)] == ["expired"]
    assert kinds == ["expired"] * 3  # three syncs of its owner from the start each read the one event
    assert portal.store.blob("lapsing-0123456789a") is None  # and its ciphertext is gone


def test_where_the_sweeper_deletes_ciphertext_a_sync_only_tells_the_expiry(tmp_path):
    store = SqlitePortalStore(tmp_path / "portal")
    portal = Portal(store, purge_on_sync=False).start()  # as `portal serve` runs it
    try:
        mine = enrol(portal, "Dr. Chen")
        assert upload(portal, mine, "graced-0123456789ab").status_code == 201
        store.update("graced-0123456789ab", expires=time.time() - 1)
        events = call(portal, mine, "GET", "/api/v1/sync?since=0").json()["events"]
        assert [e["kind"] for e in events] == ["expired"] and store.blob("graced-0123456789ab") == BLOB
    finally:
        portal.stop()
        store.close()


class FailingOnce(FileBlobStore):
    """Blob storage that fails the first write (an object store's hiccup): the portal answers 500."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.failed = False

    def put(self, key: str, data: bytes) -> None:
        if not self.failed:
            self.failed = True
            raise BlobError("the object store did not answer")
        super().put(key, data)


def test_the_agent_retries_an_upload_the_portal_failed_once(tmp_path):
    blobs = FailingOnce(tmp_path / "blobs")
    store = SqlitePortalStore(tmp_path / "portal", blobs)
    portal = Portal(store).start()
    try:
        client = PortalClient(portal.url, enrol(portal, "Dr. Chen"), timeout=5, backoff=0.05)
        client.upload(
            "hiccup-0123456789ab", BLOB, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 600
        )
        assert blobs.failed and store.blob("hiccup-0123456789ab") == BLOB
        client.upload(
            "hiccup-0123456789ab", BLOB, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 600
        )  # a repeat after a lost answer: success, nothing changed
        with pytest.raises(ProtectError, match="401"):
            PortalClient(portal.url, "revoked-or-unknown-credential").upload(
                "stranger-0123456789", BLOB, "a@b.example", "c@d.example", time.time() + 600
            )
    finally:
        portal.stop()
        store.close()


def test_the_agent_retries_while_the_portal_restarts_and_gives_up_as_unavailable(tmp_path):
    store = SqlitePortalStore(tmp_path / "portal")
    portal = Portal(store).start()
    credential = enrol(portal, "Dr. Chen")
    portal.stop()
    done: list = []
    client = PortalClient(portal.url, credential, timeout=5, retries=8, backoff=0.1)
    worker = threading.Thread(
        target=lambda: done.append(
            client.upload(
                "restart-0123456789a", BLOB, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 600
            )
        )
    )
    refused = threading.Event()  # urllib3 says when it retries after a refused connection

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "Retrying" in record.getMessage():
                refused.set()

    watch = Watch()
    logging.getLogger("urllib3.connectionpool").addHandler(watch)
    try:
        worker.start()
        assert refused.wait(30), "the upload was never refused"
    finally:
        logging.getLogger("urllib3.connectionpool").removeHandler(watch)
    restarted = Portal(store, portal.port).start()  # the same portal back on its port
    worker.join(60)
    try:
        assert done == [None] and store.blob("restart-0123456789a") == BLOB
    finally:
        restarted.stop()
    with pytest.raises(PortalUnavailable, match="not reachable"):
        PortalClient(portal.url, credential, timeout=2, retries=2, backoff=0.01).upload(
            "down-0123456789abcd", BLOB, "a@b.example", "c@d.example", time.time() + 600
        )
    store.close()
