"""An aiohttp application served over HTTPS (the test CA) on 127.0.0.1 in a thread of its own:
the base of the fake Microsoft and Google services. Real TLS, real HTTP, real JSON."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

from aiohttp import web

from agent.demo_world import TestCA


def jwt(claims: dict) -> str:
    """An unsigned-looking ID token: the clients read its claims (msal checks aud, nonce,
    exp, iss), they do not verify a signature from a token endpoint reached over TLS."""
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'test'})}.{part(claims)}.c2lnbmF0dXJl"


def now() -> int:
    return int(time.time())


class HttpsFake:
    def __init__(self, ca: TestCA) -> None:
        self.ca = ca
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, for the tests
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @web.middleware
    async def _log(self, request: web.Request, handler):
        self.requests.append((request.method, request.path))
        return await handler(request)

    def _run(self) -> None:
        async def main() -> None:
            self.app.middlewares.append(self._log)
            runner = web.AppRunner(self.app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.ca.server_context())
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]
            self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            await self._stop.wait()
            await runner.cleanup()

        asyncio.run(main())

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self):
        self._thread.start()
        assert self._ready.wait(10), "fake server did not start"
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


class IssuedTokens:
    """What a fake identity service tracks of the tokens it issued, and how a test takes them away."""

    refresh_tokens: dict
    access_tokens: dict

    def revoke_all(self) -> None:
        """An admin revoked the user's sessions (or consent): every token stops working."""
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        for grant in self.access_tokens.values():
            grant.expires = now() - 1


def oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
