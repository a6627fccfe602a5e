"""The one JSON error envelope of the agent's local doors (the local API, its account routes,
the add-in origin, the native host): `{"error": {"code", "message"}}`, a stable `code` a
program can branch on and a `message` a person can read. An answer to a compose door also
carries `"decision": "blocked"` and the sender's `message` (addins/PROTOCOL.md), so an add-in
reading only `decision` still fails closed. The portal, a public server, answers in its own
shape (agent/portal/errors.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web


def body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}, **extra}


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    from aiohttp import web  # here, not above: the native host uses body() alone, and starts fast

    return web.json_response(body(code, message, **extra), status=status)


def blocked(status: int, code: str, said: str, message: str) -> web.Response:
    """A compose door's refusal: `said` is what the sender reads, `message` the technical why."""
    from aiohttp import web

    return web.json_response({"decision": "blocked", "message": said, **body(code, message)}, status=status)
