"""The local API's settings and events: the effective configuration and what managed policy
locks, changes from the tray, and the server-sent events the tray listens to."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from aiohttp import web

from agent import client_json, settings
from agent import config as config_mod
from agent.ingress.api.door import AGENT, STREAMS
from agent.ingress.envelope import error


async def config_view(request: web.Request) -> web.Response:
    """The effective configuration and what managed policy locks (the tray's settings)."""
    config = request.app[AGENT].config
    values = {}
    for name in config_mod.SECTIONS:
        values[name] = {k: ("***" if (name, k) in config_mod.SECRETS and v else v)
                        for k, v in dataclasses.asdict(getattr(config, name)).items()}
    return web.json_response({"values": values, "locked": sorted(config.locked),
                              "source": str(request.app[AGENT].home / "config.toml"),
                              "pending": request.app[AGENT].pending_settings})


async def update_config(request: web.Request) -> web.Response:
    """Change relay and organization settings (live) or the portal address (after a restart)
    from the tray."""
    agent = request.app[AGENT]
    try:
        changes = client_json.loads(await request.read(), "the settings")
    except client_json.BadJson as exc:
        return error(400, "bad_request", f'{exc}; send JSON like {{"relay": {{"host": "smtp.clinic.example"}}}}')
    if not isinstance(changes, dict):
        return error(400, "bad_request", 'send JSON like {"relay": {"host": "smtp.clinic.example"}}')
    current = agent.config
    try:
        user = await asyncio.to_thread(settings.update_user_config, agent.home, changes, current.locked)
    except PermissionError as exc:
        return error(403, "managed", str(exc))
    except config_mod.ConfigError as exc:
        return error(400, "bad_config", str(exc))
    # Managed values still win: only what is not locked comes from the user's file. Relay and
    # organization take effect now; the portal address after a restart (the embedded portal).
    live = {name: dataclasses.replace(getattr(current, name), **{
        k: v for k, v in dataclasses.asdict(getattr(user, name)).items() if f"{name}.{k}" not in current.locked})
        for name in ("relay", "organization")}
    agent.reconfigure(dataclasses.replace(current, **live))
    restart = user.portal.url != current.portal.url and "portal.url" not in current.locked
    agent.pending_settings = {"portal.url": user.portal.url} if restart else {}
    return web.json_response({"restart_required": restart, "locked": sorted(current.locked)})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `message` event per state change, for the tray app."""
    queue: asyncio.Queue[dict | None] = asyncio.Queue(maxsize=1000)
    unsubscribe = request.app[AGENT].subscribe(
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


async def end_streams(app: web.Application) -> None:
    for queue in list(app[STREAMS]):
        queue.put_nowait(None)
