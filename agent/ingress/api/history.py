"""The local API's history: the audit log (paged and filtered for the tray, verified,
exported for an auditor) and the secure replies collected from the portal."""

from __future__ import annotations

import asyncio

from aiohttp import web

from agent import audit_evidence
from agent.ingress.api.door import AGENT
from agent.ingress.envelope import error
from agent.service.history import AuditFilter


async def secure_replies(request: web.Request) -> web.Response:
    """The secure replies collected from the portal, newest first (the tray's Secure replies)."""
    found = request.app[AGENT].secure_replies()
    return web.json_response({"replies": [r.summary() for r in found]})


async def secure_reply(request: web.Request) -> web.Response:
    """One secure reply with its text and attachments (base64): read here, never logged."""
    ident = request.match_info["id"]
    found = request.app[AGENT].secure_reply(ident)
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
    where = AuditFilter(since, until, query.get("recipient", ""), query.get("method", ""), query.get("event", ""))
    page = request.app[AGENT].audit_page(limit, offset, where)
    return web.json_response({"records": page.records, "total": page.total})


async def audit_verify(request: web.Request) -> web.Response:
    result = await asyncio.to_thread(request.app[AGENT].verify_audit)
    return web.json_response(
        {"ok": result.ok, "records": result.records, "unsigned": result.unsigned, "problem": result.problem}
    )


async def audit_export(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "csv")
    if fmt not in ("csv", "json"):
        return error(400, "bad_request", "format must be csv or json")
    try:  # JSON is the signed export an auditor verifies away from the agent (agent/audit_evidence.py)
        text = await asyncio.to_thread(request.app[AGENT].export_audit, fmt)
    except audit_evidence.NotIntact as exc:
        return error(409, "audit_not_intact", str(exc))
    return web.Response(text=text, content_type="text/csv" if fmt == "csv" else "application/json")
