"""The local API's history: the audit log (paged and filtered for the tray, verified,
exported for an auditor) and the secure replies collected from the portal."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from agent import audit_evidence, replies
from agent.ingress.api.door import AGENT, AUDIT_CACHE
from agent.ingress.envelope import error


def _audit_records(app: web.Application) -> list[dict[str, Any]]:
    """The log's records, re-read only when the file changed (the tray pages through 50,000)."""
    log_ = app[AGENT].audit
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
    found = replies.listed(request.app[AGENT].outbox, known)
    return web.json_response({"replies": [r.summary() for r in found]})


async def secure_reply(request: web.Request) -> web.Response:
    """One secure reply with its text and attachments (base64): read here, never logged."""
    ident = request.match_info["id"]
    found = replies.read(request.app[AGENT].outbox, ident, replies.reply_ids(_audit_records(request.app)))
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
    result = await asyncio.to_thread(request.app[AGENT].audit.verify)
    return web.json_response({"ok": result.ok, "records": result.records, "unsigned": result.unsigned,
                              "problem": result.problem})


async def audit_export(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "csv")
    if fmt not in ("csv", "json"):
        return error(400, "bad_request", "format must be csv or json")
    try:  # JSON is the signed export an auditor verifies away from the agent (agent/audit_evidence.py)
        text = await asyncio.to_thread(audit_evidence.export_text, request.app[AGENT].audit, fmt)
    except audit_evidence.NotIntact as exc:
        return error(409, "audit_not_intact", str(exc))
    return web.Response(text=text, content_type="text/csv" if fmt == "csv" else "application/json")
