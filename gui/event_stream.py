"""The agent's one event stream (`GET /v1/events`), read on its own thread.

When the agent stops or restarts the stream ends; the thread reconnects with backoff (a
quarter second doubling to five), at once when `wake()` says the discovery files changed.
Each successful connection starts with a `hello` event, after which nothing is missed:
that is the moment to reload what the windows show."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QThread, Signal

from agent.api.client import AgentUnreachable, ApiError, EventStream
from gui.agent_link import AgentLink
from gui.errors import explain

log = logging.getLogger(__name__)


class EventStreamThread(QThread):
    event = Signal(object)  # one event dict from the agent
    lost = Signal(str)  # the stream could not be opened or ended: why, in one line

    def __init__(self, link: AgentLink, first_delay: float = 0.25, max_delay: float = 5.0, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("postseal-events")
        self._link = link
        self._first, self._max = first_delay, max_delay
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._stream: EventStream | None = None

    def run(self) -> None:
        delay = self._first
        while not self._stop.is_set():
            try:
                stream = self._link.call(lambda client: client.open_events())
            except (AgentUnreachable, ApiError) as exc:
                self.lost.emit(explain(exc))
            else:
                with self._lock:
                    self._stream = stream
                if self._stop.is_set():
                    stream.close()
                try:
                    for item in stream:
                        if item.get("type") == "hello":
                            delay = self._first
                        self.event.emit(item)
                    if not self._stop.is_set():
                        self.lost.emit(explain(AgentUnreachable("the event stream ended")))
                except (AgentUnreachable, ValueError) as exc:
                    if not self._stop.is_set():
                        self.lost.emit(explain(exc))
                finally:
                    with self._lock:
                        self._stream = None
            self._wake.wait(delay)
            self._wake.clear()
            delay = min(delay * 2, self._max)

    def wake(self) -> None:
        """Try again now (the agent's discovery files changed)."""
        self._wake.set()

    def stop(self, timeout_ms: int = 5000) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            if self._stream is not None:
                self._stream.close()
        self.wait(timeout_ms)
