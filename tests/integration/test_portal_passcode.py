"""A passcode the sender chose opens its message as the recipient types it, with or without
its spaces (it is read out over the phone): the upload stores the digest of the same form
the check compares (access.normalise)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from agent.demo_world import free_port
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore

IDENT = "passcode-message-0123456789"


@pytest.mark.parametrize("typed", ["blue river 7", "blueriver7", " blue  river\t7 "])
def test_a_passcode_with_spaces_opens_as_typed(tmp_path: Path, typed: str) -> None:
    store = SqlitePortalStore(tmp_path / "portal")

    async def visit() -> tuple[int, int, int]:
        runner = web.AppRunner(create_app(store, "token"))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        api = f"http://127.0.0.1:{port}/api/v1/messages/{IDENT}"
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
                async with session.put(
                    api,
                    data=b"\1" * 64,
                    headers={
                        "Authorization": "Bearer token",
                        "X-Postseal-Recipient": "maria@mailbox.example",
                        "X-Postseal-Passcode": "blue river 7",
                    },
                ) as upload:
                    uploaded = upload.status
                async with session.post(f"{api}/session", json={"passcode": "blue river 8"}) as wrong:
                    refused = wrong.status
                async with session.post(f"{api}/session", json={"passcode": typed}) as right:
                    opened = right.status
            return uploaded, refused, opened
        finally:
            await runner.cleanup()

    assert asyncio.run(visit()) == (201, 403, 200)
    store.close()
