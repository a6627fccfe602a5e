"""The routes the agents use, each with its own bearer credential issued at enrolment
(enrolment.py): enrol, upload a sealed message (a retry of the same upload is success), revoke
it, sync the events, replies and expiry warnings of its own messages, fetch and drop replies,
claim a message uploaded before enrolment. An agent sees and acts only on its own messages:
another agent's is "not found" (404, the same answer as a message that does not exist).
"""

from __future__ import annotations

import hmac
import logging
import time

from aiohttp import web

from agent import client_json
from agent.portal import access, enrolment
from agent.portal.context import ID, Portal, refuse, small_body
from agent.portal.interface import Sealed

log = logging.getLogger(__name__)

SEALED_MINIMUM = 29  # nonce + tag + at least one byte


async def enroll(p: Portal, request: web.Request) -> web.Response:
    # Not under the recipients' per-client limit: a clinic's whole fleet enrols from one
    # address in minutes, and a code is 144 random bits, so guessing gains nothing.
    try:
        data = await small_body(request)
        body = client_json.loads(data, "the enrolment") if data is not None else None
    except client_json.BadJson:
        body = None
    if not isinstance(body, dict):
        return refuse(access.Refusal(400, 'expected JSON {"code": "…", "name": "…"} of at most 4 KB'))
    enrolled = await p.run(enrolment.enrol, p.store, str(body.get("code") or ""), str(body.get("name") or ""))
    if enrolled is None:
        return refuse(
            access.Refusal(
                403, "This enrolment code is unknown, used up or expired: ask the portal's administrator for a new one."
            )
        )
    log.info("portal: agent %s enrolled", enrolled.agent)
    return web.json_response({"agent": enrolled.agent, "credential": enrolled.credential}, status=201)


async def upload(p: Portal, request: web.Request) -> web.Response:
    agent = await p.run(p.agent_only, request)  # an unknown agent's bytes are never read
    ident = request.match_info["id"]
    if not ID.match(ident):
        raise web.HTTPBadRequest(text="bad message id")
    data = await request.read()
    if len(data) < SEALED_MINIMUM:
        raise web.HTTPBadRequest(text="not a sealed message")
    try:
        expires = float(request.headers.get("X-Postseal-Expires") or time.time() + 30 * 86400)
    except ValueError:
        raise web.HTTPBadRequest(text="X-Postseal-Expires must be a unix time") from None
    recipient = request.headers.get("X-Postseal-Recipient", "")
    if "@" not in recipient:
        raise web.HTTPBadRequest(text="X-Postseal-Recipient is required: codes are mailed to it")
    sender = request.headers.get("X-Postseal-Sender", "")
    passcode = access.normalise(request.headers.get("X-Postseal-Passcode", "")) or None

    def store() -> web.Response:
        if not p.store.put(ident, data, sender, recipient, expires, passcode, agent=agent):
            return again(p, p.store.get(ident), agent, data, (sender, recipient))
        log.info("portal: stored sealed message %s (%d bytes)", ident, len(data))
        return web.json_response({"id": ident, "expires": expires}, status=201)

    return await p.run(store)


def again(p: Portal, sealed: Sealed | None, agent: str, data: bytes, parties: tuple[str, str]) -> web.Response:
    """An upload under an id already taken. The same agent sending the same bytes for the
    same sender and recipient again is a retry whose first answer was lost: success (200),
    nothing written. Anything else, or another agent's id, is a conflict (409)."""
    if (
        sealed is None
        or sealed.agent != agent
        or sealed.revoked
        or sealed.expired()
        or sealed.size != len(data)
        or (sealed.sender, sealed.recipient) != parties
    ):
        return refuse(access.Refusal(409, "This message id is already used."))
    stored = p.store.blob(sealed.id)
    if stored is None:  # the first upload's bytes are still landing: ask again shortly
        return refuse(access.Refusal(503, "This message is being stored; try again.", retry_after=1))
    if not hmac.compare_digest(stored, data):
        return refuse(access.Refusal(409, "This message id is already used."))
    return web.json_response({"id": sealed.id, "expires": sealed.expires}, status=200)


async def revoke(p: Portal, request: web.Request) -> web.Response:
    def work() -> web.Response:
        ident = p.own_message(request, p.agent_only(request)).id
        if not p.store.revoke(ident):
            raise web.HTTPNotFound(text="No such message.")
        p.store.event(ident, "revoked")
        log.info("portal: revoked %s", ident)
        return web.json_response({"revoked": ident})

    return await p.run(work)


async def sync(p: Portal, request: web.Request) -> web.Response:
    def work() -> web.Response:
        agent = p.agent_only(request)
        try:
            since, within = int(request.query.get("since", "0")), float(request.query.get("warn_within", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="since and warn_within are numbers") from None
        # Each expiry becomes one event, once (note_expired marks and records it in one
        # transaction, however many agents and instances sync). The ciphertext of expired
        # messages is deleted when there is a new expiry, not on every sync of every agent,
        # and not at all where the sweeper deletes it after its grace period.
        if p.store.note_expired() and p.purge_on_sync:
            p.store.purge_expired()
        return web.json_response(
            {
                "events": p.store.events_since(since, agent=agent),
                "replies": p.store.replies(agent),
                "expiring": [
                    {"id": s.id, "sender": s.sender, "recipient": s.recipient, "expires": s.expires}
                    for s in (p.store.expiring(within, agent=agent) if within else [])
                ],
            }
        )

    return await p.run(work)


async def claim(p: Portal, request: web.Request) -> web.Response:
    # An agent enrolled after uploading with the shared token of earlier releases takes its
    # earlier messages back, by ids only it and their recipients know (agent/portal_enrol.py);
    # another enrolled agent's message is "not found" like any other.
    def work() -> web.Response:
        agent = p.agent_only(request)
        ident = request.match_info["id"]
        if not ID.match(ident) or not p.store.claim(ident, agent):
            raise web.HTTPNotFound(text="No such message.")
        return web.Response(status=204)

    return await p.run(work)


async def warned(p: Portal, request: web.Request) -> web.Response:
    def work() -> web.Response:
        p.store.update(p.own_message(request, p.agent_only(request)).id, warned=time.time())
        return web.Response(status=204)

    return await p.run(work)


async def reply_blob(p: Portal, request: web.Request) -> web.Response:
    def work() -> web.Response:
        data = p.store.reply_blob(p.own_reply(request, p.agent_only(request)))
        if data is None:
            raise web.HTTPNotFound(text="no such reply")
        return web.Response(body=data, content_type="application/octet-stream")

    return await p.run(work)


async def drop_reply(p: Portal, request: web.Request) -> web.Response:
    def work() -> web.Response:
        if not p.store.drop_reply(p.own_reply(request, p.agent_only(request))):
            raise web.HTTPNotFound(text="no such reply")
        return web.Response(status=204)

    return await p.run(work)


ROUTES = (
    ("POST", "/api/v1/enroll", enroll),
    ("PUT", "/api/v1/messages/{id}", upload),
    ("DELETE", "/api/v1/messages/{id}", revoke),
    ("POST", "/api/v1/messages/{id}/warned", warned),
    ("POST", "/api/v1/messages/{id}/claim", claim),
    ("GET", "/api/v1/sync", sync),
    ("GET", "/api/v1/replies/{reply}/blob", reply_blob),
    ("DELETE", "/api/v1/replies/{reply}", drop_reply),
)
