"""Limits that hold across portal instances, because the store counts (PortalStore.hit):
receipts are bounded per message, per client and per attachment of a session however many
arrive at once, and two portal instances on one database share a client's attempts instead
of doubling them. On the embedded SQLite store and on PostgreSQL (a real throwaway cluster)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from agent.demo_world import free_port
from agent.portal import access
from agent.portal.interface import PortalStore
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore
from tests.integration.test_portal_lockout import postgres_store

IDENT = "limits-message-0123456789"


def open_store(kind: str, request, tmp_path: Path) -> PortalStore:
    if kind == "sqlite":
        return SqlitePortalStore(tmp_path / "portal")
    return postgres_store(request.getfixturevalue("postgres_url"), tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request) -> str:
    return request.param


def clear_of_a_window_edge(window: float = 60.0, margin: float = 8.0) -> None:
    """The limits count in fixed windows: a burst that straddles the edge of one counts in two.
    Start the burst well inside a window so what is asserted is one window's limit."""
    into = time.time() % window
    if into > window - margin:
        time.sleep(window - into + 0.5)


async def serve(apps: list[web.Application]) -> tuple[list[web.AppRunner], list[str]]:
    runners, bases = [], []
    for app in apps:
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        bases.append(f"http://127.0.0.1:{port}/api/v1/messages/{IDENT}")
    return runners, bases


async def receipts(store: PortalStore, indices: list[int]) -> list[int]:
    """A verified recipient, then one receipt per index, all at once."""
    mailed: list[str] = []
    runners, [base] = await serve([create_app(store, "token", mailer=lambda sealed, code: mailed.append(code))])
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as session:  # cookies for 127.0.0.1
            async with session.post(f"{base}/code", json={}) as response:
                assert response.status == 202
            async with session.post(f"{base}/session", json={"code": mailed[-1]}) as response:
                assert response.status == 200

            async def one(index: int) -> int:
                async with session.post(f"{base}/receipt", json={"event": "download", "index": index}) as response:
                    await response.read()
                    return response.status

            return await asyncio.gather(*(one(i) for i in indices))
    finally:
        for runner in runners:
            await runner.cleanup()


def downloads(store: PortalStore) -> list[str]:
    return [e["detail"] for e in store.events_since(0) if e["kind"] == "downloaded"]


def test_a_hundred_receipts_at_once_for_one_attachment_are_recorded_once(kind, request, tmp_path):
    store = open_store(kind, request, tmp_path)
    store.put(IDENT, b"\0" * 64, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400)
    clear_of_a_window_edge()
    statuses = asyncio.run(receipts(store, [3] * 100))
    assert downloads(store) == ["attachment 4"]
    # The first 30 are answered "done" (one recorded, the rest already were), then the
    # per-message limit refuses: the browser has nothing to retry either way.
    assert statuses.count(204) == access.RECEIPTS_PER_MINUTE and statuses.count(429) == 70
    store.close()


def test_a_hundred_receipts_at_once_for_different_attachments_write_a_bounded_number_of_records(
    kind, request, tmp_path
):
    store = open_store(kind, request, tmp_path)
    store.put(IDENT, b"\0" * 64, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400)
    clear_of_a_window_edge()
    statuses = asyncio.run(receipts(store, list(range(100))))
    recorded = downloads(store)
    assert len(recorded) == access.RECEIPTS_PER_MINUTE == statuses.count(204)
    assert statuses.count(429) == 100 - access.RECEIPTS_PER_MINUTE
    assert len(set(recorded)) == len(recorded)  # each attachment at most once
    store.close()


def test_two_instances_share_one_clients_attempts(kind, request, tmp_path):
    """Two portal instances, each with its own store connection to one database, as behind a
    load balancer: a client's 20 attempts a minute are 20 in all, not 20 on each."""
    first, second = open_store(kind, request, tmp_path), open_store(kind, request, tmp_path)

    async def alternate() -> list[int]:
        runners, bases = await serve([create_app(first, "token"), create_app(second, "token")])
        try:
            async with aiohttp.ClientSession() as session:
                statuses = []
                for n in range(30):  # a message that does not exist: only the client limit answers 429
                    async with session.post(f"{bases[n % 2]}/session", json={"code": "000000"}) as response:
                        statuses.append(response.status)
                        retry = response.headers.get("Retry-After")
                return statuses + ([int(retry)] if retry else [])
        finally:
            for runner in runners:
                await runner.cleanup()

    clear_of_a_window_edge()
    *statuses, retry_after = asyncio.run(alternate())
    assert statuses == [404] * access.ATTEMPTS_PER_MINUTE + [429] * (30 - access.ATTEMPTS_PER_MINUTE)
    assert 1 <= retry_after <= 61
    first.close()
    second.close()


def test_hits_through_two_connections_at_once_are_each_counted_once(kind, request, tmp_path):
    """The count is the database's: 200 hits from 8 threads over two store connections (two
    instances) get the counts 1…200, each once — no two hits ever read the same count."""
    import threading

    stores = [open_store(kind, request, tmp_path), open_store(kind, request, tmp_path)]
    start, counts, now = threading.Barrier(8), [], time.time()

    def hammer(store: PortalStore) -> None:
        start.wait()
        for _ in range(25):
            counts.append(store.hit("attempts:203.0.113.7", 3600, now)[0])

    threads = [threading.Thread(target=hammer, args=(stores[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 201))
    for store in stores:
        store.close()


def test_two_portal_serve_processes_share_one_clients_attempts(home, postgres_url, sink, ca, tmp_path):
    """The same as two real `postseal portal serve` processes on one PostgreSQL."""
    import requests

    from agent import config as config_mod
    from tests.conftest import make_config
    from tests.integration.test_portal_pg_serve import serve as serve_process
    from tests.integration.test_portal_pg_serve import wait_port

    (home / "config.toml").write_text(config_mod.to_toml(make_config(sink.port, ca)))
    ports = [free_port(), free_port()]
    processes = [serve_process(home, postgres_url, tmp_path / "blobs", ports[0])]
    try:
        wait_port(ports[0], processes[0])  # the first makes the upload token both read
        processes.append(serve_process(home, postgres_url, tmp_path / "blobs", ports[1]))
        wait_port(ports[1], processes[1])
        clear_of_a_window_edge()
        statuses = [
            requests.post(
                f"http://127.0.0.1:{ports[n % 2]}/api/v1/messages/{IDENT}/session", json={"code": "000000"}, timeout=10
            ).status_code
            for n in range(30)
        ]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
            process.stderr.close()
    assert statuses == [404] * access.ATTEMPTS_PER_MINUTE + [429] * (30 - access.ATTEMPTS_PER_MINUTE)
