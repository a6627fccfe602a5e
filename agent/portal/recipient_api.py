"""The routes a recipient's browser uses: the message's state, a code mailed, the code (or
passcode) checked for a session, the sealed bytes, receipts of saved attachments, sealed
replies. Each handler does its store work in one plain function run on the store's threads
(context.Portal.run); a code check reads the message before its body, as it always has, so
the early answers (no such message, expired, locked) need no body.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from agent import client_json
from agent.portal import access
from agent.portal.context import COOKIE, ID, MailerError, Portal, refuse, small_body
from agent.portal.interface import Sealed

log = logging.getLogger(__name__)

MAX_REPLY = 35 * 1024 * 1024
MAX_REPLIES = 20  # per message: a reply box, not a file drop
MAX_ATTACHMENTS = 1000  # a receipt names an attachment by its index below this


async def info(p: Portal, request: web.Request) -> web.Response:
    def work() -> web.Response:
        sealed = p.message_of(request)
        refusal = access.unavailable(sealed) or access.locked(sealed)
        state = {404: "unknown", 410: "gone", 423: "locked"}.get(refusal.status, "ok") if refusal else "ok"
        return web.json_response(
            {
                "state": state,
                "message": refusal.message if refusal else "",
                "expires": sealed.expires,
                "verify": "passcode" if sealed.passcode else "code",
                "recipient": access.hint(sealed.recipient),
                "verified": p.session_ok(request, sealed),
            }
        )

    return await p.run(work)


async def code(p: Portal, request: web.Request) -> web.Response:
    def issue() -> web.Response | tuple[Sealed, str]:
        p.same_site(request)
        if (refusal := p.throttle(request)) is not None:
            return refusal
        sealed = p.message_of(request)
        if sealed.passcode:
            return refuse(access.Refusal(400, "This message opens with the passcode the sender gave you."))
        result = access.new_code(p.store, sealed)
        return refuse(result) if isinstance(result, access.Refusal) else (sealed, result)

    issued = await p.run(issue)
    if isinstance(issued, web.Response):
        return issued
    sealed, new = issued
    if p.mailer is None:
        return refuse(access.Refusal(503, "This portal cannot send codes right now. Try again later."))
    try:
        await asyncio.to_thread(p.mailer, sealed, new)
    except MailerError as exc:
        log.warning("portal: code for %s not mailed: %s", sealed.id, exc)
        return refuse(access.Refusal(503, "The code could not be sent just now. Try again in a few minutes."))
    await p.run(p.store.event, sealed.id, "code_sent")
    return web.json_response({"sent_to": access.hint(sealed.recipient), "valid_minutes": 10}, status=202)


async def session(p: Portal, request: web.Request) -> web.Response:
    def early() -> web.Response | Sealed:
        p.same_site(request)
        if (refusal := p.throttle(request)) is not None:
            return refusal
        return p.message_of(request)

    sealed = await p.run(early)
    if isinstance(sealed, web.Response):
        return sealed
    try:
        data = await small_body(request)
        body = client_json.loads(data, "the code") if data is not None else None
    except client_json.BadJson:
        body = None
    if body is None:
        return refuse(access.Refusal(400, 'expected JSON {"code": "123456"} of at most 4 KB'))
    answer = str(body.get("code") or body.get("passcode") or "")[:200] if isinstance(body, dict) else ""
    # `sealed` was read before the body arrived: access.check decides on what is stored now.
    result = await p.run(access.check, p.store, sealed, answer)
    if isinstance(result, access.Refusal):
        return refuse(result)
    response = web.json_response({"verified": True})
    response.set_cookie(
        COOKIE,
        result,
        max_age=int(access.SESSION_LIFETIME),
        path=f"/api/v1/messages/{sealed.id}/",
        httponly=True,
        samesite="Strict",
        secure=p.secure_cookie or request.secure,
    )
    return response


async def blob(p: Portal, request: web.Request) -> web.Response:
    def work() -> web.Response:
        sealed = p.message_of(request)
        if (refusal := p.refused(request, sealed)) is not None:
            return refusal
        data = p.store.blob(sealed.id)
        if data is None:
            return refuse(access.Refusal(410, "This message is no longer available."))
        if sealed.opened is None:
            p.store.update(sealed.id, opened=time.time())
            p.store.event(sealed.id, "opened")
        return web.Response(body=data, content_type="application/octet-stream")

    return await p.run(work)


async def receipt(p: Portal, request: web.Request) -> web.Response:
    # A receipt names the attachment by its place in the message, never by its name: a file
    # called after the patient and their MRN is PHI, and receipts go into the portal's
    # database and the agent's audit log. A bounded body, parsed with bounded depth.
    try:
        data = await small_body(request)
        body = client_json.loads(data, "the receipt") if data is not None else None
    except client_json.BadJson:
        body = None

    def work() -> web.Response:
        p.same_site(request)
        sealed = p.message_of(request)
        if not p.session_ok(request, sealed):
            return refuse(access.Refusal(401, "Prove it is you first: enter the code sent to your e-mail."))
        index = body.get("index") if isinstance(body, dict) else None
        if type(index) is not int or not 0 <= index < MAX_ATTACHMENTS:
            return refuse(access.Refusal(400, 'expected JSON {"event": "download", "index": N} of at most 4 KB'))
        # Each receipt is a record in the agent's audit log: one per attachment per session,
        # and a bounded number a minute per message and per client (access.RateLimiter).
        recorded = p.limiter.receipt(p.store, request.remote or "?", sealed.id, request.cookies.get(COOKIE, ""), index)
        if isinstance(recorded, access.Refusal):
            return p.limited("receipt", recorded)
        if recorded:
            p.store.event(sealed.id, "downloaded", f"attachment {index + 1}")
        return web.Response(status=204)

    return await p.run(work)


async def reply(p: Portal, request: web.Request) -> web.Response:
    def allowed() -> web.Response | Sealed:
        p.same_site(request)
        sealed = p.message_of(request)
        if (refusal := p.refused(request, sealed)) is not None:
            return refusal
        if len([r for r in p.store.replies() if r["id"] == sealed.id]) >= MAX_REPLIES:
            return refuse(access.Refusal(429, "This message has as many replies waiting as it can hold."))
        return sealed

    sealed = await p.run(allowed)  # before the body: a refused reply is not read
    if isinstance(sealed, web.Response):
        return sealed
    reply_id = request.match_info.get("reply") or ""
    if not ID.match(reply_id):
        return refuse(access.Refusal(400, "bad reply id"))
    data = await request.read()
    if not 29 <= len(data) <= MAX_REPLY:
        return refuse(
            access.Refusal(
                413 if len(data) > MAX_REPLY else 400,
                "The reply is over 35 MB; send large files another way."
                if len(data) > MAX_REPLY
                else "not a sealed reply",
            )
        )

    def keep() -> web.Response:
        p.store.put_reply(reply_id, sealed.id, data)
        p.store.event(sealed.id, "replied", f"{len(data)} bytes")
        return web.json_response({"reply": reply_id}, status=201)

    return await p.run(keep)


ROUTES = (
    ("GET", "/api/v1/messages/{id}/info", info),
    ("POST", "/api/v1/messages/{id}/code", code),
    ("POST", "/api/v1/messages/{id}/session", session),
    ("GET", "/api/v1/messages/{id}/blob", blob),
    ("POST", "/api/v1/messages/{id}/receipt", receipt),
    ("PUT", "/api/v1/messages/{id}/replies/{reply}", reply),
)
