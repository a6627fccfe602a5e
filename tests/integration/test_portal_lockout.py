"""The portal's wrong-code limit holds under concurrency, as an attacker would test it: many
wrong codes in flight at once, each request's body held back until all of them have read the
message, so every one of them saw "no tries yet". The store counts in one atomic statement:
five wrong codes lock the message, and then the right code opens nothing.

Each test runs on the embedded SQLite store and on PostgreSQL (a real throwaway cluster,
tests/portal_pg.py); on PostgreSQL also as two portal instances, each with its own
connection, sharing one database as they would behind a load balancer."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from agent.demo_world import free_port
from agent.portal import access
from agent.portal.blobs import FileBlobStore
from agent.portal.interface import PortalStore
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore

IDENT = "race-message-0123456789"
GUESSES = 60


def run_portal(store: PortalStore, mailed: list[str]) -> web.AppRunner:
    """The real portal app on a free loopback port; the per-client limit set out of the way,
    so what is measured is the per-message limit alone."""
    app = create_app(
        store,
        "upload-token",
        mailer=lambda sealed, code: mailed.append(code),
        limiter=access.RateLimiter(per_minute=100_000),
    )
    runner = web.AppRunner(app)
    return runner


async def storm(base: str, codes: list[str], release: asyncio.Event) -> list[int]:
    async def held_body(code: str):
        yield b'{"code": '  # the handler starts and reads the message; the rest waits
        await release.wait()
        yield f'"{code}"}}'.encode()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(code: str) -> int:
            async with session.post(
                f"{base}/session", data=held_body(code), headers={"Content-Type": "application/json"}
            ) as response:
                await response.read()
                return response.status

        tasks = [asyncio.create_task(one(code)) for code in codes]
        await asyncio.sleep(1.0)  # every request is in its handler, waiting for its body
        release.set()
        return await asyncio.gather(*tasks)


async def scenario(store: PortalStore, mailed: list[str]) -> tuple[list[int], int, int]:
    runner = run_portal(store, mailed)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}/api/v1/messages/{IDENT}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{base}/code", json={}) as response:
                assert response.status == 202
        right = mailed[-1]
        wrong = [f"{(int(right) + 1 + n) % 10**6:06d}" for n in range(GUESSES)]
        statuses = await storm(base, wrong, asyncio.Event())
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{base}/session", json={"code": right}) as response:
                after = response.status
            async with session.get(f"{base}/blob") as response:
                blob = response.status
        return statuses, after, blob
    finally:
        await runner.cleanup()


def postgres_store(url: str, tmp_path: Path) -> PortalStore:
    from agent.portal.store_pg import PostgresPortalStore

    return PostgresPortalStore(url, FileBlobStore(tmp_path / "blobs"))


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path: Path):
    if request.param == "sqlite":
        portal = SqlitePortalStore(tmp_path / "portal")
    else:
        portal = postgres_store(request.getfixturevalue("postgres_url"), tmp_path)
    assert portal.put(IDENT, b"\0" * 64, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400)
    yield portal
    portal.close()


def test_sixty_concurrent_wrong_codes_lock_the_message_after_five_and_the_right_code_opens_nothing(store):
    mailed: list[str] = []
    statuses, after, blob = asyncio.run(scenario(store, mailed))
    assert statuses.count(403) == access.MAX_TRIES - 1, statuses  # "n tries left", four times
    assert statuses.count(423) == GUESSES - (access.MAX_TRIES - 1), statuses  # the fifth locks, the rest are refused
    assert after == 423 and blob == 401
    sealed = store.get(IDENT)
    assert sealed.locked_until and sealed.locked_until > time.time() and sealed.code_hash is None
    assert [e["kind"] for e in store.events_since(0)].count("locked") == 1


def test_a_code_is_consumed_once_even_when_two_requests_bring_it_at_the_same_time(store):
    now = time.time()
    sealed = store.get(IDENT)
    code = access.new_code(store, sealed, now)
    assert isinstance(code, str)
    stale = store.get(IDENT)  # both requests read the row before either wrote
    first, second = access.check(store, stale, code, now), access.check(store, stale, code, now)
    assert isinstance(first, str)
    assert isinstance(second, access.Refusal) and second.status == 403 and "already used" in second.message


def test_a_right_code_read_before_the_lock_does_not_open_a_message_locked_since(store):
    now = time.time()
    code = access.new_code(store, store.get(IDENT), now)
    stale = store.get(IDENT)
    for _ in range(access.MAX_TRIES):
        access.check(store, store.get(IDENT), "000000" if code != "000000" else "111111", now)
    refused = access.check(store, stale, code, now)
    assert isinstance(refused, access.Refusal) and refused.status == 423


def test_two_code_requests_at_once_send_one_code(store):
    now = time.time()
    stale = store.get(IDENT)
    first, second = access.new_code(store, stale, now), access.new_code(store, stale, now)
    assert isinstance(first, str) and isinstance(second, access.Refusal) and second.status == 429
    assert len(store.get(IDENT).codes_sent) == 1


# --- two instances on one PostgreSQL ---------------------------------------------------------------
HUNDRED = 100


@pytest.fixture
def two_instances(request, tmp_path: Path):
    url = request.getfixturevalue("postgres_url")
    first, second = postgres_store(url, tmp_path), postgres_store(url, tmp_path)
    assert first.put(IDENT, b"\0" * 64, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400)
    yield first, second
    first.close()
    second.close()


async def two_instance_scenario(first: PortalStore, second: PortalStore) -> tuple[list[int], int, int]:
    mailed: list[str] = []
    runners = [run_portal(first, mailed), run_portal(second, mailed)]
    bases = []
    for runner in runners:
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        bases.append(f"http://127.0.0.1:{port}/api/v1/messages/{IDENT}")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{bases[0]}/code", json={}) as response:
                assert response.status == 202
        right = mailed[-1]
        wrong = [f"{(int(right) + 1 + n) % 10**6:06d}" for n in range(HUNDRED)]
        release = asyncio.Event()
        halves = await asyncio.gather(storm(bases[0], wrong[::2], release), storm(bases[1], wrong[1::2], release))
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{bases[1]}/session", json={"code": right}) as response:
                after = response.status
            async with session.get(f"{bases[0]}/blob") as response:
                blob = response.status
        return [*halves[0], *halves[1]], after, blob
    finally:
        for runner in runners:
            await runner.cleanup()


def test_a_hundred_wrong_codes_over_two_instances_lock_after_five_and_the_right_code_is_refused(two_instances):
    first, second = two_instances
    statuses, after, blob = asyncio.run(two_instance_scenario(first, second))
    assert statuses.count(403) == access.MAX_TRIES - 1, statuses
    assert statuses.count(423) == HUNDRED - (access.MAX_TRIES - 1), statuses
    assert after == 423 and blob == 401
    sealed = second.get(IDENT)
    assert sealed.locked_until and sealed.locked_until > time.time() and sealed.code_hash is None
    assert [e["kind"] for e in first.events_since(0)].count("locked") == 1


def test_a_hundred_wrong_codes_at_once_through_two_connections_count_at_most_five(two_instances):
    """The same race one level down, with the database doing the waiting: 100 threads, half
    on each instance's connection, all holding a row read before any of them answered."""
    first, second = two_instances
    now = time.time()
    right = access.new_code(first, first.get(IDENT), now)
    assert isinstance(right, str)
    stale = second.get(IDENT)
    start = threading.Barrier(HUNDRED)
    results: list = [None] * HUNDRED

    def guess(n: int) -> None:
        store = (first, second)[n % 2]
        start.wait()
        results[n] = access.check(store, stale, f"{(int(right) + 1 + n) % 10**6:06d}", now)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(HUNDRED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [r.status for r in results]
    assert statuses.count(403) == access.MAX_TRIES - 1 and statuses.count(423) == HUNDRED - access.MAX_TRIES + 1
    refused = access.check(second, stale, right, now)
    assert isinstance(refused, access.Refusal) and refused.status == 423
    assert second.get(IDENT).code_hash is None
