"""Signed delivery events for a local integration (an EHR sending appointment mail)."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from aiohttp import web

from agent import webhooks
from agent.api.client import AgentClient, ApiError
from agent.demo_world import free_port
from agent.runtime import AgentThread
from tests.conftest import SAMPLES, make_config

CARE_TEAM = SAMPLES / "06-care-team-update.eml"  # three recipients, three methods


class Receiver:
    """An HTTP endpoint on loopback that keeps every call; the first `failures` get a 500,
    and with `redirect_to` every call gets a 307 there."""

    def __init__(self, failures: int = 0, port: int = 0, redirect_to: str = "") -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/postseal/events"
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.failures = failures
        self.redirect_to = redirect_to
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.read()))
        if self.redirect_to:
            raise web.HTTPTemporaryRedirect(self.redirect_to)
        if len(self.calls) <= self.failures:
            return web.Response(status=500, text="EHR busy")
        return web.Response(status=204)

    def __enter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/postseal/events", self._handle)
        self._runner = web.AppRunner(app)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def accepted(self) -> list[tuple[dict[str, str], dict]]:
        """Calls that got a 2xx, as (headers, parsed body)."""
        return [(h, json.loads(b)) for i, (h, b) in enumerate(self.calls) if i >= self.failures]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[dict[str, str], dict]]:
        deadline = time.monotonic() + timeout
        while len(self.accepted()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.accepted()


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "RETRY_FIRST", 0.2)


def test_each_recipient_outcome_reaches_the_callback_signed_and_retried(start_agent, sink):
    with Receiver(failures=2) as receiver:
        running = start_agent(sink.port)
        client = AgentClient(running.api_url, running.token, timeout=20)
        submission = client.submit(CARE_TEAM.read_bytes(), callback_url=receiver.url)
        assert len(submission.callback_secret) == 64
        assert client.wait(submission.id)["state"] == "delivered"

        got = receiver.wait_for(3)
        assert len(got) == 3
        assert sorted(body["recipient"] for _, body in got) == sorted(
            r["address"] for r in client.message(submission.id)["recipients"]
        )
        for headers, body in got:
            assert body["type"] == "recipient.delivered" and body["id"] == submission.id
            assert body["message_id"] == "20261124163000.careteam@valleyclinic.example"
            raw = json.dumps(body, sort_keys=True).encode()
            assert webhooks.verify(submission.callback_secret, raw, headers["X-Postseal-Signature"])
            assert not webhooks.verify("another secret", raw, headers["X-Postseal-Signature"])
        # Delivery is at-least-once and in order: the event refused twice came again with
        # the same id, and ids only grow.
        ids = [int(h["X-Postseal-Event-Id"]) for h, _ in receiver.calls]
        assert ids[0] == ids[1] == ids[2] and ids[2:] == sorted(ids[2:])
        # Addresses and states only, never content.
        assert not any(b"Alvarez" in body or b"apixaban" in body for _, body in receiver.calls)


def test_events_survive_an_agent_restart_while_the_receiver_is_down(ca, sink, home):
    config = make_config(sink.port, ca)
    port = free_port()  # nothing listens there yet: the EHR is being updated
    first = AgentThread(home, config)
    running = first.start()
    client = AgentClient(running.api_url, running.token, timeout=20)
    submission = client.submit(CARE_TEAM.read_bytes(), callback_url=f"http://127.0.0.1:{port}/postseal/events")
    assert client.wait(submission.id)["state"] == "delivered"
    first.stop()  # with three events still queued

    with Receiver(port=port) as receiver:
        second = AgentThread(home, config)
        second.start()
        try:
            got = receiver.wait_for(3)
        finally:
            second.stop()
    assert [body["type"] for _, body in got] == ["recipient.delivered"] * 3
    assert len({h["X-Postseal-Event-Id"] for h, _ in got}) == 3


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",
        "http://10.0.0.8/hook",
        "https://192.168.1.20:8443/x",
        "ftp://127.0.0.1/x",
        "http://ehr:secret@127.0.0.1:9000/x",
        "http://127.0.0.1:99999/x",
        "javascript:alert(1)",
    ],
)
def test_a_callback_off_this_machine_is_refused_and_nothing_is_accepted(start_agent, sink, url):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=20)
    with pytest.raises(ApiError) as refused:
        client.submit(CARE_TEAM.read_bytes(), callback_url=url)
    assert refused.value.status == 400 and refused.value.code == "bad_callback"
    assert client.outbox() == []


def test_redirects_are_not_followed(start_agent, sink):
    with Receiver() as elsewhere, Receiver(redirect_to="") as redirecting:
        redirecting.redirect_to = elsewhere.url
        running = start_agent(sink.port)
        client = AgentClient(running.api_url, running.token, timeout=20)
        submission = client.submit(CARE_TEAM.read_bytes(), callback_url=redirecting.url)
        client.wait(submission.id)
        deadline = time.monotonic() + 5
        while len(redirecting.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(redirecting.calls) >= 2  # retried: a redirect is not a success
        assert elsewhere.calls == []


def test_submitting_again_returns_the_same_id_and_secret(start_agent, sink):
    with Receiver() as receiver:
        running = start_agent(sink.port)
        client = AgentClient(running.api_url, running.token, timeout=20)
        first = client.submit(CARE_TEAM.read_bytes(), callback_url=receiver.url)
        again = client.submit(CARE_TEAM.read_bytes(), callback_url=receiver.url)
        assert again.duplicate and (again.id, again.callback_secret) == (first.id, first.callback_secret)
