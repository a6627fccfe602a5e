"""The local API's settings and events: the effective configuration and what managed policy
locks, changes from the tray, the rules in force, this agent's enrolment with the
organization's portal, and the server-sent events the tray listens to."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from agent import client_json, portal_enrol
from agent import config as config_mod
from agent.ingress.api.door import AGENT, STREAMS
from agent.ingress.envelope import error


async def config_view(request: web.Request) -> web.Response:
    """The effective configuration and what managed policy locks (the tray's settings)."""
    return web.json_response(request.app[AGENT].settings_view().to_json())


async def update_config(request: web.Request) -> web.Response:
    """Change relay and organization settings (live) or the portal address (after a restart)
    from the tray."""
    try:
        changes = client_json.loads(await request.read(), "the settings")
    except client_json.BadJson as exc:
        return error(400, "bad_request", f'{exc}; send JSON like {{"relay": {{"host": "smtp.clinic.example"}}}}')
    if not isinstance(changes, dict):
        return error(400, "bad_request", 'send JSON like {"relay": {"host": "smtp.clinic.example"}}')
    try:
        changed = await request.app[AGENT].change_settings(changes)
    except PermissionError as exc:
        return error(403, "managed", str(exc))
    except config_mod.ConfigError as exc:
        return error(400, "bad_config", str(exc))
    return web.json_response({"restart_required": changed.restart_required, "locked": changed.locked})


async def rules(request: web.Request) -> web.Response:
    """Where the rules the agent plans with come from (`postseal policy check` names them)."""
    found = request.app[AGENT].rules_in_force()
    return web.json_response({"source": found.source, "managed": found.managed})


async def enrol_portal(request: web.Request) -> web.Response:
    """Enrol this agent with the organization's portal (`postseal portal enroll` while the
    agent runs: the agent's own secret store is written by the agent alone)."""
    usage = 'send JSON {"url": "https://portal.clinic.example", "code": "…", "name": "front-desk"}'
    try:
        body = client_json.loads(await request.read(), "the request")
    except client_json.BadJson as exc:
        return error(400, "bad_request", f"{exc}; {usage}")
    if not (
        isinstance(body, dict)
        and all(isinstance(body.get(k), str) for k in ("url", "code"))
        and body["url"]
        and body["code"]
        and isinstance(body.get("name", ""), str)
    ):
        return error(400, "bad_request", usage)
    try:
        record = await asyncio.to_thread(
            request.app[AGENT].enrol_portal, body["url"], body["code"], body.get("name", "")
        )
    except portal_enrol.EnrolFailed as exc:
        return error(502, "enrol_failed", str(exc))
    return web.json_response(record, status=201)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `message` event per state change, for the tray app."""
    queue: asyncio.Queue[dict | None] = asyncio.Queue(maxsize=1000)
    unsubscribe = request.app[AGENT].subscribe(lambda event: queue.put_nowait(event) if not queue.full() else None)
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


async def end_streams(app: web.Application) -> None:
    for queue in list(app[STREAMS]):
        queue.put_nowait(None)
