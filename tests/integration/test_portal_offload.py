"""A store call that waits (a slow database, object storage far away) holds up only the
request that made it: the portal answers other recipients meanwhile, because every store
call runs off the event loop (agent/portal/offload.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from agent.demo_world import free_port
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore

SLOW, OTHER = "held-message-0123456789", "other-message-0123456789"


class HeldStore:
    """The real embedded store, except that reading SLOW waits until the test lets it go."""

    def __init__(self, inner: SqlitePortalStore) -> None:
        self.inner = inner
        self.entered, self.release = threading.Event(), threading.Event()

    def get(self, ident: str):
        if ident == SLOW:
            self.entered.set()
            self.release.wait(15)
        return self.inner.get(ident)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


async def scenario(store: HeldStore) -> tuple[int, bool, int]:
    runner = web.AppRunner(create_app(store, "upload-token"))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}/api/v1/messages"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:

            async def status(ident: str) -> int:
                async with session.get(f"{base}/{ident}/info") as response:
                    await response.read()
                    return response.status

            held = asyncio.create_task(status(SLOW))
            assert await asyncio.to_thread(store.entered.wait, 10), "the held request never reached the store"
            other = await status(OTHER)  # answered while the first is still inside the store
            still_held = not held.done()
            store.release.set()
            return other, still_held, await held
    finally:
        store.release.set()
        await runner.cleanup()


def test_a_store_call_that_waits_does_not_stop_the_portal_answering_others(tmp_path: Path):
    inner = SqlitePortalStore(tmp_path / "portal")
    for ident in (SLOW, OTHER):
        assert inner.put(
            ident, b"\0" * 64, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400
        )
    try:
        other, still_held, held = asyncio.run(scenario(HeldStore(inner)))
    finally:
        inner.close()
    assert other == 200 and still_held
    assert held == 200
