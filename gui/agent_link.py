"""The agent as it is now: read again from the discovery files whenever they change.

A restarted agent listens on a new port with a fresh token (DESIGN.md "Data directory"), so
a client built once would go on knocking at a closed door. Every call asks the link."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from agent.api.client import AgentClient, AgentUnreachable, ApiError

T = TypeVar("T")


class AgentLink:
    def __init__(self, home: Path, timeout: float = 15.0) -> None:
        self.home = home
        self.timeout = timeout
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._client: AgentClient | None = None

    def _files_stamp(self) -> tuple:
        stamp = []
        for name in ("agent.json", "api-token"):
            try:
                info = (self.home / name).stat()
                stamp.append((info.st_mtime_ns, info.st_size, info.st_ino))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    def client(self) -> AgentClient:
        """The client for the agent the discovery files name; AgentUnreachable without one."""
        stamp = self._files_stamp()
        with self._lock:
            if self._client is None or stamp != self._stamp:
                self._client = AgentClient.discover(self.home, self.timeout)
                self._stamp = stamp
            return self._client

    def call(self, fn: Callable[[AgentClient], T]) -> T:
        """Run `fn` against the current agent. When it fails because the agent went away or
        the token no longer fits, and the discovery files changed meanwhile (a restart), it
        runs once more against the new agent: nothing was done by the refused request."""
        client = self.client()
        try:
            return fn(client)
        except (AgentUnreachable, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status != 401:
                raise
            fresh = self.client()
            if fresh is client:
                raise
            return fn(fresh)
