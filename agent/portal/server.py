"""The recipient portal: stores sealed messages and serves the page that opens them.

Zero knowledge by construction: the agent uploads `nonce || ciphertext` under a random id;
the key is in the link's fragment, which browsers never send. The server holds ciphertext,
expiry and verification state (store.py), and serves the ciphertext only to a session that
proved it reads the recipient's mailbox (access.py). Replies come back sealed under the same
key; the agent collects them with the events (opened, downloads, lockouts) through /api/v1/sync.

Routes for the recipient's browser: GET /m/{id} (the page), GET /api/v1/messages/{id}/info,
POST …/code (mail me a code), POST …/session (the code or passcode → a session cookie),
GET …/blob, POST …/receipt (an attachment was saved), POST …/replies.
Routes for the agent (bearer upload token): PUT/DELETE /api/v1/messages/{id}, GET /api/v1/sync,
GET/DELETE /api/v1/replies/{reply}, POST /api/v1/messages/{id}/warned.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from importlib import resources

from aiohttp import web

from agent import client_json, failure
from agent.portal import access
from agent.portal.interface import PortalStore, Sealed
from agent.portal.offload import Offload

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_BLOB = 60 * 1024 * 1024
MAX_REPLY = 35 * 1024 * 1024
MAX_REPLIES = 20  # per message: a reply box, not a file drop
MAX_ATTACHMENTS = 1000  # a receipt names an attachment by its index below this
COOKIE = "ps_session"
_SECURITY_HEADERS = {
    # The page runs only its own script; nothing it decrypts can load or run anything.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' blob: data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

Mailer = Callable[[Sealed, str], None]  # (message, code): mails the code to its recipient; raises on failure


class MailerError(Exception):
    """The code could not be mailed now."""


def _static(name: str) -> bytes:
    return resources.files("agent.portal").joinpath("static", name).read_bytes()


def _refuse(refusal: access.Refusal) -> web.Response:
    headers = {"Retry-After": str(int(refusal.retry_after) + 1)} if refusal.retry_after else {}
    return web.json_response({"error": refusal.message}, status=refusal.status, headers=headers)


def create_app(store: PortalStore, token: str, mailer: Mailer | None = None,
               limiter: access.RateLimiter | None = None) -> web.Application:
    limiter = limiter or access.RateLimiter()
    off = Offload()  # every store call runs off the event loop (offload.py says why)

    @web.middleware
    async def headers(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(_SECURITY_HEADERS)
            raise
        except Exception as exc:  # noqa: BLE001 - a recipient's browser never sees a traceback
            # Only the type and where: the request may carry a code, a reply or a name.
            log.error("portal: %s %s failed: %s", request.method, request.match_info.route.resource.canonical
                      if request.match_info.route.resource else "(no route)", failure.site(exc))
            response = _refuse(access.Refusal(500, "The portal could not answer this request. Try again later."))
        response.headers.update(_SECURITY_HEADERS)
        return response

    app = web.Application(middlewares=[headers], client_max_size=MAX_BLOB)

    async def close_offload(app: web.Application) -> None:
        off.close()
    app.on_cleanup.append(close_offload)

    def agent_only(request: web.Request) -> None:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token or not hmac.compare_digest(supplied.encode(), token.encode()):
            raise web.HTTPUnauthorized(text="upload token required")

    async def message_of(request: web.Request) -> Sealed:
        ident = request.match_info["id"]
        sealed = await off(store.get, ident) if _ID.match(ident) else None
        if sealed is None:
            raise web.HTTPNotFound(text="No such message.")
        return sealed

    def same_site(request: web.Request) -> None:
        # Cookie requests must come from the portal's own page (SameSite=Strict does the rest).
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise web.HTTPForbidden(text="requests from other sites are refused")

    def throttle(request: web.Request) -> None:
        wait = limiter.allow(request.remote or "?")
        if wait:
            raise web.HTTPTooManyRequests(text=json.dumps({"error": "Too many attempts from your network. Wait a "
                                                                     "minute, then try again."}),
                                          content_type="application/json", headers={"Retry-After": str(int(wait) + 1)})

    async def session_ok(request: web.Request, sealed: Sealed) -> bool:
        return await off(store.session_valid, request.cookies.get(COOKIE, ""), sealed.id)

    # --- the recipient's browser ---------------------------------------------------------------
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

    async def info(request: web.Request) -> web.Response:
        sealed = await message_of(request)
        refusal = access.unavailable(sealed) or access.locked(sealed)
        state = {404: "unknown", 410: "gone", 423: "locked"}.get(refusal.status, "ok") if refusal else "ok"
        return web.json_response({"state": state, "message": refusal.message if refusal else "",
                                  "expires": sealed.expires, "verify": "passcode" if sealed.passcode else "code",
                                  "recipient": access.hint(sealed.recipient), "verified": await session_ok(request, sealed)})

    async def code(request: web.Request) -> web.Response:
        same_site(request)
        throttle(request)
        sealed = await message_of(request)
        if sealed.passcode:
            return _refuse(access.Refusal(400, "This message opens with the passcode the sender gave you."))
        result = await off(access.new_code, store, sealed)
        if isinstance(result, access.Refusal):
            return _refuse(result)
        if mailer is None:
            return _refuse(access.Refusal(503, "This portal cannot send codes right now. Try again later."))
        try:
            await asyncio.to_thread(mailer, sealed, result)
        except MailerError as exc:
            log.warning("portal: code for %s not mailed: %s", sealed.id, exc)
            return _refuse(access.Refusal(503, "The code could not be sent just now. Try again in a few minutes."))
        await off(store.event, sealed.id, "code_sent")
        return web.json_response({"sent_to": access.hint(sealed.recipient), "valid_minutes": 10}, status=202)

    async def session(request: web.Request) -> web.Response:
        same_site(request)
        throttle(request)
        sealed = await message_of(request)
        try:
            if (request.content_length or 0) > 4096:
                raise client_json.BadJson("too long")
            body = client_json.loads(await request.read(), "the code")
        except client_json.BadJson:
            return _refuse(access.Refusal(400, 'expected JSON {"code": "123456"} of at most 4 KB'))
        answer = str(body.get("code") or body.get("passcode") or "")[:200] if isinstance(body, dict) else ""
        result = await off(access.check, store, sealed, answer)
        if isinstance(result, access.Refusal):
            return _refuse(result)
        response = web.json_response({"verified": True})
        response.set_cookie(COOKIE, result, max_age=int(access.SESSION_LIFETIME), path=f"/api/v1/messages/{sealed.id}/",
                            httponly=True, samesite="Strict", secure=request.secure)
        return response

    async def refused(request: web.Request, sealed: Sealed) -> web.Response | None:
        """Why this request may not read or answer the message now, or None."""
        refusal = access.unavailable(sealed)
        if refusal:
            return _refuse(refusal)
        if not await session_ok(request, sealed):
            return _refuse(access.Refusal(401, "Prove it is you first: enter the code sent to your e-mail."))
        return None

    async def blob(request: web.Request) -> web.Response:
        sealed = await message_of(request)
        if (refusal := await refused(request, sealed)) is not None:
            return refusal
        data = await off(store.blob, sealed.id)
        if data is None:
            return _refuse(access.Refusal(410, "This message is no longer available."))
        if sealed.opened is None:
            await off(store.update, sealed.id, opened=time.time())
            await off(store.event, sealed.id, "opened")
        return web.Response(body=data, content_type="application/octet-stream")

    async def receipt(request: web.Request) -> web.Response:
        same_site(request)
        sealed = await message_of(request)
        if not await session_ok(request, sealed):
            return _refuse(access.Refusal(401, "no session"))
        # A receipt names the attachment by its place in the message, never by its name: a
        # file called after the patient and their MRN is PHI, and receipts go into the
        # portal's database and the agent's audit log. A bounded body, parsed with bounded depth.
        try:
            too_big = (request.content_length or 0) > 4096
            body = None if too_big else client_json.loads(await request.read(), "the receipt")
        except client_json.BadJson:
            body = None
        index = body.get("index") if isinstance(body, dict) else None
        if type(index) is not int or not 0 <= index < MAX_ATTACHMENTS:
            return _refuse(access.Refusal(400, 'expected JSON {"event": "download", "index": N} of at most 4 KB'))
        await off(store.event, sealed.id, "downloaded", f"attachment {index + 1}")
        return web.Response(status=204)

    async def reply(request: web.Request) -> web.Response:
        same_site(request)
        sealed = await message_of(request)
        if (refusal := await refused(request, sealed)) is not None:
            return refusal
        if len([r for r in await off(store.replies) if r["id"] == sealed.id]) >= MAX_REPLIES:
            return _refuse(access.Refusal(429, "This message has as many replies waiting as it can hold."))
        reply_id = request.match_info.get("reply") or ""
        if not _ID.match(reply_id):
            return _refuse(access.Refusal(400, "bad reply id"))
        data = await request.read()
        if not 29 <= len(data) <= MAX_REPLY:
            return _refuse(access.Refusal(413 if len(data) > MAX_REPLY else 400,
                                          "The reply is over 35 MB; send large files another way."
                                          if len(data) > MAX_REPLY else "not a sealed reply"))
        await off(store.put_reply, reply_id, sealed.id, data)
        await off(store.event, sealed.id, "replied", f"{len(data)} bytes")
        return web.json_response({"reply": reply_id}, status=201)

    # --- the agent ------------------------------------------------------------------------------
    async def upload(request: web.Request) -> web.Response:
        agent_only(request)
        ident = request.match_info["id"]
        if not _ID.match(ident):
            raise web.HTTPBadRequest(text="bad message id")
        data = await request.read()
        if len(data) < 29:  # nonce + tag + at least one byte
            raise web.HTTPBadRequest(text="not a sealed message")
        try:
            expires = float(request.headers.get("X-Postseal-Expires") or time.time() + 30 * 86400)
        except ValueError:
            raise web.HTTPBadRequest(text="X-Postseal-Expires must be a unix time") from None
        recipient = request.headers.get("X-Postseal-Recipient", "")
        if "@" not in recipient:
            raise web.HTTPBadRequest(text="X-Postseal-Recipient is required: codes are mailed to it")
        if not await off(store.put, ident, data, request.headers.get("X-Postseal-Sender", ""), recipient, expires,
                         request.headers.get("X-Postseal-Passcode") or None):
            raise web.HTTPConflict(text="message id already used")
        log.info("portal: stored sealed message %s (%d bytes)", ident, len(data))
        return web.json_response({"id": ident, "expires": expires}, status=201)

    async def revoke(request: web.Request) -> web.Response:
        agent_only(request)
        ident = request.match_info["id"]
        if not _ID.match(ident) or not await off(store.revoke, ident):
            raise web.HTTPNotFound(text="No such message.")
        await off(store.event, ident, "revoked")
        log.info("portal: revoked %s", ident)
        return web.json_response({"revoked": ident})

    async def sync(request: web.Request) -> web.Response:
        agent_only(request)
        try:
            since, within = int(request.query.get("since", "0")), float(request.query.get("warn_within", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="since and warn_within are numbers") from None
        for ident in await off(store.purge_expired):
            await off(store.event, ident, "expired")
        return web.json_response({
            "events": await off(store.events_since, since), "replies": await off(store.replies),
            "expiring": [{"id": s.id, "sender": s.sender, "recipient": s.recipient, "expires": s.expires}
                         for s in (await off(store.expiring, within) if within else [])]})

    async def warned(request: web.Request) -> web.Response:
        agent_only(request)
        await off(store.update, (await message_of(request)).id, warned=time.time())
        return web.Response(status=204)

    async def reply_blob(request: web.Request) -> web.Response:
        agent_only(request)
        data = await off(store.reply_blob, request.match_info["reply"]) if _ID.match(request.match_info["reply"]) else None
        if data is None:
            raise web.HTTPNotFound(text="no such reply")
        return web.Response(body=data, content_type="application/octet-stream")

    async def drop_reply(request: web.Request) -> web.Response:
        agent_only(request)
        if not await off(store.drop_reply, request.match_info["reply"]):
            raise web.HTTPNotFound(text="no such reply")
        return web.Response(status=204)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/m/{id}", page)
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/api/v1/messages/{id}/info", info)
    app.router.add_post("/api/v1/messages/{id}/code", code)
    app.router.add_post("/api/v1/messages/{id}/session", session)
    app.router.add_get("/api/v1/messages/{id}/blob", blob)
    app.router.add_post("/api/v1/messages/{id}/receipt", receipt)
    app.router.add_put("/api/v1/messages/{id}/replies/{reply}", reply)
    app.router.add_put("/api/v1/messages/{id}", upload)
    app.router.add_delete("/api/v1/messages/{id}", revoke)
    app.router.add_post("/api/v1/messages/{id}/warned", warned)
    app.router.add_get("/api/v1/sync", sync)
    app.router.add_get("/api/v1/replies/{reply}/blob", reply_blob)
    app.router.add_delete("/api/v1/replies/{reply}", drop_reply)
    app.router.add_get("/health", health)
    return app


def new_reply_id() -> str:
    return secrets.token_urlsafe(16)
