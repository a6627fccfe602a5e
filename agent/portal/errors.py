"""Every answer of the portal that is not a success is JSON: `{"error": "one line"}` with
`application/json`, whoever made it — a handler's refusal, an `HTTPException` raised with a
plain text, or aiohttp's own answers (no such route 404, wrong method 405, body over
client_max_size 413). The page (portal.js) and the agent read one shape; a browser never
renders a portal error as a page of its own.

Left as they are: answers aiohttp's HTTP parser gives before any handler runs (a request
line that is not HTTP at all gets a plain 400 and the connection is closed), and redirects.
"""

from __future__ import annotations

import json

from aiohttp import web

# aiohttp's own answers carry "404: Not Found" and the like: said here as a person would.
_PLAIN = {
    400: "The request could not be read.",
    401: "Authorization is required.",
    403: "This request is refused.",
    404: "No such page or message. Check that the link is complete.",
    405: "This address does not take that kind of request.",
    413: "The request is too large.",
    429: "Too many requests. Wait a minute, then try again.",
    500: "The portal could not answer this request. Try again later.",
}
# Headers an exception carries that still mean something on the JSON answer.
_KEPT = ("Retry-After", "Allow", "WWW-Authenticate")


def message_of(exc: web.HTTPException) -> str:
    """The one line to show: the handler's own text, else a plain sentence for the status."""
    text = (exc.text or "").strip()
    if exc.content_type == "application/json":
        try:
            given = json.loads(text)
        except ValueError:
            given = None
        if isinstance(given, dict) and isinstance(given.get("error"), str):
            return given["error"]
    if not text or text == f"{exc.status}: {exc.reason}":
        return _PLAIN.get(exc.status, exc.reason or "The request failed.")
    return text


def as_json(exc: web.HTTPException) -> web.Response:
    """The JSON answer for an HTTPException of status 400 or more (redirects stay exceptions)."""
    headers = {name: exc.headers[name] for name in _KEPT if name in exc.headers}
    return web.json_response({"error": message_of(exc)}, status=exc.status, reason=exc.reason, headers=headers)
