"""Group commit for the event loop: submissions that arrive while a durable commit runs wait
for the next one and share it, as databases and Postfix do — one fsync for a group instead of
one per message, and no timer: a lone submission is committed at once, on its own.

The commit runs on a thread of its own (one at a time, in order), never on the event loop and
never behind the thread pool that plans messages; each submitter is answered only after the
commit that holds its message returned, so "202 means durable" holds for each. A submitter
that goes away (its request cancelled) does not take the commit with it: the others of its
group are still answered, and its own message, if committed, stays committed (the caller
keeps what must follow a commit from being cancelled; see Agent.submit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(self, commit: Callable[[list[Item]], list[Result | Exception]], name: str = "group-commit") -> None:
        """`commit(items)` stores all of them at once and returns, for each, its result or the
        exception that refused it (raised to that submitter alone)."""
        self._commit = commit
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._waiting: list[tuple[Item, asyncio.Future]] = []
        self._leader: asyncio.Task | None = None

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._waiting.append((item, future))
        if self._leader is None or self._leader.done():
            self._leader = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        batch: list[tuple[Item, asyncio.Future]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await loop.run_in_executor(self._thread, self._commit, [item for item, _ in batch])
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the commit itself failed: each of the group hears it
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # its submitter went away
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        finally:  # cancelled (the loop is stopping): no one waits for an answer that will not come
            for _, future in [*batch, *self._waiting]:
                if not future.done():
                    future.cancel()
            self._waiting = []

    def close(self) -> None:
        """Wait for the commit in flight (the agent is stopping); no new one starts after."""
        self._thread.shutdown(wait=True)
