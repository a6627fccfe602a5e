"""What every portal handler needs: the store, the limits, the settings, and the checks on a
request — which message it names, whether its session opens it, whether it came from the
portal's own page, which enrolled agent sent it.

The store is synchronous (sqlite3, psycopg, botocore, files), so handlers do their store work
in plain functions that `Portal.run` hands, whole, to the store's threads (offload.py): one
hand-over per request (two where the row must be read before the body, as a code check
does), not one per store call. While a call waits on the database or object storage, the
event loop goes on serving other recipients. Everything here is called on those threads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from agent.portal import access
from agent.portal.branding import Branding
from agent.portal.interface import PortalStore, Sealed, digest
from agent.portal.offload import Offload

T = TypeVar("T")

ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
COOKIE = "ps_session"

Mailer = Callable[[Sealed, str], None]  # (message, code): mails the code to its recipient; raises on failure


class MailerError(Exception):
    """The code could not be mailed now."""


def refuse(refusal: access.Refusal) -> web.Response:
    headers = {"Retry-After": str(int(refusal.retry_after) + 1)} if refusal.retry_after else {}
    return web.json_response({"error": refusal.message}, status=refusal.status, headers=headers)


@dataclass
class Portal:
    store: PortalStore
    off: Offload
    limiter: access.RateLimiter
    mailer: Mailer | None
    branding: Branding
    counters: Any  # metrics.PortalMetrics, or None without prometheus_client
    public_origin: str | None  # scheme://host[:port] recipients use, when known
    secure_cookie: bool
    purge_on_sync: bool

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """`fn(*args)` on the store's threads; an HTTPException it raises reaches the caller."""
        return await self.off(fn, *args)

    # --- which message, whose session ----------------------------------------------------------
    def message_of(self, request: web.Request) -> Sealed:
        ident = request.match_info["id"]
        sealed = self.store.get(ident) if ID.match(ident) else None
        if sealed is None:
            raise web.HTTPNotFound(text="No such message.")
        return sealed

    def session_ok(self, request: web.Request, sealed: Sealed) -> bool:
        return self.store.session_valid(request.cookies.get(COOKIE, ""), sealed.id)

    def refused(self, request: web.Request, sealed: Sealed) -> web.Response | None:
        """Why this request may not read or answer the message now, or None."""
        refusal = access.unavailable(sealed)
        if refusal:
            return refuse(refusal)
        if not self.session_ok(request, sealed):
            return refuse(access.Refusal(401, "Prove it is you first: enter the code sent to your e-mail."))
        return None

    def same_site(self, request: web.Request) -> None:
        # Cookie requests must come from the portal's own page (SameSite=Strict does the rest).
        # Behind a proxy request.scheme/host are the proxy's hop, not what the browser used:
        # the public URL is the truth when it is known.
        origin = request.headers.get("Origin")
        if origin is not None and origin != (self.public_origin or f"{request.scheme}://{request.host}"):
            raise web.HTTPForbidden(text="requests from other sites are refused")

    # --- limits ------------------------------------------------------------------------------
    def limited(self, which: str, refusal: access.Refusal) -> web.Response:
        if self.counters is not None:
            self.counters.rate_limited.labels(which).inc()
        return refuse(refusal)

    def throttle(self, request: web.Request) -> web.Response | None:
        wait = self.limiter.allow(self.store, request.remote or "?")
        if wait:
            return self.limited(
                "client",
                access.Refusal(429, "Too many attempts from your network. Wait a minute, then try again.", wait),
            )
        return None

    # --- agents ------------------------------------------------------------------------------
    def agent_only(self, request: web.Request) -> str:
        """The enrolled agent making this request (401 for an unknown or revoked credential).
        The credential is looked up by its digest: no comparison of secrets to time."""
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        agent = self.store.agent_of(digest(supplied)) if 0 < len(supplied) <= 512 else None
        if agent is None:
            raise web.HTTPUnauthorized(
                text="This agent is not enrolled with the portal, or its credential "
                "was revoked: run `postseal portal enroll`."
            )
        return agent

    def own_message(self, request: web.Request, agent: str) -> Sealed:
        """The agent's own message; another agent's is as unknown as one that does not exist."""
        sealed = self.message_of(request)
        if sealed.agent != agent:
            raise web.HTTPNotFound(text="No such message.")
        return sealed

    def own_reply(self, request: web.Request, agent: str) -> str:
        reply_id = request.match_info["reply"]
        if not ID.match(reply_id) or reply_id not in {r["reply"] for r in self.store.replies(agent)}:
            raise web.HTTPNotFound(text="no such reply")
        return reply_id


async def small_body(request: web.Request, limit: int = 4096) -> bytes | None:
    """The request's body when it is at most `limit` bytes (a code, a receipt, an enrolment),
    else None, unread."""
    if (request.content_length or 0) > limit:
        return None
    data = await request.read()
    return data if len(data) <= limit else None
