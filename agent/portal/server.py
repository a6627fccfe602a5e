"""The recipient portal: stores sealed messages and serves the page that opens them.

Zero knowledge by construction: the agent uploads `nonce || ciphertext` under a random id;
the key is in the link's fragment, which browsers never send. So the server holds and serves
only ciphertext, and a stolen portal disk reveals nothing. Uploads need the portal token;
reading a blob needs only its 128-bit id (as the link does). One-time codes, expiry, revoke
and replies build on this store (see issue "Every method done properly").
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import time
from importlib import resources
from pathlib import Path

from aiohttp import web

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
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


class PortalStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _paths(self, ident: str) -> tuple[Path, Path]:
        return self.root / f"{ident}.bin", self.root / f"{ident}.json"

    def put(self, ident: str, blob: bytes, meta: dict) -> bool:
        data, info = self._paths(ident)
        if data.exists():
            return False
        for path, content in ((data, blob), (info, json.dumps(meta).encode())):
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(content)
            os.replace(tmp, path)
        return True

    def delete(self, ident: str) -> bool:
        data, info = self._paths(ident)
        existed = data.exists()
        for path in (data, info):
            path.unlink(missing_ok=True)
        return existed

    def get(self, ident: str) -> bytes | None:
        data, _ = self._paths(ident)
        return data.read_bytes() if data.exists() else None


def _static(name: str) -> bytes:
    return resources.files("agent.portal").joinpath("static", name).read_bytes()


def create_app(store: PortalStore, token: str) -> web.Application:
    @web.middleware
    async def headers(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(_SECURITY_HEADERS)
            raise
        response.headers.update(_SECURITY_HEADERS)
        return response

    app = web.Application(middlewares=[headers], client_max_size=MAX_BLOB)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def page(request: web.Request) -> web.Response:
        if not _ID.match(request.match_info["id"]):
            raise web.HTTPNotFound(text="No such message.")
        return web.Response(body=_static("portal.html"), content_type="text/html")

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        types = {"portal.js": "text/javascript", "portal.css": "text/css"}
        if name not in types:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=types[name])

    async def blob(request: web.Request) -> web.Response:
        ident = request.match_info["id"]
        data = store.get(ident) if _ID.match(ident) else None
        if data is None:
            raise web.HTTPNotFound(text="No such message.")
        return web.Response(body=data, content_type="application/octet-stream")

    async def upload(request: web.Request) -> web.Response:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token or not hmac.compare_digest(supplied.encode(), token.encode()):
            raise web.HTTPUnauthorized(text="upload token required")
        ident = request.match_info["id"]
        if not _ID.match(ident):
            raise web.HTTPBadRequest(text="bad message id")
        data = await request.read()
        if len(data) < 29:  # nonce + tag + at least one byte
            raise web.HTTPBadRequest(text="not a sealed message")
        meta = {
            "sender": request.headers.get("X-Postseal-Sender", ""),
            "recipient": request.headers.get("X-Postseal-Recipient", ""),
            "created": time.time(),
            "size": len(data),
        }
        if not store.put(ident, data, meta):
            raise web.HTTPConflict(text="message id already used")
        log.info("portal: stored sealed message %s (%d bytes)", ident, len(data))
        return web.json_response({"id": ident}, status=201)

    app.router.add_get("/m/{id}", page)
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/api/v1/messages/{id}/blob", blob)
    async def revoke(request: web.Request) -> web.Response:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token or not hmac.compare_digest(supplied.encode(), token.encode()):
            raise web.HTTPUnauthorized(text="upload token required")
        ident = request.match_info["id"]
        if not _ID.match(ident) or not store.delete(ident):
            raise web.HTTPNotFound(text="No such message.")
        log.info("portal: revoked %s", ident)
        return web.json_response({"revoked": ident})

    app.router.add_put("/api/v1/messages/{id}", upload)
    app.router.add_delete("/api/v1/messages/{id}", revoke)
    app.router.add_get("/health", health)
    return app
