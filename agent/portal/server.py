"""The recipient portal: stores sealed messages and serves the page that opens them.

Zero knowledge by construction: the agent uploads `nonce || ciphertext` under a random id;
the key is in the link's fragment, which browsers never send. The server holds ciphertext,
expiry and verification state (store.py), and serves the ciphertext only to a session that
proved it reads the recipient's mailbox (access.py). Replies come back sealed under the same
key; the agent collects them with the events (opened, downloads, lockouts) through /api/v1/sync.

Routes for the recipient's browser: GET /m/{id} (the page), GET /api/v1/messages/{id}/info,
POST …/code (mail me a code), POST …/session (the code or passcode → a session cookie),
GET …/blob, POST …/receipt (an attachment was saved), POST …/replies; GET /api/v1/branding,
/static/brand.css and /static/logo (branding.py). GET /metrics for monitoring (metrics.py).
Every answer that is not a success is JSON {"error": …} (errors.py).
Routes for the agent (its own bearer credential, issued at enrolment: enrolment.py):
POST /api/v1/enroll (an enrolment code → a credential), PUT/DELETE /api/v1/messages/{id},
GET /api/v1/sync, GET/DELETE /api/v1/replies/{reply}, POST /api/v1/messages/{id}/warned,
POST /api/v1/messages/{id}/claim (a message uploaded before enrolment).
An agent sees and acts only on its own messages: another agent's message is "not found"
(404, the same answer as a message that does not exist), never "forbidden".
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from importlib import resources

from aiohttp import web

from agent import client_json, failure
from agent.portal import access, enrolment, errors, health, metrics, proxy, settings
from agent.portal.branding import DEFAULT as DEFAULT_BRANDING
from agent.portal.branding import Branding
from agent.portal.interface import PortalStore, Sealed, digest

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


METRICS = web.AppKey("metrics", object)  # the app's PortalMetrics, or None without prometheus_client


def create_app(store: PortalStore, token: str, mailer: Mailer | None = None,
               limiter: access.RateLimiter | None = None, *, public_url: str | None = None,
               allowed_hosts: Iterable[str] | None = None, trusted_proxies: tuple[proxy.Network, ...] = (),
               checks: dict[str, health.Check] | None = None, branding: Branding | None = None,
               metrics_allow: Iterable[str] = metrics.DEFAULT_ALLOW, purge_on_sync: bool = True) -> web.Application:
    """The portal app. Keyword-only settings (portal.toml, or the agent for its embedded portal):
    `public_url`: scheme://host[:port] recipients use; the Origin check compares with it and an
    https one makes the session cookie Secure whatever the hop to this process was.
    `allowed_hosts`: the Host names answered (None: any — only for tests and the old flags).
    `trusted_proxies`: peers whose X-Forwarded-For/-Proto count (proxy.py).
    `checks`: what /readyz runs (default: the store's database and blob store).
    `branding`: the clinic's name, logo, colours and contact (branding.py; neutral when None).
    `metrics_allow`: the networks that may read /metrics directly (metrics.py).
    `purge_on_sync`: a sync that finds a new expiry deletes expired ciphertext (the embedded
    portal); False where the sweeper deletes it after its grace period (serve.py)."""
    limiter = limiter or access.RateLimiter()
    public_origin = settings.origin_of(public_url) if public_url else None
    secure_cookie = bool(public_origin and public_origin.startswith("https://"))
    branding = branding or DEFAULT_BRANDING
    allowed = metrics.networks(metrics_allow)
    counters = metrics.PortalMetrics() if metrics.prometheus_client is not None else None
    # `token`: the credential of this portal's local agent (the embedded portal's own agent, or
    # a standalone portal's pre-enrolment token file), adopted as an enrolled agent; "" for none.
    enrolment.adopt(store, token)
    if checks is None:
        checks = health.store_checks(store)  # the store itself: a readiness probe is not a store call to time
    if counters is not None:
        store = counters.timed(store)  # type: ignore[assignment] - the same interface, timed

    @web.middleware
    async def observe(request: web.Request, handler):
        # Outermost: counts every answer, the JSON errors made below included.
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # only redirects get here (errors became JSON below)
            if counters is not None:
                counters.observe(request, exc.status)
            raise
        if counters is not None:
            counters.observe(request, response.status)
        return response

    @web.middleware
    async def headers(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                exc.headers.update(_SECURITY_HEADERS)
                raise
            # aiohttp's own 404/405/413 and every handler's HTTPException: JSON like the rest.
            response = errors.as_json(exc)
        except Exception as exc:  # noqa: BLE001 - a recipient's browser never sees a traceback
            # Only the type and where: the request may carry a code, a reply or a name.
            log.error("portal: %s %s failed: %s", request.method, request.match_info.route.resource.canonical
                      if request.match_info.route.resource else "(no route)", failure.site(exc))
            response = _refuse(access.Refusal(500, "The portal could not answer this request. Try again later."))
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)  # the logo's stricter policy stays (logo())
        return response

    # Outermost first: every answer is counted; the client's address and scheme are settled
    # before anything reads them, and a refused Host still gets the security headers.
    middlewares = [observe, proxy.forwarded(tuple(trusted_proxies)), headers]
    if allowed_hosts is not None:
        middlewares.append(proxy.allowed_hosts(allowed_hosts))
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BLOB)
    app[METRICS] = counters

    def agent_only(request: web.Request) -> str:
        """The enrolled agent making this request (401 JSON for an unknown or revoked credential).
        The credential is looked up by its digest: no comparison of secrets to time."""
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        agent = store.agent_of(digest(supplied)) if 0 < len(supplied) <= 512 else None
        if agent is None:
            raise web.HTTPUnauthorized(text="This agent is not enrolled with the portal, or its credential "
                                            "was revoked: run `postseal portal enroll`.")
        return agent

    def own_message(request: web.Request, agent: str) -> Sealed:
        """The agent's own message; another agent's is as unknown as one that does not exist."""
        sealed = message_of(request)
        if sealed.agent != agent:
            raise web.HTTPNotFound(text="No such message.")
        return sealed

    def own_reply(request: web.Request, agent: str) -> str:
        reply_id = request.match_info["reply"]
        if not _ID.match(reply_id) or reply_id not in {r["reply"] for r in store.replies(agent)}:
            raise web.HTTPNotFound(text="no such reply")
        return reply_id

    def message_of(request: web.Request) -> Sealed:
        ident = request.match_info["id"]
        sealed = store.get(ident) if _ID.match(ident) else None
        if sealed is None:
            raise web.HTTPNotFound(text="No such message.")
        return sealed

    def same_site(request: web.Request) -> None:
        # Cookie requests must come from the portal's own page (SameSite=Strict does the rest).
        # Behind a proxy request.scheme/host are the proxy's hop, not what the browser used:
        # the public URL is the truth when it is known.
        origin = request.headers.get("Origin")
        if origin is not None and origin != (public_origin or f"{request.scheme}://{request.host}"):
            raise web.HTTPForbidden(text="requests from other sites are refused")

    def limited(which: str, refusal: access.Refusal) -> web.Response:
        if counters is not None:
            counters.rate_limited.labels(which).inc()
        return _refuse(refusal)

    def throttle(request: web.Request) -> web.Response | None:
        wait = limiter.allow(store, request.remote or "?")
        if wait:
            return limited("client", access.Refusal(
                429, "Too many attempts from your network. Wait a minute, then try again.", wait))
        return None

    def session_ok(request: web.Request, sealed: Sealed) -> bool:
        return store.session_valid(request.cookies.get(COOKIE, ""), sealed.id)

    # --- the recipient's browser ---------------------------------------------------------------
    async def page(request: web.Request) -> web.Response:
        if not _ID.match(request.match_info["id"]):
            raise web.HTTPNotFound(text="No such message.")
        return web.Response(body=_static("portal.html"), content_type="text/html")

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        types = {"portal.js": "text/javascript", "portal.css": "text/css"}
        if name == "brand.css":
            return web.Response(text=branding.css(), content_type="text/css")
        if name == "logo":
            return logo()
        if name not in types:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=types[name])

    def logo() -> web.Response:
        if branding.logo is None:
            raise web.HTTPNotFound(text="This portal has no logo.")
        # An SVG opened on its own is a document: sandboxed, it runs nothing in the portal's origin.
        return web.Response(body=branding.logo.data, content_type=branding.logo.content_type, headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"})

    async def brand(request: web.Request) -> web.Response:
        return web.json_response(branding.public())

    async def metrics_page(request: web.Request) -> web.Response:
        if not metrics.direct_from(request, allowed):
            raise web.HTTPNotFound()  # the same answer as for a page that does not exist
        if counters is None:
            return _refuse(access.Refusal(503, "metrics need prometheus_client: pip install 'postseal[portal-server]'"))
        body, kind = counters.exposition()
        return web.Response(body=body, headers={"Content-Type": kind})

    async def info(request: web.Request) -> web.Response:
        sealed = message_of(request)
        refusal = access.unavailable(sealed) or access.locked(sealed)
        state = {404: "unknown", 410: "gone", 423: "locked"}.get(refusal.status, "ok") if refusal else "ok"
        return web.json_response({"state": state, "message": refusal.message if refusal else "",
                                  "expires": sealed.expires, "verify": "passcode" if sealed.passcode else "code",
                                  "recipient": access.hint(sealed.recipient), "verified": session_ok(request, sealed)})

    async def code(request: web.Request) -> web.Response:
        same_site(request)
        if (refusal := throttle(request)) is not None:
            return refusal
        sealed = message_of(request)
        if sealed.passcode:
            return _refuse(access.Refusal(400, "This message opens with the passcode the sender gave you."))
        result = access.new_code(store, sealed)
        if isinstance(result, access.Refusal):
            return _refuse(result)
        if mailer is None:
            return _refuse(access.Refusal(503, "This portal cannot send codes right now. Try again later."))
        try:
            await asyncio.to_thread(mailer, sealed, result)
        except MailerError as exc:
            log.warning("portal: code for %s not mailed: %s", sealed.id, exc)
            return _refuse(access.Refusal(503, "The code could not be sent just now. Try again in a few minutes."))
        store.event(sealed.id, "code_sent")
        return web.json_response({"sent_to": access.hint(sealed.recipient), "valid_minutes": 10}, status=202)

    async def session(request: web.Request) -> web.Response:
        same_site(request)
        if (refusal := throttle(request)) is not None:
            return refusal
        sealed = message_of(request)
        try:
            if (request.content_length or 0) > 4096:
                raise client_json.BadJson("too long")
            body = client_json.loads(await request.read(), "the code")
        except client_json.BadJson:
            return _refuse(access.Refusal(400, 'expected JSON {"code": "123456"} of at most 4 KB'))
        answer = str(body.get("code") or body.get("passcode") or "")[:200] if isinstance(body, dict) else ""
        result = access.check(store, sealed, answer)
        if isinstance(result, access.Refusal):
            return _refuse(result)
        response = web.json_response({"verified": True})
        response.set_cookie(COOKIE, result, max_age=int(access.SESSION_LIFETIME), path=f"/api/v1/messages/{sealed.id}/",
                            httponly=True, samesite="Strict", secure=secure_cookie or request.secure)
        return response

    def refused(request: web.Request, sealed: Sealed) -> web.Response | None:
        """Why this request may not read or answer the message now, or None."""
        refusal = access.unavailable(sealed)
        if refusal:
            return _refuse(refusal)
        if not session_ok(request, sealed):
            return _refuse(access.Refusal(401, "Prove it is you first: enter the code sent to your e-mail."))
        return None

    async def blob(request: web.Request) -> web.Response:
        sealed = message_of(request)
        if (refusal := refused(request, sealed)) is not None:
            return refusal
        data = store.blob(sealed.id)
        if data is None:
            return _refuse(access.Refusal(410, "This message is no longer available."))
        if sealed.opened is None:
            store.update(sealed.id, opened=time.time())
            store.event(sealed.id, "opened")
        return web.Response(body=data, content_type="application/octet-stream")

    async def receipt(request: web.Request) -> web.Response:
        same_site(request)
        sealed = message_of(request)
        if not session_ok(request, sealed):
            return _refuse(access.Refusal(401, "Prove it is you first: enter the code sent to your e-mail."))
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
        # Each receipt is a record in the agent's audit log: one per attachment per session,
        # and a bounded number a minute per message and per client (access.RateLimiter).
        recorded = limiter.receipt(store, request.remote or "?", sealed.id, request.cookies.get(COOKIE, ""), index)
        if isinstance(recorded, access.Refusal):
            return limited("receipt", recorded)
        if recorded:
            store.event(sealed.id, "downloaded", f"attachment {index + 1}")
        return web.Response(status=204)

    async def reply(request: web.Request) -> web.Response:
        same_site(request)
        sealed = message_of(request)
        if (refusal := refused(request, sealed)) is not None:
            return refusal
        if len([r for r in store.replies() if r["id"] == sealed.id]) >= MAX_REPLIES:
            return _refuse(access.Refusal(429, "This message has as many replies waiting as it can hold."))
        reply_id = request.match_info.get("reply") or ""
        if not _ID.match(reply_id):
            return _refuse(access.Refusal(400, "bad reply id"))
        data = await request.read()
        if not 29 <= len(data) <= MAX_REPLY:
            return _refuse(access.Refusal(413 if len(data) > MAX_REPLY else 400,
                                          "The reply is over 35 MB; send large files another way."
                                          if len(data) > MAX_REPLY else "not a sealed reply"))
        store.put_reply(reply_id, sealed.id, data)
        store.event(sealed.id, "replied", f"{len(data)} bytes")
        return web.json_response({"reply": reply_id}, status=201)

    # --- the agent ------------------------------------------------------------------------------
    async def enroll(request: web.Request) -> web.Response:
        # Not under the recipients' per-client limit: a clinic's whole fleet enrols from one
        # address in minutes, and a code is 144 random bits, so guessing gains nothing.
        try:
            if (request.content_length or 0) > 4096:
                raise client_json.BadJson("too long")
            body = client_json.loads(await request.read(), "the enrolment")
        except client_json.BadJson:
            body = None
        if not isinstance(body, dict):
            return _refuse(access.Refusal(400, 'expected JSON {"code": "…", "name": "…"} of at most 4 KB'))
        enrolled = enrolment.enrol(store, str(body.get("code") or ""), str(body.get("name") or ""))
        if enrolled is None:
            return _refuse(access.Refusal(403, "This enrolment code is unknown, used up or expired: ask the "
                                               "portal's administrator for a new one."))
        log.info("portal: agent %s enrolled", enrolled.agent)
        return web.json_response({"agent": enrolled.agent, "credential": enrolled.credential}, status=201)

    async def upload(request: web.Request) -> web.Response:
        agent = agent_only(request)
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
        sender = request.headers.get("X-Postseal-Sender", "")
        if not store.put(ident, data, sender, recipient, expires,
                         access.normalise(request.headers.get("X-Postseal-Passcode", "")) or None, agent=agent):
            return again(store.get(ident), agent, data, (sender, recipient))
        log.info("portal: stored sealed message %s (%d bytes)", ident, len(data))
        return web.json_response({"id": ident, "expires": expires}, status=201)

    def again(sealed: Sealed | None, agent: str, data: bytes, parties: tuple[str, str]) -> web.Response:
        """An upload under an id already taken. The same agent sending the same bytes for the
        same sender and recipient again is a retry whose first answer was lost: success (200),
        nothing written. Anything else, or another agent's id, is a conflict (409)."""
        if (sealed is None or sealed.agent != agent or sealed.revoked or sealed.expired()
                or sealed.size != len(data) or (sealed.sender, sealed.recipient) != parties):
            return _refuse(access.Refusal(409, "This message id is already used."))
        stored = store.blob(sealed.id)
        if stored is None:  # the first upload's bytes are still landing: ask again shortly
            return _refuse(access.Refusal(503, "This message is being stored; try again.", retry_after=1))
        if not hmac.compare_digest(stored, data):
            return _refuse(access.Refusal(409, "This message id is already used."))
        return web.json_response({"id": sealed.id, "expires": sealed.expires}, status=200)

    async def revoke(request: web.Request) -> web.Response:
        ident = own_message(request, agent_only(request)).id
        if not store.revoke(ident):
            raise web.HTTPNotFound(text="No such message.")
        store.event(ident, "revoked")
        log.info("portal: revoked %s", ident)
        return web.json_response({"revoked": ident})

    async def sync(request: web.Request) -> web.Response:
        agent = agent_only(request)
        try:
            since, within = int(request.query.get("since", "0")), float(request.query.get("warn_within", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="since and warn_within are numbers") from None
        # Each expiry becomes one event, once (note_expired marks and records it in one
        # transaction, however many agents and instances sync). The ciphertext of expired
        # messages is deleted when there is a new expiry, not on every sync of every agent,
        # and not at all where the sweeper deletes it after its grace period.
        if store.note_expired() and purge_on_sync:
            store.purge_expired()
        return web.json_response({
            "events": store.events_since(since, agent=agent), "replies": store.replies(agent),
            "expiring": [{"id": s.id, "sender": s.sender, "recipient": s.recipient, "expires": s.expires}
                         for s in (store.expiring(within, agent=agent) if within else [])]})

    async def claim(request: web.Request) -> web.Response:
        # An agent enrolled after uploading with the shared token of earlier releases takes its
        # earlier messages back, by ids only it and their recipients know (agent/portal_enrol.py);
        # another enrolled agent's message is "not found" like any other.
        agent = agent_only(request)
        ident = request.match_info["id"]
        if not _ID.match(ident) or not store.claim(ident, agent):
            raise web.HTTPNotFound(text="No such message.")
        return web.Response(status=204)

    async def warned(request: web.Request) -> web.Response:
        store.update(own_message(request, agent_only(request)).id, warned=time.time())
        return web.Response(status=204)

    async def reply_blob(request: web.Request) -> web.Response:
        data = store.reply_blob(own_reply(request, agent_only(request)))
        if data is None:
            raise web.HTTPNotFound(text="no such reply")
        return web.Response(body=data, content_type="application/octet-stream")

    async def drop_reply(request: web.Request) -> web.Response:
        if not store.drop_reply(own_reply(request, agent_only(request))):
            raise web.HTTPNotFound(text="no such reply")
        return web.Response(status=204)

    app.router.add_get("/m/{id}", page)
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/api/v1/messages/{id}/info", info)
    app.router.add_post("/api/v1/messages/{id}/code", code)
    app.router.add_post("/api/v1/messages/{id}/session", session)
    app.router.add_get("/api/v1/messages/{id}/blob", blob)
    app.router.add_post("/api/v1/messages/{id}/receipt", receipt)
    app.router.add_put("/api/v1/messages/{id}/replies/{reply}", reply)
    app.router.add_post("/api/v1/enroll", enroll)
    app.router.add_put("/api/v1/messages/{id}", upload)
    app.router.add_delete("/api/v1/messages/{id}", revoke)
    app.router.add_post("/api/v1/messages/{id}/warned", warned)
    app.router.add_post("/api/v1/messages/{id}/claim", claim)
    app.router.add_get("/api/v1/sync", sync)
    app.router.add_get("/api/v1/replies/{reply}/blob", reply_blob)
    app.router.add_delete("/api/v1/replies/{reply}", drop_reply)
    health.add_routes(app, checks)
    app.router.add_get("/api/v1/branding", brand)
    app.router.add_get("/metrics", metrics_page)
    return app


def new_reply_id() -> str:
    return secrets.token_urlsafe(16)
