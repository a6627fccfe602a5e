"""The acceptance baseline: an aiohttp server that only reads the body and makes it durable.

`POST /v1/messages` reads the request body, inserts it into SQLite (WAL, `synchronous=FULL`,
as Postseal's outbox commits an acceptance) and commits — one fsynced commit per request, on
the event loop, nothing shared between requests — then answers 202 with an id. `POST /v1/check`
reads the body and answers a fixed small JSON plan: the floor of an HTTP round trip with a
50 KB body, with no inspection at all. No parsing, no inspection, no policy, no audit: the
least any server that promises "202 means durable" must do, written the obvious way.

Run as its own process (`python -m benchmarks.baseline_server DB`), it prints its port on the
first line of its output.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from aiohttp import web


def app(db_path: Path) -> web.Application:
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)")

    async def accept(request: web.Request) -> web.Response:
        raw = await request.read()
        db.execute("BEGIN IMMEDIATE")
        ident = db.execute("INSERT INTO messages (raw) VALUES (?)", (raw,)).lastrowid
        db.execute("COMMIT")
        return web.json_response({"id": str(ident), "state": "accepted", "plan": {}}, status=202)

    async def check(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"plan": {"recipients": []}})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    application = web.Application(client_max_size=64 * 1024 * 1024)
    application.router.add_post("/v1/messages", accept)
    application.router.add_post("/v1/check", check)
    application.router.add_get("/v1/health", health)
    return application


async def _serve(db_path: Path) -> None:
    runner = web.AppRunner(app(db_path), access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    print(sock.getsockname()[1], flush=True)
    await asyncio.Event().wait()


@contextlib.contextmanager
def running(db_path: Path) -> Iterator[tuple[str, int]]:
    """(url, pid) of the baseline server in its own process; stopped on the way out."""
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.baseline_server", str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = server.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"the baseline server did not start (said {line!r})")
        yield f"http://127.0.0.1:{line}", server.pid
    finally:
        server.terminate()
        server.wait(30)
        server.stdout.close()


if __name__ == "__main__":
    asyncio.run(_serve(Path(sys.argv[1])))
