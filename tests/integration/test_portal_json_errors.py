"""Every answer of the portal that is not a success is `{"error": "…"}` in application/json,
with the security headers: each route's refusals, and aiohttp's own answers for an unknown
route (404), a wrong method (405) and a body over the limit (413). Over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from agent.demo_world import free_port
from agent.portal import server
from agent.portal.store import SqlitePortalStore
from tests.integration.test_portal_limits import clear_of_a_window_edge

IDENT = "errors-message-0123456789"
TOKEN = "upload-token"
AGENT = {"Authorization": f"Bearer {TOKEN}"}
MSG = f"/api/v1/messages/{IDENT}"
UNKNOWN = "/api/v1/messages/no-such-message-0000"
SEALED = b"\x01" * 64

# (method, path, headers, body, status): every route's error paths a client can reach.
CASES = [
    ("GET", "/no/such/route", {}, None, 404),
    ("POST", f"/m/{IDENT}", {}, None, 405),
    ("DELETE", "/api/v1/sync", AGENT, None, 405),
    ("GET", "/m/not!an!id", {}, None, 404),
    ("GET", "/static/nothing.js", {}, None, 404),
    ("GET", "/static/logo", {}, None, 404),  # no logo configured
    ("GET", f"{UNKNOWN}/info", {}, None, 404),
    ("POST", f"{UNKNOWN}/code", {}, {}, 404),
    ("POST", f"{MSG}/code", {"Origin": "https://evil.example"}, {}, 403),
    ("POST", f"{MSG}/session", {}, b"not json", 400),
    ("POST", f"{MSG}/session", {}, {"code": "000000"}, 400),  # no code asked for yet
    ("POST", f"{UNKNOWN}/session", {}, {"code": "000000"}, 404),
    ("GET", f"{MSG}/blob", {}, None, 401),
    ("GET", f"{UNKNOWN}/blob", {}, None, 404),
    ("POST", f"{MSG}/receipt", {}, {"event": "download", "index": 0}, 401),
    ("PUT", f"{MSG}/replies/reply-0123456789abcdef", {}, b"x" * 64, 401),
    ("PUT", f"{UNKNOWN}/replies/reply-0123456789abcdef", {}, b"x" * 64, 404),
    ("PUT", MSG, {}, SEALED, 401),
    ("PUT", "/api/v1/messages/bad!id", AGENT, SEALED, 400),
    ("PUT", "/api/v1/messages/new-message-0123456789", AGENT, b"short", 400),
    ("PUT", "/api/v1/messages/new-message-0123456789", {**AGENT, "X-Postseal-Expires": "soon"}, SEALED, 400),
    ("PUT", "/api/v1/messages/new-message-0123456789", AGENT, SEALED, 400),  # no recipient
    ("PUT", MSG, {**AGENT, "X-Postseal-Recipient": "x@y.example"}, SEALED, 409),
    ("DELETE", UNKNOWN, AGENT, None, 404),
    ("DELETE", MSG, {}, None, 401),
    ("GET", "/api/v1/sync?since=yesterday", AGENT, None, 400),
    ("GET", "/api/v1/sync", {}, None, 401),
    ("POST", f"{UNKNOWN}/warned", AGENT, None, 404),
    ("GET", "/api/v1/replies/no-such-reply-0000/blob", AGENT, None, 404),
    ("DELETE", "/api/v1/replies/no-such-reply-0000", AGENT, None, 404),
    ("GET", "/metrics", {"X-Forwarded-For": "203.0.113.9"}, None, 404),  # through a proxy: not there
]


def answers(tmp_path: Path, cases: list[tuple], extra: list[tuple] = ()) -> list[tuple]:
    store = SqlitePortalStore(tmp_path / "portal")
    store.put(IDENT, SEALED, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400)

    async def run() -> list[tuple]:
        app = server.create_app(store, TOKEN, mailer=lambda sealed, code: None)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        out = []
        try:
            async with aiohttp.ClientSession() as session:
                for method, path, headers, body, _ in cases:
                    kwargs = {"json": body} if isinstance(body, dict) else {"data": body}
                    async with session.request(
                        method, f"http://127.0.0.1:{port}{path}", headers=headers, **kwargs
                    ) as response:
                        out.append(
                            (response.status, response.content_type, await response.text(), dict(response.headers))
                        )
        finally:
            await runner.cleanup()
            store.close()
        return out

    return asyncio.run(run())


def check(case: tuple, answer: tuple) -> None:
    status, kind, text, headers = answer
    assert status == case[4], (case, answer)
    assert kind == "application/json", (case, text)
    error = json.loads(text)["error"]
    assert isinstance(error, str) and error.strip() and "\n" not in error, (case, text)
    assert not error.startswith(f"{status}:"), (case, error)  # a sentence, not "404: Not Found"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'"), case
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store", case


def test_every_error_of_every_route_is_json_with_the_security_headers(tmp_path):
    for case, answer in zip(CASES, answers(tmp_path, CASES), strict=True):
        check(case, answer)


def test_a_body_over_the_limit_is_a_json_413(tmp_path, monkeypatch):
    # aiohttp's own refusal, from client_max_size: a smaller limit keeps the test light.
    monkeypatch.setattr(server, "MAX_BLOB", 1024)
    case = (
        "PUT",
        "/api/v1/messages/big-message-0123456789",
        {**AGENT, "X-Postseal-Recipient": "x@y.example"},
        b"\x02" * 4096,
        413,
    )
    [answer] = answers(tmp_path, [case])
    check(case, answer)


def test_a_refusal_keeps_its_retry_after_and_a_wrong_method_its_allow(tmp_path):
    cases = [("POST", f"/m/{IDENT}", {}, None, 405)] + [("POST", f"{UNKNOWN}/session", {}, {"code": "1"}, 404)] * 20
    cases.append(("POST", f"{UNKNOWN}/session", {}, {"code": "1"}, 429))
    clear_of_a_window_edge()
    results = answers(tmp_path, cases)
    for case, answer in zip(cases, results, strict=True):
        check(case, answer)
    assert "GET" in results[0][3]["Allow"]
    assert int(results[-1][3]["Retry-After"]) >= 1
