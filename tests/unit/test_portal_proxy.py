"""The portal behind a proxy, on a real aiohttp server on loopback: X-Forwarded-* believed only
from trusted peers, the Host allow-list (probes exempt), the Origin check against the public
URL, the Secure cookie, /healthz and /readyz naming what fails, and PHI-free access logs."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import shutil
import time
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from agent.portal import logs, proxy
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore

IDENT = "proxy-test-message-0001"
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)
ELSEWHERE = (ipaddress.ip_network("10.0.0.0/8"),)


def run(coro):
    return asyncio.run(coro)


def test_client_address_walks_past_trusted_hops_only() -> None:
    trusted = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))
    assert proxy.client_address("127.0.0.1", "203.0.113.7", trusted) == "203.0.113.7"
    # The client forged an entry; the proxy appended the real peer: the real peer wins.
    assert proxy.client_address("127.0.0.1", "1.2.3.4, 203.0.113.7", trusted) == "203.0.113.7"
    # Two trusted hops: walk past both.
    assert proxy.client_address("127.0.0.1", "203.0.113.7, 10.1.2.3", trusted) == "203.0.113.7"
    # Garbage left of a trusted hop: the trusted hop's view stands.
    assert proxy.client_address("127.0.0.1", "not-an-ip", trusted) == "127.0.0.1"
    assert proxy.client_address("127.0.0.1", "[2001:db8::1]:443", trusted) == "2001:db8::1"
    assert proxy.host_name("Portal.Example.:8443") == "portal.example" and proxy.host_name("[::1]:80") == "::1"


def test_forwarded_headers_count_only_from_trusted_peers() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"remote": request.remote, "scheme": request.scheme, "secure": request.secure})

    async def ask(trusted) -> dict:
        app = web.Application(middlewares=[proxy.forwarded(trusted)])
        app.router.add_get("/", echo)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            response = await client.get(
                "/", headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.9", "X-Forwarded-Proto": "https"}
            )
            return await response.json()

    assert run(ask(LOOPBACK)) == {"remote": "203.0.113.9", "scheme": "https", "secure": True}
    assert run(ask(ELSEWHERE)) == {"remote": "127.0.0.1", "scheme": "http", "secure": False}
    assert run(ask(())) == {"remote": "127.0.0.1", "scheme": "http", "secure": False}


def portal(tmp_path: Path, mailed: list[str], **settings) -> tuple[web.Application, SqlitePortalStore]:
    store = SqlitePortalStore(tmp_path / "portal")
    store.put(IDENT, b"\x01" * 64, "dr@clinic.example", "maria@mailbox.example", time.time() + 3600)
    app = create_app(store, "upload-token-0123456789", lambda sealed, code: mailed.append(code), **settings)
    return app, store


def test_public_url_decides_host_origin_and_cookie(tmp_path: Path) -> None:
    mailed: list[str] = []
    app, store = portal(
        tmp_path,
        mailed,
        public_url="https://portal.clinic.example",
        allowed_hosts=["portal.clinic.example"],
        trusted_proxies=LOOPBACK,
    )
    base = f"/api/v1/messages/{IDENT}"
    good = {"Host": "portal.clinic.example", "Origin": "https://portal.clinic.example", "X-Forwarded-Proto": "https"}

    async def go() -> None:
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            wrong = await client.get(f"{base}/info", headers={"Host": "evil.example"})
            assert wrong.status == 421 and "error" in await wrong.json()
            assert wrong.headers["Content-Security-Policy"]  # refusals carry the security headers
            assert (await client.get("/healthz", headers={"Host": "10.0.0.7:8025"})).status == 200
            assert (await client.get(f"{base}/info", headers={"Host": "portal.clinic.example"})).status == 200
            # The Origin is the public URL's, not this hop's http://127.0.0.1:port.
            here = f"http://{client.server.host}:{client.server.port}"
            assert (await client.post(f"{base}/code", headers={**good, "Origin": here})).status == 403
            assert (await client.post(f"{base}/code", headers=good)).status == 202
            # Plain http on this hop and no X-Forwarded-Proto: the cookie is Secure all the same.
            answer = await client.post(
                f"{base}/session",
                json={"code": mailed[-1]},
                headers={"Host": "portal.clinic.example", "Origin": good["Origin"]},
            )
            assert answer.status == 200, await answer.text()
            cookie = answer.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie

    try:
        run(go())
    finally:
        store.close()


def test_readyz_names_what_fails(tmp_path: Path) -> None:
    app, store = portal(tmp_path, [])

    async def ready(client) -> tuple[int, dict]:
        response = await client.get("/readyz")
        return response.status, await response.json()

    async def go() -> None:
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            assert await ready(client) == (200, {"ready": True, "checked": ["blobs", "database"]})
            assert (await client.get("/health")).status == 200
            shutil.rmtree(tmp_path / "portal" / "blobs")
            shutil.rmtree(tmp_path / "portal" / "replies")
            (tmp_path / "portal").chmod(0o500)
            status, body = await ready(client)
            # As root a read-only folder is still writable: remove it instead when that is so.
            if status == 200:
                shutil.rmtree(tmp_path / "portal")
                status, body = await ready(client)
            assert status == 503 and list(body["failing"]) == ["blobs"], body
            store.db.close()
            status, body = await ready(client)
            assert status == 503 and set(body["failing"]) == {"blobs", "database"}
            assert body["failing"]["database"].startswith("not answering (")
            assert (await client.get("/healthz")).status == 200  # the process is still up

    try:
        run(go())
    finally:
        (tmp_path / "portal").exists() and (tmp_path / "portal").chmod(0o700)


def test_access_log_has_route_templates_and_no_ids_addresses_or_queries(tmp_path: Path, json_log) -> None:
    out = json_log
    mailed: list[str] = []
    app, store = portal(tmp_path, mailed)

    async def go() -> None:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server(
            access_log_class=logs.AccessLogger, access_log=logging.getLogger("agent.portal.access")
        )
        async with TestClient(server) as client:
            await client.post(f"/api/v1/messages/{IDENT}/code")
            await client.post(
                f"/api/v1/messages/{IDENT}/session?code={mailed[-1]}",
                json={"code": mailed[-1]},
                cookies={"ps_session": "cookie-secret-value"},
            )
            await client.get("/nowhere?email=maria@mailbox.example")

    try:
        run(go())
        logging.getLogger("agent.portal.test").warning("relay said: 550 <maria@mailbox.example> unknown")
    finally:
        store.close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    access = [entry for entry in lines if entry["logger"] == "agent.portal.access"]
    assert [(e["method"], e["route"], e["status"]) for e in access] == [
        ("POST", "/api/v1/messages/{id}/code", 202),
        ("POST", "/api/v1/messages/{id}/session", 200),
        ("GET", "(no route)", 404),
    ]
    assert all({"time", "level", "message", "duration_ms"} <= set(e) for e in access)
    assert lines[-1]["message"] == "relay said: 550 <[address]> unknown"
    text = out.getvalue()
    for secret in (IDENT, mailed[-1], "cookie-secret-value", "maria@mailbox.example", "email="):
        assert secret not in text
