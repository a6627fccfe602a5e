"""A failure nobody foresaw in the portal reaches the recipient's browser as a JSON error,
and the log gets the type and the place, never what the request carried."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from agent.demo_world import free_port
from tests.integration.test_portal_lockout import IDENT, run_portal
from tests.integration.test_portal_lockout import store as store  # noqa: F401 - the fixture


def test_an_unforeseen_failure_is_a_json_500_and_the_log_names_no_content(store, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)

    def broken(*args, **kwargs):
        raise RuntimeError("maria.gonzalez@mailbox.example asked about her SSN 078-05-1120")

    monkeypatch.setattr(store, "get", broken)

    async def ask() -> tuple[int, str, dict]:
        runner = run_portal(store, [])
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(
                    f"http://127.0.0.1:{port}/api/v1/messages/{IDENT}/session", json={"code": "078051120"}
                ) as response:
                    return response.status, response.content_type, await response.json()
        finally:
            await runner.cleanup()

    status, kind, body = asyncio.run(ask())
    assert (status, kind) == (500, "application/json") and "could not answer" in body["error"]
    assert "RuntimeError" in caplog.text and "/api/v1/messages/{id}/session" in caplog.text
    assert "078-05" not in caplog.text and "maria" not in caplog.text and "Traceback" not in caplog.text
