"""The portal's logs: one JSON object per line (or plain text), without PHI (issue 16 item 5).

Why a small Formatter and not a library: python-json-logger and structlog exist on PyPI, but
what the portal needs is twenty lines over the standard `logging` module (time, level,
logger, message, and the request fields the access logger adds), and a dependency for
them would be one more package for every installation to track.

What never reaches a log line, by construction rather than by care:
- the request's path (message and reply ids sit in it) and its query string: the access
  logger writes the ROUTE TEMPLATE (`/api/v1/messages/{id}/session`), the method, the
  status and the duration, never the URL, a header, a cookie or a body;
- e-mail addresses: any text that looks like one is replaced by "[address]" in every
  message, whichever module wrote it (a relay's refusal often quotes the recipient);
- the client's IP address (personal data; the proxy's own log has it where needed).
The codes, passcodes and session tokens are never passed to a logger at all (server.py,
access.py); tests/integration/test_portal_nginx.py scans the logs of a real run for them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, Request, StreamResponse

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_FIELDS = ("method", "route", "status", "duration_ms")


def scrub(text: str) -> str:
    return _ADDRESS.sub("[address]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        entry.update({name: getattr(record, name) for name in _FIELDS if hasattr(record, name)})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the kind only: a traceback can quote data
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return scrub(super().formatMessage(record))

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return f"({ei[0].__name__})"


def route_of(request: BaseRequest) -> str:
    info = getattr(request, "match_info", None)
    resource = info.route.resource if info is not None and info.route is not None else None
    return resource.canonical if resource is not None else "(no route)"


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log without the URL: method, route template, status, duration."""

    def log(self, request: BaseRequest, response: StreamResponse, duration: float) -> None:
        route = route_of(request) if isinstance(request, Request) else "(no route)"
        self.logger.info(
            "%s %s %d",
            request.method,
            route,
            response.status,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status,
                "duration_ms": round(duration * 1000, 1),
            },
        )


def setup(fmt: str, level: str = "INFO", stream=None) -> None:
    """Route every logger (the portal's, aiohttp's, botocore's) through one handler on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that log request details at INFO/DEBUG stay at WARNING.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
