"""A fake agent for the error states: an aiohttp server on 127.0.0.1 (free port) that
speaks the local API's shapes, writes the discovery files as the agent does, and answers
with whatever failure a test asks for (wrong token, HTTP errors, a hung call)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

from aiohttp import web

HELD = {
    "id": "fake000000000001",
    "message_id": "<1@valleyclinic.example>",
    "subject": "Disability form",
    "sender": "dr.chen@valleyclinic.example",
    "created": time.time() - 60,
    "updated": time.time() - 60,
    "state": "held",
    "reason": "This message contains a Social Security number and is going outside the organization.",
    "plan": {},
    "recipients": [
        {
            "address": "records@statedisability.example",
            "method": "portal",
            "state": "held",
            "reason": "held by policy",
            "attempts": 0,
            "next_attempt": None,
            "waiting_for_network": False,
            "proof": {},
        }
    ],
}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class FakeAgent:
    def __init__(self, home: Path, token: str = "fake-token") -> None:
        self.home = home
        self.token = token
        self.token_in_file = token
        self.failures: dict[str, tuple[int, str, str]] = {}  # "METHOD /path" → (status, code, message)
        self.messages: list[dict[str, Any]] = [HELD]
        self.config = {
            "values": {
                "relay": {
                    "host": "smtp.clinic.example",
                    "port": 587,
                    "starttls": "required",
                    "username": "",
                    "password": "",
                },
                "portal": {"url": "https://portal.clinic.example", "embedded": False},
                "policy": {"allow_release": True},
            },
            "locked": [],
            "source": str(home / "config.toml"),
        }
        self.seen: list[str] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="fake-agent", daemon=True)
        self._streams: set[asyncio.Queue] = set()

    # --- the server ------------------------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler):
        key = f"{request.method} {request.path}"
        self.seen.append(key)
        if request.path != "/v1/health" and request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "missing or wrong bearer token (see $POSTSEAL_HOME/api-token)")
        if key in self.failures:
            status, code, message = self.failures[key]
            return _error(status, code, message)
        return await handler(request)

    def _app(self) -> web.Application:
        def answer(body) -> object:
            async def handler(request: web.Request) -> web.Response:
                return body() if callable(body) else web.json_response(body)

            return handler

        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/v1/health", answer({"ok": True, "service": "postseal-agent"}))
        app.router.add_get("/v1/outbox", answer(lambda: web.json_response({"messages": self.messages})))
        app.router.add_get(
            "/v1/outbox/summary", answer({"counts": {"held": 1}, "offline_since": None, "audit_problem": ""})
        )
        app.router.add_get("/v1/messages/{id}", self._message)
        app.router.add_post("/v1/messages/{id}/{action}", self._action)
        app.router.add_get("/v1/keys", answer({"keys": []}))
        app.router.add_get("/v1/accounts", answer({"accounts": [], "providers": {}, "transport": "api"}))
        app.router.add_post(
            "/v1/keys", answer(lambda: _error(400, "bad_key", "gpg could not import a key: no OpenPGP key found"))
        )
        app.router.add_get("/v1/config", answer(lambda: web.json_response(self.config)))
        app.router.add_get("/v1/audit", answer({"records": [], "total": 0}))
        app.router.add_get("/v1/audit/verify", answer({"ok": True, "records": 0, "unsigned": 0, "problem": ""}))
        app.router.add_get("/v1/events", self._events)
        return app

    async def _message(self, request: web.Request) -> web.Response:
        for message in self.messages:
            if message["id"] == request.match_info["id"]:
                return web.json_response(message)
        return _error(404, "not_found", f"no message {request.match_info['id']!r} in the outbox")

    async def _action(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        key = {"retry": "retried", "release": "released", "portal": "rerouted", "revoke": "revoked"}[action]
        return web.json_response({"id": request.match_info["id"], key: 1}, status=202)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue: asyncio.Queue = asyncio.Queue()
        self._streams.add(queue)
        try:
            await response.write(b'event: hello\ndata: {"type": "hello"}\n\n')
            while True:
                event = await queue.get()
                if event is None:
                    break
                await response.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._streams.discard(queue)
        return response

    def _main(self) -> None:
        async def body() -> None:
            self._loop = asyncio.get_running_loop()
            self._runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=0.5)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]
            self._stopped = asyncio.Event()
            self._ready.set()
            await self._stopped.wait()
            for queue in list(self._streams):
                queue.put_nowait(None)
            await self._runner.cleanup()

        asyncio.run(body())

    # --- control ---------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAgent:
        self._thread.start()
        self._ready.wait(10)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "api-token").write_text(self.token_in_file)
        (self.home / "agent.json").write_text(json.dumps({"pid": 0, "api_url": self.api_url, "smtp_port": None}))
        return self

    def send(self, event: dict[str, Any]) -> None:
        assert self._loop is not None
        for queue in list(self._streams):
            self._loop.call_soon_threadsafe(queue.put_nowait, event)

    def stop(self) -> None:
        if self._loop and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(10)

    def __enter__(self) -> FakeAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
