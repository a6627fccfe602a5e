"""The local API (DESIGN.md "Local API"): loopback only, bearer token, Host and Origin checked.

Why each check: the token stops other local users and processes; the Host check stops DNS
rebinding (a web page whose name resolves to 127.0.0.1 reaching us as a "same-origin" site);
the Origin check stops any web page the user visits from driving the API with their browser.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from aiohttp import web

from agent.bounces import NotADsn
from agent.ingress.openapi import OPENAPI
from agent.intake import MAX_MESSAGE_BYTES, BadMessage
from agent.keys.pgp_store import PgpError
from agent.outbox import StorageUnavailable
from agent.pipeline import Blocked, Pipeline, UnknownMessage
from agent.webhooks import BadCallback

log = logging.getLogger(__name__)

PIPELINE = web.AppKey("pipeline", Pipeline)
TOKEN = web.AppKey("token", str)
HOSTS = web.AppKey("hosts", set)
ORIGINS = web.AppKey("origins", set)
STREAMS = web.AppKey("streams", set)
_OPEN_PATHS = {"/v1/health"}


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}, **extra}, status=status)


@web.middleware
async def guard(request: web.Request, handler):
    app = request.app
    host = request.headers.get("Host", "")
    if host not in app[HOSTS]:
        return error(421, "bad_host", f"Host {host!r} is not this agent (DNS rebinding protection)")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in app[ORIGINS]:
        return error(403, "bad_origin", f"Origin {origin!r} is not allowed to use the agent")
    if request.path not in _OPEN_PATHS:
        supplied = request.headers.get("Authorization", "")
        expected = f"Bearer {app[TOKEN]}"
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            return error(401, "unauthorized", "missing or wrong bearer token (see $POSTSEAL_HOME/api-token)")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status == 413:
            return error(413, "too_large", f"message exceeds {MAX_MESSAGE_BYTES // (1024 * 1024)} MB")
        return error(exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason)


async def _rfc822(request: web.Request) -> bytes:
    if request.content_type != "message/rfc822":
        raise web.HTTPUnsupportedMediaType(text="send the message as Content-Type: message/rfc822")
    return await request.read()


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "service": "postseal-agent"})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


async def check(request: web.Request) -> web.Response:
    raw = await _rfc822(request)
    try:
        plan = await request.app[PIPELINE].check(raw)
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    return web.json_response({"plan": plan.to_json()})


async def submit(request: web.Request) -> web.Response:
    raw = await _rfc822(request)
    pipeline = request.app[PIPELINE]
    try:
        accepted = await pipeline.submit(raw, callback_url=request.query.get("callback_url", ""))
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    except BadCallback as exc:
        return error(400, "bad_callback", str(exc))
    except Blocked as exc:
        return error(422, "blocked", str(exc), plan=exc.plan.to_json())
    except StorageUnavailable as exc:
        return error(503, "storage_unavailable", str(exc))
    body = {"id": accepted.id, "state": str(accepted.state), "plan": accepted.plan.to_json(),
            "duplicate": accepted.duplicate}
    if accepted.callback_secret:
        body["callback_secret"] = accepted.callback_secret
    return web.json_response(body, status=202)


async def bounce(request: web.Request) -> web.Response:
    """A delivery status notification (RFC 3464) for a message the relay accepted earlier."""
    raw = await _rfc822(request)
    try:
        outcome = await request.app[PIPELINE].apply_bounce(raw)
    except NotADsn as exc:
        return error(400, "not_a_dsn", f"not a delivery status notification: {exc}")
    except UnknownMessage as exc:
        return error(404, "unknown_message", str(exc))
    return web.json_response({"id": outcome.message, "recipients": list(outcome.recipients),
                              "unmatched": list(outcome.unmatched)})


async def message(request: web.Request) -> web.Response:
    row = request.app[PIPELINE].outbox.get(request.match_info["id"])
    if row is None:
        return error(404, "not_found", f"no message {request.match_info['id']!r} in the outbox")
    return web.json_response(row.to_json())


async def outbox(request: web.Request) -> web.Response:
    rows = request.app[PIPELINE].outbox.list()
    return web.json_response({"messages": [r.to_json() for r in rows]})


async def outbox_summary(request: web.Request) -> web.Response:
    """Recipients per state and whether the agent is waiting for the network (tray icon)."""
    pipeline = request.app[PIPELINE]
    return web.json_response({"counts": pipeline.outbox.counts(), "offline_since": pipeline.offline_since,
                              "audit_problem": pipeline.audit_problem})


async def audit(request: web.Request) -> web.Response:
    log_ = request.app[PIPELINE].audit
    try:
        limit = max(1, min(10_000, int(request.query.get("limit", "1000"))))
    except ValueError:
        return error(400, "bad_request", "limit must be a number")
    records = log_.records()[-limit:]
    return web.json_response({"records": records})


async def keys(request: web.Request) -> web.Response:
    store = request.app[PIPELINE].pgp
    listed = await asyncio.to_thread(store.list_keys)
    return web.json_response({"keys": [k.to_json() for k in listed]})


async def import_key(request: web.Request) -> web.Response:
    data = await request.read()
    try:
        fingerprints = await asyncio.to_thread(request.app[PIPELINE].pgp.import_keys, data)
    except PgpError as exc:
        return error(400, "bad_key", str(exc))
    return web.json_response({"imported": fingerprints}, status=201)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `message` event per state change, for the tray app."""
    queue: asyncio.Queue[dict | None] = asyncio.Queue(maxsize=1000)
    unsubscribe = request.app[PIPELINE].subscribe(
        lambda event: queue.put_nowait(event) if not queue.full() else None
    )
    request.app[STREAMS].add(queue)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    try:
        # First event: the subscription is live, so a client knows nothing after it is missed.
        await response.write(b'event: hello\ndata: {"type": "hello"}\n\n')
        while True:
            try:
                async with asyncio.timeout(15):
                    event = await queue.get()
                if event is None:  # the agent is stopping
                    break
                await response.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        unsubscribe()
        request.app[STREAMS].discard(queue)
    return response


async def _end_streams(app: web.Application) -> None:
    for queue in list(app[STREAMS]):
        queue.put_nowait(None)


def create_app(pipeline: Pipeline, token: str, origins: set[str]) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=MAX_MESSAGE_BYTES + 1)
    app[PIPELINE] = pipeline
    app[TOKEN] = token
    app[HOSTS] = set()  # filled in once the port is known (see allow_port)
    app[ORIGINS] = set(origins)
    app[STREAMS] = set()
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/v1/health", health)
    app.router.add_get("/v1/openapi.json", openapi)
    app.router.add_post("/v1/check", check)
    app.router.add_post("/v1/messages", submit)
    app.router.add_get("/v1/messages/{id}", message)
    app.router.add_post("/v1/bounces", bounce)
    app.router.add_get("/v1/outbox", outbox)
    app.router.add_get("/v1/outbox/summary", outbox_summary)
    app.router.add_get("/v1/audit", audit)
    app.router.add_get("/v1/keys", keys)
    app.router.add_post("/v1/keys", import_key)
    app.router.add_get("/v1/events", events)
    return app


def allow_port(app: web.Application, port: int) -> None:
    """Accept exactly the loopback names of the port we listen on."""
    app[HOSTS].update({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})
    app[ORIGINS].update({f"http://127.0.0.1:{port}", f"http://localhost:{port}"})
