"""Liveness and readiness for load balancers and service managers (issue 16 item 5).

- GET /healthz: the process is up and its event loop answers (nothing else is touched, so a
  database outage never makes a supervisor restart every instance at once).
- GET /readyz: this instance can serve recipients now: its database answers a trivial
  query and its blob store passes its own `check()` (a writable folder, a bucket that
  answers to these credentials). 503 with {"ready": false, "failing": {name: reason}}
  otherwise. Reasons are short and carry no secret: the database's is the error's kind only
  (its full text goes to the log, which an administrator reads), the blob store's is its
  one-line BlobError (store and bucket names, never credentials).
- GET /health: the older name of /healthz, kept for existing monitors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from agent.portal.blobs import BlobError

log = logging.getLogger(__name__)

Check = Callable[[], object]  # raises when the part is not ready
TIMEOUT = 5.0
# A well-formed id no message can have (ids are random and URL-safe; this one is not base64 of
# anything the agent draws): looking it up is one indexed SELECT that finds nothing.
PROBE = "readiness-probe-0000000000"


def store_checks(store: object) -> dict[str, Check]:
    """The checks of a PortalStore: its database (a lookup of a missing id), and its blob
    store's `check()` when it has one."""
    checks: dict[str, Check] = {"database": lambda: store.get(PROBE)}  # type: ignore[attr-defined]
    blobs = getattr(store, "blobs", None)
    if callable(getattr(blobs, "check", None)):
        checks["blobs"] = blobs.check  # type: ignore[union-attr]
    return checks


async def _run(name: str, check: Check) -> str | None:
    try:
        await asyncio.wait_for(asyncio.to_thread(check), TIMEOUT)
    except TimeoutError:
        log.warning("readiness: %s did not answer within %g s", name, TIMEOUT)
        return f"no answer within {TIMEOUT:g} s"
    except BlobError as exc:
        log.warning("readiness: %s: %s", name, exc)
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure of the part means not ready
        first = (str(exc).strip().splitlines() or [""])[0]
        log.warning("readiness: %s: %s: %s", name, type(exc).__name__, first)
        return f"not answering ({type(exc).__name__})"
    return None


def add_routes(app: web.Application, checks: dict[str, Check]) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(request: web.Request) -> web.Response:
        results = await asyncio.gather(*(_run(name, check) for name, check in checks.items()))
        failing = {name: why for name, why in zip(checks, results, strict=True) if why}
        if failing:
            return web.json_response({"ready": False, "failing": failing}, status=503)
        return web.json_response({"ready": True, "checked": sorted(checks)})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/health", healthz)
    app.router.add_get("/readyz", readyz)
