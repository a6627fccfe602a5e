"""The local API's messages: check a message, submit it, read the outbox, and a person's
actions on one message (retry, release, send via the portal, revoke); bounces; health."""

from __future__ import annotations

from aiohttp import web

from agent import client_json
from agent.bounces import NotADsn
from agent.ingress.api.door import AGENT, rfc822
from agent.ingress.envelope import error
from agent.ingress.openapi import OPENAPI
from agent.intake import BadMessage
from agent.outbox import StorageUnavailable
from agent.protect.portal import PortalUnavailable
from agent.service.errors import Blocked, MessageIdReused, NotAllowed, NothingToDo, UnknownMessage
from agent.webhooks import BadCallback


async def health(request: web.Request) -> web.Response:
    # Where the keys are is no secret, and an admin's monitoring must see keys kept in files.
    agent = request.app[AGENT]
    # "ok": the agent answers. "problems": what in its set-up holds mail or IT should fix
    # (readiness.py); monitoring alerts on any problem whose "holds" is not "nothing".
    return web.json_response(
        {
            "ok": True,
            "service": "postseal-agent",
            "secrets": agent.secrets_status.to_json(),
            "problems": [p.to_json() for p in agent.problems],
        }
    )


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


async def check(request: web.Request) -> web.Response:
    raw = await rfc822(request)
    try:
        plan = await request.app[AGENT].check(raw)
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    return web.json_response({"plan": plan.to_json()})


async def submit(request: web.Request) -> web.Response:
    raw = await rfc822(request)
    agent = request.app[AGENT]
    try:
        accepted = await agent.submit(raw, callback_url=request.query.get("callback_url", ""))
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    except BadCallback as exc:
        return error(400, "bad_callback", str(exc))
    except Blocked as exc:
        return error(422, "blocked", str(exc), plan=exc.plan.to_json())
    except StorageUnavailable as exc:
        return error(503, "storage_unavailable", str(exc))
    except MessageIdReused as exc:
        return error(409, "message_id_reused", str(exc), id=exc.ident)
    body = {
        "id": accepted.id,
        "state": str(accepted.state),
        "plan": accepted.plan.to_json(),
        "duplicate": accepted.duplicate,
    }
    if accepted.callback_secret:
        body["callback_secret"] = accepted.callback_secret
    return web.json_response(body, status=202)


async def message(request: web.Request) -> web.Response:
    row = request.app[AGENT].message(request.match_info["id"])
    if row is None:
        return error(404, "not_found", f"no message {request.match_info['id']!r} in the outbox")
    return web.json_response(row.to_json())


async def _act(request: web.Request, action) -> web.Response:
    """One person's action on one message: the common errors, once."""
    ident = request.match_info["id"]
    try:
        return await action(ident)
    except UnknownMessage as exc:
        return error(404, "not_found", str(exc))
    except NotAllowed as exc:
        return error(403, "managed", str(exc))
    except NothingToDo as exc:
        code = {
            "retry": "nothing_to_retry",
            "release": "not_held",
            "portal": "nothing_to_reroute",
            "revoke": "not_portal",
        }[request.path.rsplit("/", 1)[-1]]
        return error(409, code, str(exc))
    except PortalUnavailable as exc:
        return error(503, "portal_unavailable", str(exc))


async def retry(request: web.Request) -> web.Response:
    agent = request.app[AGENT]

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "retried": agent.retry_now(ident)}, status=202)

    return await _act(request, act)


async def release(request: web.Request) -> web.Response:
    agent = request.app[AGENT]
    try:
        body = client_json.loads(await request.read(), "the note") if request.can_read_body else {}
    except client_json.BadJson as exc:
        return error(400, "bad_request", f'{exc}; send the note as JSON: {{"note": "why it may go"}}')
    note = str(body.get("note", "")) if isinstance(body, dict) else ""

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "released": agent.release(ident, note)}, status=202)

    return await _act(request, act)


async def via_portal(request: web.Request) -> web.Response:
    agent = request.app[AGENT]

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "rerouted": agent.send_via_portal(ident)}, status=202)

    return await _act(request, act)


async def revoke(request: web.Request) -> web.Response:
    agent = request.app[AGENT]

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "revoked": await agent.revoke(ident)})

    return await _act(request, act)


async def bounce(request: web.Request) -> web.Response:
    """A delivery status notification (RFC 3464) for a message the relay accepted earlier."""
    raw = await rfc822(request)
    try:
        outcome = await request.app[AGENT].apply_bounce(raw)
    except NotADsn as exc:
        return error(400, "not_a_dsn", f"not a delivery status notification: {exc}")
    except UnknownMessage as exc:
        return error(404, "unknown_message", str(exc))
    return web.json_response(
        {"id": outcome.message, "recipients": list(outcome.recipients), "unmatched": list(outcome.unmatched)}
    )


async def outbox(request: web.Request) -> web.Response:
    rows = request.app[AGENT].messages()
    return web.json_response({"messages": [r.to_json() for r in rows]})


async def outbox_summary(request: web.Request) -> web.Response:
    """Recipients per state and whether the agent is waiting for the network (tray icon)."""
    agent = request.app[AGENT]
    return web.json_response(
        {"counts": agent.counts(), "offline_since": agent.offline_since, "audit_problem": agent.audit_problem}
    )
