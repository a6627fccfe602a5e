"""Store calls off the event loop.

The portal's stores are synchronous (psycopg, sqlite3, boto3 and file I/O block), and one
aiohttp event loop serves every recipient of an instance: a store call made on the loop
stops all of them until it returns (200 recipients fetching 1 MB each from object storage
queued behind one another, benchmarks/portal.py). So the server hands every store call to
`Offload`, a small pool of threads of its own: the loop goes on serving while a call waits
for the database or the object store, and up to `workers` calls wait at once.

Why threads and not an asynchronous store: the PortalStore interface stays one synchronous
contract for both backends, the sweeper and the CLI; psycopg, sqlite3 and botocore all
release the GIL while they wait on a socket or a disk. The PostgreSQL store lends each call
a connection from its pool (store_pg.py), so the threads' calls run side by side; the SQLite
store serializes its writes under its own lock, as it always has. Every limit stays one
atomic statement in the store: moving a call to another thread changes when it runs, never
what it counts. A call once started runs to its end even if its request is given up (aiohttp
does not cancel handlers when a client leaves, by default): a code is never half consumed.

The cost, measured by benchmarks/portal.py: 50–80 µs of CPU per hand-over to a thread and
back, so handlers hand over their store work once per request (context.Portal.run), not once
per store call; the gain: a store call that waits (object storage answers after tens of
milliseconds) holds up one request, not all.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# As many as the PostgreSQL store's pool has connections by default (store_pg.POOL_SIZE):
# more threads would only queue for a connection.
WORKERS = 10


class Offload:
    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="portal-store")

    async def __call__(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """`fn(*args, **kwargs)` on one of the pool's threads (in this task's context, as
        asyncio.to_thread runs it), awaited."""
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
