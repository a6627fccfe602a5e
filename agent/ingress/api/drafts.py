"""The local API's doors for mail programs: a compose draft decided (and sent, or stamped for
the program to send itself), a stamp verified, and what a desktop mail program's
outgoing-server settings need."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from agent import client_json, plain_words
from agent import stamp as stamp_mod
from agent.ingress import compose, envelope
from agent.ingress.api.door import AGENT, SMTP_PORT, internal_failure, rfc822
from agent.ingress.envelope import error
from agent.intake import BadMessage
from agent.intake import parse as parse_intake
from agent.outbox import StorageUnavailable
from agent.service.agent import Agent
from agent.service.errors import MessageIdReused


async def _draft(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise compose.BadDraft("send the draft as Content-Type: application/json (addins/PROTOCOL.md)", status=415)
    try:
        return client_json.loads(await request.read(), "the draft")
    except client_json.BadJson as exc:
        raise compose.BadDraft(str(exc)) from None


async def answer_draft(request: web.Request, agent: Agent, store: bool) -> web.Response:
    """POST /v1/compose and /v1/compose/check (also the add-in origin's /addin/v1/…)."""
    try:
        answer = await compose.decide(agent, await _draft(request), store=store)
    # `message` is what the sender reads (agent/plain_words.py: no field paths, folders or
    # Message-IDs); error.message keeps the technical text for IT and the log.
    except compose.BadDraft as exc:
        return envelope.blocked(
            exc.status,
            "bad_draft",
            f"Postseal cannot check this draft: {plain_words.draft_problem(str(exc))}.",
            str(exc),
        )
    except StorageUnavailable as exc:
        return envelope.blocked(
            503,
            "storage_unavailable",
            "Postseal cannot store new messages on this computer right now "
            "(its disk is full or cannot be written), so this message was not sent. Tell your IT team.",
            str(exc),
        )
    except MessageIdReused as exc:
        return envelope.blocked(
            409,
            "message_id_reused",
            "Postseal did not send this draft: another message already "
            "carries its identifier. Copy the text into a new message and send that.",
            str(exc),
        )
    except Exception as exc:  # noqa: BLE001 - a surprise still answers with a decision: fail closed
        return envelope.blocked(
            500,
            "internal_error",
            "Postseal could not check this message, so it was not sent. "
            "Press Send again; if it keeps happening, tell your IT team.",
            internal_failure(request, exc),
        )
    return web.json_response(answer.to_json())


async def compose_send(request: web.Request) -> web.Response:
    return await answer_draft(request, request.app[AGENT], store=True)


async def compose_check(request: web.Request) -> web.Response:
    return await answer_draft(request, request.app[AGENT], store=False)


async def stamp_verify(request: web.Request) -> web.Response:
    """Check a message's X-Postseal-Verdict against its sender, subject and recipients."""
    raw = await rfc822(request)
    agent = request.app[AGENT]
    try:
        message = await asyncio.to_thread(parse_intake, raw)
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    envelope = [r for r in request.query.get("recipients", "").split(",") if r.strip()]
    try:
        checked = agent.verify_stamp(
            str(message.message.get(stamp_mod.HEADER, "")),
            message.sender,
            envelope or list(message.recipients),
            str(message.message.get("Subject", "")),
        )
    except stamp_mod.BadStamp as exc:
        return web.json_response({"valid": False, "reason": str(exc)})
    return web.json_response(
        {
            "valid": True,
            "verdict": checked.verdict,
            "issued": checked.issued,
            "key_id": checked.key_id,
            "seen_before": checked.seen_before,
        }
    )


async def stamp_key(request: web.Request) -> web.Response:
    key_id, pem = request.app[AGENT].stamp_key()
    return web.json_response({"key_id": key_id, "public_key_pem": pem})


async def ingress_credentials(request: web.Request) -> web.Response:
    """What a desktop mail program's outgoing-server settings need (tray, `ingress credentials`)."""
    from agent.ingress import smtp as smtp_ingress

    agent = request.app[AGENT]
    port = request.app[SMTP_PORT][0]
    if not port:
        return error(404, "smtp_off", "the local SMTP submission is switched off (ingress.smtp_port = 0)")
    return web.json_response(
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "STARTTLS",
            "username": smtp_ingress.USERNAME,
            "password": smtp_ingress.password(agent.home),
            "ca_file": str(agent.home / "tls" / "local-ca.pem"),
        }
    )
