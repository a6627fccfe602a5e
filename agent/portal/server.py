"""The recipient portal: stores sealed messages and serves the page that opens them.

Zero knowledge by construction: the agent uploads `nonce || ciphertext` under a random id;
the key is in the link's fragment, which browsers never send. The server holds ciphertext,
expiry and verification state (store.py), and serves the ciphertext only to a session that
proved it reads the recipient's mailbox (access.py). Replies come back sealed under the same
key; the agent collects them with the events (opened, downloads, lockouts) through /api/v1/sync.

Routes for the recipient's browser: GET /m/{id} (the page), GET /api/v1/messages/{id}/info,
POST …/code (mail me a code), POST …/session (the code or passcode → a session cookie),
GET …/blob, POST …/receipt (an attachment was saved), POST …/replies; GET /api/v1/branding,
/static/brand.css and /static/logo (branding.py). GET /metrics for monitoring (metrics.py).
Every answer that is not a success is JSON {"error": …} (errors.py).
Routes for the agent (its own bearer credential, issued at enrolment: enrolment.py):
POST /api/v1/enroll (an enrolment code → a credential), PUT/DELETE /api/v1/messages/{id},
GET /api/v1/sync, GET/DELETE /api/v1/replies/{reply}, POST /api/v1/messages/{id}/warned,
POST /api/v1/messages/{id}/claim (a message uploaded before enrolment).
An agent sees and acts only on its own messages: another agent's message is "not found"
(404, the same answer as a message that does not exist), never "forbidden".

This module assembles the app: the middlewares (metrics, the proxy's headers, JSON errors and
security headers, the Host allow-list), the pages and static assets, and the routes of
recipient_api.py and agent_api.py, which share what context.py holds.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Iterable
from importlib import resources

from aiohttp import web

from agent import failure
from agent.portal import access, agent_api, enrolment, errors, health, metrics, proxy, recipient_api, settings
from agent.portal.branding import DEFAULT as DEFAULT_BRANDING
from agent.portal.branding import Branding
from agent.portal.context import COOKIE, ID, Mailer, MailerError, Portal, refuse
from agent.portal.interface import PortalStore
from agent.portal.offload import Offload

__all__ = ["COOKIE", "METRICS", "Mailer", "MailerError", "create_app", "new_reply_id"]

log = logging.getLogger(__name__)

MAX_BLOB = 60 * 1024 * 1024
_SECURITY_HEADERS = {
    # The page runs only its own script; nothing it decrypts can load or run anything.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' blob: data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_ASSETS = {"portal.js": "text/javascript", "portal.css": "text/css"}


def _static(name: str) -> bytes:
    return resources.files("agent.portal").joinpath("static", name).read_bytes()


METRICS = web.AppKey("metrics", object)  # the app's PortalMetrics, or None without prometheus_client


def create_app(
    store: PortalStore,
    token: str,
    mailer: Mailer | None = None,
    limiter: access.RateLimiter | None = None,
    *,
    public_url: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
    trusted_proxies: tuple[proxy.Network, ...] = (),
    checks: dict[str, health.Check] | None = None,
    branding: Branding | None = None,
    metrics_allow: Iterable[str] = metrics.DEFAULT_ALLOW,
    purge_on_sync: bool = True,
) -> web.Application:
    """The portal app. Keyword-only settings (portal.toml, or the agent for its embedded portal):
    `public_url`: scheme://host[:port] recipients use; the Origin check compares with it and an
    https one makes the session cookie Secure whatever the hop to this process was.
    `allowed_hosts`: the Host names answered (None: any — only for tests and the old flags).
    `trusted_proxies`: peers whose X-Forwarded-For/-Proto count (proxy.py).
    `checks`: what /readyz runs (default: the store's database and blob store).
    `branding`: the clinic's name, logo, colours and contact (branding.py; neutral when None).
    `metrics_allow`: the networks that may read /metrics directly (metrics.py).
    `purge_on_sync`: a sync that finds a new expiry deletes expired ciphertext (the embedded
    portal); False where the sweeper deletes it after its grace period (serve.py)."""
    public_origin = settings.origin_of(public_url) if public_url else None
    branding = branding or DEFAULT_BRANDING
    allowed = metrics.networks(metrics_allow)
    counters = metrics.PortalMetrics() if metrics.prometheus_client is not None else None
    # `token`: the credential of this portal's local agent (the embedded portal's own agent, or
    # a standalone portal's pre-enrolment token file), adopted as an enrolled agent; "" for none.
    enrolment.adopt(store, token)
    if checks is None:
        checks = health.store_checks(store)  # the store itself: a readiness probe is not a store call to time
    if counters is not None:
        store = counters.timed(store)  # type: ignore[assignment] - the same interface, timed

    @web.middleware
    async def observe(request: web.Request, handler):
        # Outermost: counts every answer, the JSON errors made below included.
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # only redirects get here (errors became JSON below)
            if counters is not None:
                counters.observe(request, exc.status)
            raise
        if counters is not None:
            counters.observe(request, response.status)
        return response

    @web.middleware
    async def headers(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                exc.headers.update(_SECURITY_HEADERS)
                raise
            # aiohttp's own 404/405/413 and every handler's HTTPException: JSON like the rest.
            response = errors.as_json(exc)
        except Exception as exc:  # noqa: BLE001 - a recipient's browser never sees a traceback
            # Only the type and where: the request may carry a code, a reply or a name.
            log.error(
                "portal: %s %s failed: %s",
                request.method,
                request.match_info.route.resource.canonical if request.match_info.route.resource else "(no route)",
                failure.site(exc),
            )
            response = refuse(access.Refusal(500, "The portal could not answer this request. Try again later."))
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)  # the logo's stricter policy stays (logo())
        return response

    # Outermost first: every answer is counted; the client's address and scheme are settled
    # before anything reads them, and a refused Host still gets the security headers.
    middlewares = [observe, proxy.forwarded(tuple(trusted_proxies)), headers]
    if allowed_hosts is not None:
        middlewares.append(proxy.allowed_hosts(allowed_hosts))
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BLOB)
    app[METRICS] = counters
    # Every store call runs off the event loop, on these threads (offload.py, context.py).
    portal = Portal(
        store,
        Offload(),
        limiter or access.RateLimiter(),
        mailer,
        branding,
        counters,
        public_origin,
        bool(public_origin and public_origin.startswith("https://")),
        purge_on_sync,
    )

    async def close_offload(app: web.Application) -> None:
        portal.off.close()

    app.on_cleanup.append(close_offload)

    async def page(request: web.Request) -> web.Response:
        if not ID.match(request.match_info["id"]):
            raise web.HTTPNotFound(text="No such message.")
        return web.Response(body=_static("portal.html"), content_type="text/html")

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "brand.css":
            return web.Response(text=branding.css(), content_type="text/css")
        if name == "logo":
            if branding.logo is None:
                raise web.HTTPNotFound(text="This portal has no logo.")
            # An SVG opened on its own is a document: sandboxed, it runs nothing in the portal's origin.
            return web.Response(
                body=branding.logo.data,
                content_type=branding.logo.content_type,
                headers={
                    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
                },
            )
        if name not in _ASSETS:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=_ASSETS[name])

    async def brand(request: web.Request) -> web.Response:
        return web.json_response(branding.public())

    async def metrics_page(request: web.Request) -> web.Response:
        if not metrics.direct_from(request, allowed):
            raise web.HTTPNotFound()  # the same answer as for a page that does not exist
        if counters is None:
            return refuse(access.Refusal(503, "metrics need prometheus_client: pip install 'postseal[portal-server]'"))
        body, kind = counters.exposition()
        return web.Response(body=body, headers={"Content-Type": kind})

    app.router.add_get("/m/{id}", page)
    app.router.add_get("/static/{name}", asset)
    for method, path, handler in (*recipient_api.ROUTES, *agent_api.ROUTES):
        app.router.add_route(method, path, functools.partial(handler, portal))
    health.add_routes(app, checks)
    app.router.add_get("/api/v1/branding", brand)
    app.router.add_get("/metrics", metrics_page)
    return app


def new_reply_id() -> str:
    return secrets.token_urlsafe(16)
