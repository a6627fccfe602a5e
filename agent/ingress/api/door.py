"""The local API's door (DESIGN.md "Local API"): loopback only, bearer token, Host and Origin
checked; what every handler shares (the app's keys, reading a body, the one error answer).

Why each check: the token stops other local users and processes; the Host check stops DNS
rebinding (a web page whose name resolves to 127.0.0.1 reaching us as a "same-origin" site);
the Origin check stops any web page the user visits from driving the API with their browser."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from agent import failure
from agent.ingress.envelope import error
from agent.intake import MAX_MESSAGE_BYTES
from agent.service.agent import Agent

log = logging.getLogger(__name__)


AGENT = web.AppKey("agent", Agent)
TOKEN = web.AppKey("token", str)
HOSTS = web.AppKey("hosts", set)
ORIGINS = web.AppKey("origins", set)
STREAMS = web.AppKey("streams", set)
SMTP_PORT = web.AppKey("smtp_port", list)  # [port] once the SMTP submission listens
_OPEN_PATHS = {"/v1/health"}


def internal_failure(request: web.Request, exc: BaseException) -> str:
    """Any failure nobody foresaw: one log line naming the route and where it failed, never the
    exception's text or a traceback (either may quote message content); returns the error's words."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "(no route)"
    log.error("%s %s failed: %s", request.method, route, failure.site(exc))
    return (
        f"the agent could not handle {request.method} {route} ({type(exc).__name__}); nothing was stored; "
        "see the agent log"
    )


def internal_error(request: web.Request, exc: BaseException) -> web.Response:
    """A JSON 500 for a failure nobody foresaw."""
    return error(500, "internal_error", internal_failure(request, exc))


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
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into JSON
        return internal_error(request, exc)


async def rfc822(request: web.Request) -> bytes:
    if request.content_type != "message/rfc822":
        raise web.HTTPUnsupportedMediaType(text="send the message as Content-Type: message/rfc822")
    return await request.read()
