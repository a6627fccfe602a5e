"""The portal's Prometheus metrics, read the way Prometheus reads them (GET /metrics, parsed
with prometheus_client's own text parser): requests by route template and status, codes
sent, lockouts, sessions opened, rate-limit refusals and store latency per operation; no
message id or address in any label; /metrics only for a direct client of an allowed network;
two apps in one process count apart."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from agent.demo_world import free_port
from agent.portal import access
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore

IDENT = "metrics-message-0123456789"
PASSCODE = "metrics-passcode-0123456789"


def samples(text: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def test_a_recipients_visit_shows_in_the_metrics_without_their_message_id(tmp_path: Path):
    store = SqlitePortalStore(tmp_path / "portal")
    store.put(IDENT, b"\0" * 64, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400)
    store.put(
        PASSCODE, b"\0" * 64, "dr.chen@valleyclinic.example", "maria@mailbox.example", time.time() + 86400, "tulip42"
    )
    mailed: list[str] = []

    async def visit() -> tuple[str, int]:
        runner, base = await start(create_app(store, "token", mailer=lambda sealed, code: mailed.append(code)))
        api = f"{base}/api/v1/messages/{IDENT}"
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
                await (await session.get(f"{api}/info")).read()
                await (await session.post(f"{api}/code", json={})).read()
                for n in range(access.MAX_TRIES):  # five wrong codes lock the message
                    wrong = f"{(int(mailed[-1]) + 1 + n) % 10**6:06d}"
                    await (await session.post(f"{api}/session", json={"code": wrong})).read()
                await (await session.get(f"{base}/no/such/page")).read()
                await (
                    await session.post(f"{base}/api/v1/messages/{PASSCODE}/session", json={"passcode": "tulip42"})
                ).read()
                async with session.get(f"{base}/metrics") as response:
                    return await response.text(), response.status
        finally:
            await runner.cleanup()

    text, status = asyncio.run(visit())
    assert status == 200
    got = samples(text)
    route = "/api/v1/messages/{id}"
    assert (
        got[("postseal_portal_requests_total", (("method", "GET"), ("route", f"{route}/info"), ("status", "200")))] == 1
    )
    assert (
        got[("postseal_portal_requests_total", (("method", "POST"), ("route", f"{route}/code"), ("status", "202")))]
        == 1
    )
    assert (
        got[("postseal_portal_requests_total", (("method", "POST"), ("route", f"{route}/session"), ("status", "403")))]
        == 4
    )
    assert (
        got[("postseal_portal_requests_total", (("method", "POST"), ("route", f"{route}/session"), ("status", "423")))]
        == 1
    )
    assert got[("postseal_portal_requests_total", (("method", "GET"), ("route", "(no route)"), ("status", "404")))] == 1
    assert got[("postseal_portal_codes_sent_total", ())] == 1
    assert got[("postseal_portal_lockouts_total", ())] == 1
    assert got[("postseal_portal_sessions_opened_total", ())] == 1
    assert got[("postseal_portal_store_seconds_count", (("operation", "get"),))] >= 7
    assert got[("postseal_portal_store_seconds_count", (("operation", "count_wrong_try"),))] == 5
    assert IDENT not in text and PASSCODE not in text and "maria" not in text and "/no/such/page" not in text
    store.close()


def test_metrics_are_refused_through_a_proxy_and_outside_the_allowed_networks(tmp_path: Path):
    store = SqlitePortalStore(tmp_path / "portal")

    async def ask() -> list[tuple[int, str]]:
        open_app, _ = await start(create_app(store, "token"))
        closed_app, closed = await start(create_app(store, "token", metrics_allow=["10.0.0.0/8"]))
        base = f"http://127.0.0.1:{open_app.addresses[0][1]}"
        out = []
        try:
            async with aiohttp.ClientSession() as session:
                for url, headers in (
                    (base, {}),
                    (base, {"X-Forwarded-For": "127.0.0.1"}),
                    (base, {"Forwarded": "for=127.0.0.1"}),
                    (base, {"X-Real-IP": "127.0.0.1"}),
                    (closed, {}),
                ):
                    async with session.get(f"{url}/metrics", headers=headers) as response:
                        out.append((response.status, response.content_type))
        finally:
            await open_app.cleanup()
            await closed_app.cleanup()
        return out

    assert asyncio.run(ask()) == [(200, "text/plain")] + [(404, "application/json")] * 4
    store.close()


def test_two_apps_in_one_process_count_apart(tmp_path: Path):
    store = SqlitePortalStore(tmp_path / "portal")

    async def both() -> list[dict]:
        runners = [await start(create_app(store, "token")) for _ in range(2)]
        out = []
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(3):
                    await (await session.get(f"{runners[0][1]}/health")).read()
                for _, base in runners:
                    async with session.get(f"{base}/metrics") as response:
                        out.append(samples(await response.text()))
        finally:
            for runner, _ in runners:
                await runner.cleanup()
        return out

    first, second = asyncio.run(both())
    health = ("postseal_portal_requests_total", (("method", "GET"), ("route", "/health"), ("status", "200")))
    assert first[health] == 3 and health not in second
    store.close()


def test_a_bad_metrics_allow_entry_is_one_line_naming_it(tmp_path: Path):
    store = SqlitePortalStore(tmp_path / "portal")
    with pytest.raises(ValueError, match=r"metrics_allow: 'intranet' is not an IP address or network"):
        create_app(store, "token", metrics_allow=["127.0.0.1", "intranet"])
    store.close()


def test_without_prometheus_client_the_portal_runs_and_metrics_say_what_to_install(tmp_path: Path, monkeypatch):
    from agent.portal import metrics

    monkeypatch.setattr(metrics, "prometheus_client", None)  # the agent's embedded portal, no extra installed
    store = SqlitePortalStore(tmp_path / "portal")

    async def ask() -> list[tuple[int, str]]:
        runner, base = await start(create_app(store, "token"))
        try:
            async with aiohttp.ClientSession() as session:
                health = await session.get(f"{base}/health")
                scraped = await session.get(f"{base}/metrics")
                return [(health.status, ""), (scraped.status, (await scraped.json())["error"])]
        finally:
            await runner.cleanup()

    assert asyncio.run(ask()) == [
        (200, ""),
        (503, "metrics need prometheus_client: pip install 'postseal[portal-server]'"),
    ]
    store.close()


def test_prometheus_scrapes_an_instance_by_its_address_though_pages_need_the_public_host(tmp_path: Path):
    store = SqlitePortalStore(tmp_path / "portal")

    async def ask() -> list[int]:
        runner, base = await start(create_app(store, "token", allowed_hosts=["portal.clinic.example"]))
        try:
            async with aiohttp.ClientSession() as session:
                return [(await session.get(f"{base}{path}")).status for path in ("/metrics", "/m/a-message-0123456789")]
        finally:
            await runner.cleanup()

    assert asyncio.run(ask()) == [200, 421]  # by address: metrics yes, a page no
    store.close()
