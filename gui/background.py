"""Blocking agent calls off the UI thread: each runs on a thread pool and its result comes
back to the UI thread as a queued signal, so no HTTP call can ever freeze a window."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives in the UI thread, as a child of the widget that asked: if that widget is gone
    when the answer comes, so is the relay, and Qt drops the queued delivery."""

    _arrived = Signal(bool, object)

    def __init__(
        self,
        owner: QObject,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        done: Callable[[_Relay], None],
    ) -> None:
        super().__init__(owner)
        self._on_done, self._on_error, self._done = on_done, on_error, done
        self.cancelled = False
        self._arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def send(self, ok: bool, value: object) -> None:  # from the worker thread
        self._arrived.emit(ok, value)

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: object) -> None:
        self._done(self)
        if self.cancelled:
            return
        if ok:
            if self._on_done:
                self._on_done(value)
        elif self._on_error:
            self._on_error(value)  # type: ignore[arg-type]
        else:
            log.warning("background call failed: %s", value)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn, self._relay = fn, relay

    def run(self) -> None:
        try:
            result, ok = self._fn(), True
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the UI as an error
            result, ok = exc, False
        try:
            self._relay.send(ok, result)
        except RuntimeError:  # the asking widget was deleted meanwhile: nobody to tell
            pass


class Background(QObject):
    """A small thread pool for agent calls, with a clean shutdown for quit and for tests."""

    def __init__(self, parent: QObject | None = None, threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pending: set[_Relay] = set()
        self._closed = False

    def run(
        self,
        owner: QObject,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if self._closed:
            return
        relay = _Relay(owner, on_done, on_error, self._pending.discard)
        self._pending.add(relay)
        relay.destroyed.connect(lambda *_: self._pending.discard(relay))
        self._pool.start(_Job(fn, relay))

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """No more answers are delivered; waits for calls in flight (they end by their own
        timeouts). True when every worker finished."""
        self._closed = True
        for relay in list(self._pending):
            relay.cancelled = True
        self._pool.clear()
        return self._pool.waitForDone(timeout_ms)
