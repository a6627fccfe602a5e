"""The local API (DESIGN.md "Local API"): loopback only, bearer token, Host and Origin checked.

Over 400 lines: the handlers of every resource (messages, keys, audit, settings, replies) sit
in one `create_app`; splitting them by concern, as portal/ does (context.py, recipient_api.py,
agent_api.py), is issue 21's work.

Why each check: the token stops other local users and processes; the Host check stops DNS
rebinding (a web page whose name resolves to 127.0.0.1 reaching us as a "same-origin" site);
the Origin check stops any web page the user visits from driving the API with their browser.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
import logging
import re
from typing import Any

from aiohttp import web

from agent import audit_evidence, client_json, failure, plain_words, replies, settings
from agent import config as config_mod
from agent import stamp as stamp_mod
from agent.bounces import NotADsn
from agent.ingress import accounts_api, compose
from agent.ingress.openapi import OPENAPI
from agent.intake import MAX_MESSAGE_BYTES, BadMessage, valid_address
from agent.intake import parse as parse_intake
from agent.keys.importer import import_any
from agent.keys.pgp_store import NeedsPassphrase, NotYourKey, PgpError, RevokedKey
from agent.keys.smime_store import SmimeError
from agent.outbox import StorageUnavailable
from agent.pipeline import (
    Blocked,
    MessageIdReused,
    NotAllowed,
    NothingToDo,
    Pipeline,
    UnknownMessage,
)
from agent.protect.portal import PortalUnavailable
from agent.webhooks import BadCallback

log = logging.getLogger(__name__)

PIPELINE = web.AppKey("pipeline", Pipeline)
TOKEN = web.AppKey("token", str)
HOSTS = web.AppKey("hosts", set)
ORIGINS = web.AppKey("origins", set)
STREAMS = web.AppKey("streams", set)
AUDIT_CACHE = web.AppKey("audit_cache", dict)
SMTP_PORT = web.AppKey("smtp_port", list)  # [port] once the SMTP submission listens
_OPEN_PATHS = {"/v1/health"}


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}, **extra}, status=status)


def internal_error(request: web.Request, exc: BaseException) -> web.Response:
    """Any failure nobody foresaw: a JSON 500, and one log line naming the route and where
    it failed, never the exception's text or a traceback (either may quote message content)."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "(no route)"
    log.error("%s %s failed: %s", request.method, route, failure.site(exc))
    return error(500, "internal_error", f"the agent could not handle {request.method} {route} "
                                        f"({type(exc).__name__}); nothing was stored; see the agent log")


@web.middleware
async def guard(request: web.Request, handler):
    app = request.app
    host = request.headers.get("Host", "")
    if host not in app[HOSTS]:
        return error(421, "bad_host", f"Host {host!r} is not this agent (DNS rebinding protection)")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in app[ORIGINS]:
        return error(403, "bad_origin", f"Origin {origin!r} is not allowed to use the agent")
    if request.path not in _OPEN_PATHS:
        supplied = request.headers.get("Authorization", "")
        expected = f"Bearer {app[TOKEN]}"
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            return error(401, "unauthorized", "missing or wrong bearer token (see $POSTSEAL_HOME/api-token)")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status == 413:
            return error(413, "too_large", f"message exceeds {MAX_MESSAGE_BYTES // (1024 * 1024)} MB")
        return error(exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason)
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into JSON
        return internal_error(request, exc)


async def read_json(request: web.Request, what: str) -> Any:
    """A client's JSON body, depth-bounded (client_json); 400 naming `what` otherwise."""
    try:
        return client_json.loads(await request.read(), what)
    except client_json.BadJson as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None


async def _rfc822(request: web.Request) -> bytes:
    if request.content_type != "message/rfc822":
        raise web.HTTPUnsupportedMediaType(text="send the message as Content-Type: message/rfc822")
    return await request.read()


async def health(request: web.Request) -> web.Response:
    # Where the keys are is no secret, and an admin's monitoring must see keys kept in files.
    pipeline = request.app[PIPELINE]
    # "ok": the agent answers. "problems": what in its set-up holds mail or IT should fix
    # (readiness.py); monitoring alerts on any problem whose "holds" is not "nothing".
    return web.json_response({"ok": True, "service": "postseal-agent",
                              "secrets": pipeline.secrets.to_json(),
                              "problems": [p.to_json() for p in pipeline.problems]})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


async def check(request: web.Request) -> web.Response:
    raw = await _rfc822(request)
    try:
        plan = await request.app[PIPELINE].check(raw)
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    return web.json_response({"plan": plan.to_json()})


async def submit(request: web.Request) -> web.Response:
    raw = await _rfc822(request)
    pipeline = request.app[PIPELINE]
    try:
        accepted = await pipeline.submit(raw, callback_url=request.query.get("callback_url", ""))
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    except BadCallback as exc:
        return error(400, "bad_callback", str(exc))
    except Blocked as exc:
        return error(422, "blocked", str(exc), plan=exc.plan.to_json())
    except StorageUnavailable as exc:
        return error(503, "storage_unavailable", str(exc))
    except MessageIdReused as exc:
        return error(409, "message_id_reused", str(exc), id=exc.ident)
    body = {"id": accepted.id, "state": str(accepted.state), "plan": accepted.plan.to_json(),
            "duplicate": accepted.duplicate}
    if accepted.callback_secret:
        body["callback_secret"] = accepted.callback_secret
    return web.json_response(body, status=202)


def _blocked(status: int, code: str, said: str, message: str) -> web.Response:
    """A compose answer that stops the send: every answer at this door carries a decision, so
    an add-in reading only `decision` still fails closed (addins/PROTOCOL.md)."""
    return web.json_response({"decision": "blocked", "message": said, "error": {"code": code, "message": message}},
                             status=status)


async def _draft(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise compose.BadDraft("send the draft as Content-Type: application/json (addins/PROTOCOL.md)", status=415)
    try:
        return client_json.loads(await request.read(), "the draft")
    except client_json.BadJson as exc:
        raise compose.BadDraft(str(exc)) from None


async def answer_draft(request: web.Request, pipeline: Pipeline, store: bool) -> web.Response:
    """POST /v1/compose and /v1/compose/check (also the add-in origin's /addin/v1/…)."""
    try:
        answer = await compose.decide(pipeline, await _draft(request), store=store)
    # `message` is what the sender reads (agent/plain_words.py: no field paths, folders or
    # Message-IDs); error.message keeps the technical text for IT and the log.
    except compose.BadDraft as exc:
        return _blocked(exc.status, "bad_draft", f"Postseal cannot check this draft: {plain_words.draft_problem(str(exc))}.",
                        str(exc))
    except StorageUnavailable as exc:
        return _blocked(503, "storage_unavailable", "Postseal cannot store new messages on this computer right now "
                        "(its disk is full or cannot be written), so this message was not sent. Tell your IT team.",
                        str(exc))
    except MessageIdReused as exc:
        return _blocked(409, "message_id_reused", "Postseal did not send this draft: another message already "
                        "carries its identifier. Copy the text into a new message and send that.", str(exc))
    return web.json_response(answer.to_json())


async def compose_send(request: web.Request) -> web.Response:
    return await answer_draft(request, request.app[PIPELINE], store=True)


async def compose_check(request: web.Request) -> web.Response:
    return await answer_draft(request, request.app[PIPELINE], store=False)


async def stamp_verify(request: web.Request) -> web.Response:
    """Check a message's X-Postseal-Verdict against its sender, subject and recipients."""
    raw = await _rfc822(request)
    pipeline = request.app[PIPELINE]
    try:
        message = await asyncio.to_thread(parse_intake, raw)
    except BadMessage as exc:
        return error(400, "bad_message", str(exc))
    envelope = [r for r in request.query.get("recipients", "").split(",") if r.strip()]
    try:
        checked = pipeline.stamper.verify(str(message.message.get(stamp_mod.HEADER, "")), message.sender,
                                          envelope or list(message.recipients),
                                          str(message.message.get("Subject", "")))
    except stamp_mod.BadStamp as exc:
        return web.json_response({"valid": False, "reason": str(exc)})
    return web.json_response({"valid": True, "verdict": checked.verdict, "issued": checked.issued,
                              "key_id": checked.key_id, "seen_before": checked.seen_before})


async def ingress_credentials(request: web.Request) -> web.Response:
    """What a desktop mail program's outgoing-server settings need (tray, `ingress credentials`)."""
    from agent.ingress import smtp as smtp_ingress

    pipeline = request.app[PIPELINE]
    port = request.app[SMTP_PORT][0]
    if not port:
        return error(404, "smtp_off", "the local SMTP submission is switched off (ingress.smtp_port = 0)")
    return web.json_response({"host": "127.0.0.1", "port": port, "security": "STARTTLS",
                              "username": smtp_ingress.USERNAME, "password": smtp_ingress.password(pipeline.home),
                              "ca_file": str(pipeline.home / "tls" / "local-ca.pem")})


async def stamp_key(request: web.Request) -> web.Response:
    stamper = request.app[PIPELINE].stamper
    return web.json_response({"key_id": stamper.key_id, "public_key_pem": stamper.public_pem()})


async def bounce(request: web.Request) -> web.Response:
    """A delivery status notification (RFC 3464) for a message the relay accepted earlier."""
    raw = await _rfc822(request)
    try:
        outcome = await request.app[PIPELINE].apply_bounce(raw)
    except NotADsn as exc:
        return error(400, "not_a_dsn", f"not a delivery status notification: {exc}")
    except UnknownMessage as exc:
        return error(404, "unknown_message", str(exc))
    return web.json_response({"id": outcome.message, "recipients": list(outcome.recipients),
                              "unmatched": list(outcome.unmatched)})


async def message(request: web.Request) -> web.Response:
    row = request.app[PIPELINE].outbox.get(request.match_info["id"])
    if row is None:
        return error(404, "not_found", f"no message {request.match_info['id']!r} in the outbox")
    return web.json_response(row.to_json())


async def _act(request: web.Request, action) -> web.Response:
    """One person's action on one message: the common errors, once."""
    ident = request.match_info["id"]
    try:
        return await action(ident)
    except UnknownMessage as exc:
        return error(404, "not_found", str(exc))
    except NotAllowed as exc:
        return error(403, "managed", str(exc))
    except NothingToDo as exc:
        code = {"retry": "nothing_to_retry", "release": "not_held", "portal": "nothing_to_reroute",
                "revoke": "not_portal"}[request.path.rsplit("/", 1)[-1]]
        return error(409, code, str(exc))
    except PortalUnavailable as exc:
        return error(503, "portal_unavailable", str(exc))


async def retry(request: web.Request) -> web.Response:
    pipeline = request.app[PIPELINE]

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "retried": pipeline.retry_now(ident)}, status=202)
    return await _act(request, act)


async def release(request: web.Request) -> web.Response:
    pipeline = request.app[PIPELINE]
    try:
        body = client_json.loads(await request.read(), "the note") if request.can_read_body else {}
    except client_json.BadJson as exc:
        return error(400, "bad_request", f'{exc}; send the note as JSON: {{"note": "why it may go"}}')
    note = str(body.get("note", "")) if isinstance(body, dict) else ""

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "released": pipeline.release(ident, note)}, status=202)
    return await _act(request, act)


async def via_portal(request: web.Request) -> web.Response:
    pipeline = request.app[PIPELINE]

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "rerouted": pipeline.send_via_portal(ident)}, status=202)
    return await _act(request, act)


async def revoke(request: web.Request) -> web.Response:
    pipeline = request.app[PIPELINE]

    async def act(ident: str) -> web.Response:
        return web.json_response({"id": ident, "revoked": await pipeline.revoke(ident)})
    return await _act(request, act)


async def config_view(request: web.Request) -> web.Response:
    """The effective configuration and what managed policy locks (the tray's settings)."""
    config = request.app[PIPELINE].config
    values = {}
    for name in config_mod.SECTIONS:
        values[name] = {k: ("***" if (name, k) in config_mod.SECRETS and v else v)
                        for k, v in dataclasses.asdict(getattr(config, name)).items()}
    return web.json_response({"values": values, "locked": sorted(config.locked),
                              "source": str(request.app[PIPELINE].home / "config.toml"),
                              "pending": request.app[PIPELINE].pending_settings})


async def update_config(request: web.Request) -> web.Response:
    """Change relay and organization settings (live) or the portal address (after a restart)
    from the tray."""
    pipeline = request.app[PIPELINE]
    try:
        changes = client_json.loads(await request.read(), "the settings")
    except client_json.BadJson as exc:
        return error(400, "bad_request", f'{exc}; send JSON like {{"relay": {{"host": "smtp.clinic.example"}}}}')
    if not isinstance(changes, dict):
        return error(400, "bad_request", 'send JSON like {"relay": {"host": "smtp.clinic.example"}}')
    current = pipeline.config
    try:
        user = await asyncio.to_thread(settings.update_user_config, pipeline.home, changes, current.locked)
    except PermissionError as exc:
        return error(403, "managed", str(exc))
    except config_mod.ConfigError as exc:
        return error(400, "bad_config", str(exc))
    # Managed values still win: only what is not locked comes from the user's file. Relay and
    # organization take effect now; the portal address after a restart (the embedded portal).
    live = {name: dataclasses.replace(getattr(current, name), **{
        k: v for k, v in dataclasses.asdict(getattr(user, name)).items() if f"{name}.{k}" not in current.locked})
        for name in ("relay", "organization")}
    pipeline.reconfigure(dataclasses.replace(current, **live))
    restart = user.portal.url != current.portal.url and "portal.url" not in current.locked
    pipeline.pending_settings = {"portal.url": user.portal.url} if restart else {}
    return web.json_response({"restart_required": restart, "locked": sorted(current.locked)})


async def outbox(request: web.Request) -> web.Response:
    rows = request.app[PIPELINE].outbox.list()
    return web.json_response({"messages": [r.to_json() for r in rows]})


async def outbox_summary(request: web.Request) -> web.Response:
    """Recipients per state and whether the agent is waiting for the network (tray icon)."""
    pipeline = request.app[PIPELINE]
    return web.json_response({"counts": pipeline.outbox.counts(), "offline_since": pipeline.offline_since,
                              "audit_problem": pipeline.audit_problem})


def _audit_records(app: web.Application) -> list[dict[str, Any]]:
    """The log's records, re-read only when the file changed (the tray pages through 50,000)."""
    log_ = app[PIPELINE].audit
    try:
        stat = log_.path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
    except FileNotFoundError:
        return []
    cached = app[AUDIT_CACHE]
    if cached.get("stamp") != stamp:
        cached.update(stamp=stamp, records=log_.records())
    return cached["records"]


async def secure_replies(request: web.Request) -> web.Response:
    """The secure replies collected from the portal, newest first (the tray's Secure replies)."""
    known = replies.reply_ids(_audit_records(request.app))
    found = replies.listed(request.app[PIPELINE].outbox, known)
    return web.json_response({"replies": [r.summary() for r in found]})


async def secure_reply(request: web.Request) -> web.Response:
    """One secure reply with its text and attachments (base64): read here, never logged."""
    ident = request.match_info["id"]
    found = replies.read(request.app[PIPELINE].outbox, ident, replies.reply_ids(_audit_records(request.app)))
    if found is None:
        return error(404, "not_found", f"no secure reply {ident!r}")
    return web.json_response(found.to_json())


async def audit(request: web.Request) -> web.Response:
    """Records oldest first. Without offset: the last `limit` (the first version's meaning);
    with offset: a page of the list filtered by since/until/recipient/method/event."""
    query = request.query
    try:
        limit = max(1, min(10_000, int(query.get("limit", "1000"))))
        offset = int(query["offset"]) if "offset" in query else None
        since = float(query.get("since", "0") or 0)
        until = float(query.get("until", "inf") or "inf")
    except ValueError:
        return error(400, "bad_request", "offset, limit, since and until must be numbers")
    records = _audit_records(request.app)
    recipient, method, event = query.get("recipient", "").lower(), query.get("method", ""), query.get("event", "")
    if since or until != float("inf") or recipient or method or event:
        records = [r for r in records if since <= _when(r) <= until
                   and (not recipient or any(recipient in a.lower() for a in r.get("recipients", [])))
                   and (not method or _methods(r) & {method})
                   and (not event or r.get("event") == event)]
    page = records[-limit:] if offset is None else records[max(0, offset):max(0, offset) + limit]
    return web.json_response({"records": page, "total": len(records)})


def _when(record: dict[str, Any]) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(record["time"]).timestamp()
    except (KeyError, ValueError):
        return 0.0


def _methods(record: dict[str, Any]) -> set[str]:
    method = record.get("method")
    if isinstance(method, dict):
        return set(method.values())
    return {method} if method else set()


async def audit_verify(request: web.Request) -> web.Response:
    result = await asyncio.to_thread(request.app[PIPELINE].audit.verify)
    return web.json_response({"ok": result.ok, "records": result.records, "unsigned": result.unsigned,
                              "problem": result.problem})


async def audit_export(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "csv")
    if fmt not in ("csv", "json"):
        return error(400, "bad_request", "format must be csv or json")
    try:  # JSON is the signed export an auditor verifies away from the agent (agent/audit_evidence.py)
        text = await asyncio.to_thread(audit_evidence.export_text, request.app[PIPELINE].audit, fmt)
    except audit_evidence.NotIntact as exc:
        return error(409, "audit_not_intact", str(exc))
    return web.Response(text=text, content_type="text/csv" if fmt == "csv" else "application/json")


async def keys(request: web.Request) -> web.Response:
    pipeline = request.app[PIPELINE]
    listed = await asyncio.to_thread(pipeline.pgp.list_keys)
    certs = await asyncio.to_thread(pipeline.smime.list)
    return web.json_response({"keys": [{"type": "pgp", **k.to_json()} for k in listed] + [c.to_json() for c in certs]})


async def delete_key(request: web.Request) -> web.Response:
    store = request.app[PIPELINE].pgp
    fingerprint = request.match_info["fingerprint"].upper()
    if len(fingerprint) == 64:  # SHA-256: an S/MIME certificate
        if not await asyncio.to_thread(request.app[PIPELINE].smime.delete, fingerprint):
            return error(404, "not_found", f"no certificate {fingerprint[:16]}…")
        return web.json_response({"deleted": fingerprint})
    try:
        await asyncio.to_thread(store.delete_public, fingerprint)
    except PgpError as exc:
        status, code = (409, "own_key") if "secret key" in str(exc) else (404, "not_found")
        return error(status, code, str(exc))
    return web.json_response({"deleted": fingerprint})


async def renew_key(request: web.Request) -> web.Response:
    """Two more years for the user's own OpenPGP key (its subkeys too), from today."""
    fingerprint = request.match_info["fingerprint"].upper()
    try:
        expires = await asyncio.to_thread(request.app[PIPELINE].pgp.renew, fingerprint)
    except NotYourKey as exc:
        return error(404, "not_found", str(exc))
    except RevokedKey as exc:
        return error(409, "revoked", str(exc))
    except PgpError as exc:
        return error(500, "gpg_failed", str(exc))
    return web.json_response({"fingerprint": fingerprint, "expires": expires})


async def generate_key(request: web.Request) -> web.Response:
    usage = 'send JSON {"email": "you@clinic.example", "name": "Your Name"}'
    try:
        body = client_json.loads(await request.read(), "the request")
        email, name = str(body["email"]), str(body.get("name", ""))
    except client_json.BadJson as exc:
        return error(400, "bad_request", f"{exc}; {usage}")
    except (KeyError, TypeError, AttributeError):
        return error(400, "bad_request", usage)
    if not valid_address(email):
        return error(400, "bad_request", f"email: {email!r} is not an e-mail address")
    # gpg reads the name from a parameter file, one setting a line: a line break would add settings.
    if not name.isprintable():
        return error(400, "bad_request", "name: must be one line of printable text")
    try:
        fingerprint = await asyncio.to_thread(request.app[PIPELINE].pgp.generate, email, name)
    except PgpError as exc:
        return error(500, "gpg_failed", str(exc))
    return web.json_response({"fingerprint": fingerprint}, status=201)


_FINGERPRINT = re.compile(r"(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})")


async def public_key(request: web.Request) -> web.Response:
    """`who` is an address or a fingerprint, nothing else: it reaches a gpg command line."""
    if not (_FINGERPRINT.fullmatch(request.match_info["who"]) or valid_address(request.match_info["who"])):
        return error(400, "bad_request", f"keys/{{who}}/public: {request.match_info['who'][:80]!r} is neither "
                                         "an e-mail address nor a key fingerprint (16, 40 or 64 hex digits)")
    who = request.match_info["who"].upper()
    if len(who) == 64:  # an S/MIME certificate's SHA-256 fingerprint: the certificate as PEM
        path = request.app[PIPELINE].smime.folder / "certs" / f"{who}.pem"
        if not all(c in "0123456789ABCDEF" for c in who) or not path.is_file():
            return error(404, "not_found", f"no certificate {who[:16]}…")
        return web.Response(text=path.read_text(), content_type="text/plain")
    try:
        armored = await asyncio.to_thread(request.app[PIPELINE].pgp.export_public, request.match_info["who"])
    except PgpError as exc:
        return error(404, "not_found", str(exc))
    return web.Response(text=armored, content_type="text/plain")


async def import_key(request: web.Request) -> web.Response:
    """An OpenPGP key, an X.509 certificate, a PKCS#12 identity (password in
    X-Postseal-Password), or a received signed message to harvest certificates from."""
    data = await request.read()
    pipeline = request.app[PIPELINE]
    password = request.headers.get("X-Postseal-Password")
    try:
        result = await asyncio.to_thread(import_any, data, pipeline.pgp, pipeline.smime,
                                         password.encode() if password is not None else None)
    except NeedsPassphrase as exc:  # the tray asks for it and sends the key again
        return error(400, "needs_passphrase", str(exc))
    except (PgpError, SmimeError) as exc:
        return error(400, "bad_key", str(exc))
    return web.json_response({"imported": list(result.fingerprints), "kind": result.kind}, status=201)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `message` event per state change, for the tray app."""
    queue: asyncio.Queue[dict | None] = asyncio.Queue(maxsize=1000)
    unsubscribe = request.app[PIPELINE].subscribe(
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


async def _end_streams(app: web.Application) -> None:
    for queue in list(app[STREAMS]):
        queue.put_nowait(None)


def create_app(pipeline: Pipeline, token: str, origins: set[str]) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=MAX_MESSAGE_BYTES + 1)
    app[PIPELINE] = pipeline
    app[TOKEN] = token
    app[HOSTS] = set()  # filled in once the port is known (see allow_port)
    app[ORIGINS] = set(origins)
    app[STREAMS] = set()
    app[AUDIT_CACHE] = {}
    app[SMTP_PORT] = [0]
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/v1/health", health)
    app.router.add_get("/v1/openapi.json", openapi)
    app.router.add_post("/v1/check", check)
    app.router.add_post("/v1/messages", submit)
    app.router.add_get("/v1/messages/{id}", message)
    app.router.add_post("/v1/messages/{id}/retry", retry)
    app.router.add_post("/v1/messages/{id}/release", release)
    app.router.add_post("/v1/messages/{id}/portal", via_portal)
    app.router.add_post("/v1/messages/{id}/revoke", revoke)
    app.router.add_get("/v1/config", config_view)
    app.router.add_patch("/v1/config", update_config)
    app.router.add_get("/v1/audit/verify", audit_verify)
    app.router.add_get("/v1/audit/export", audit_export)
    app.router.add_post("/v1/keys/generate", generate_key)
    app.router.add_post("/v1/keys/{fingerprint}/renew", renew_key)
    app.router.add_get("/v1/keys/{who}/public", public_key)
    app.router.add_delete("/v1/keys/{fingerprint}", delete_key)
    app.router.add_post("/v1/bounces", bounce)
    app.router.add_post("/v1/compose", compose_send)
    app.router.add_post("/v1/compose/check", compose_check)
    app.router.add_post("/v1/stamps/verify", stamp_verify)
    app.router.add_get("/v1/stamps/key", stamp_key)
    app.router.add_get("/v1/ingress/credentials", ingress_credentials)
    app.router.add_get("/v1/outbox", outbox)
    app.router.add_get("/v1/outbox/summary", outbox_summary)
    app.router.add_get("/v1/audit", audit)
    app.router.add_get("/v1/replies", secure_replies)
    app.router.add_get("/v1/replies/{id}", secure_reply)
    app.router.add_get("/v1/keys", keys)
    app.router.add_post("/v1/keys", import_key)
    app.router.add_get("/v1/events", events)
    accounts_api.add_routes(app)
    return app


def allow_port(app: web.Application, port: int) -> None:
    """Accept exactly the loopback names of the port we listen on."""
    app[HOSTS].update({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})
    app[ORIGINS].update({f"http://127.0.0.1:{port}", f"http://localhost:{port}"})
