"""Offline detection: when the relay cannot be reached the outbox waits for the network
without spending retries, and a cheap probe finds when it is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from agent.delivery import Transport
from agent.model import State
from agent.outbox import PAUSED, Outbox
from agent.service.outcomes import Outcomes

log = logging.getLogger(__name__)

PROBE_FIRST = 1.0  # seconds after going offline before the first reachability probe
PROBE_MAX = 5.0  # seconds between reachability probes while offline


class Offline:
    def __init__(self, outbox: Outbox, outcomes: Outcomes, transport: Transport, wake: Callable[[], None]) -> None:
        self.outbox = outbox
        self.outcomes = outcomes
        self.transport = transport  # the one that could not be reached: the one probed
        self._wake = wake  # the worker: what waits is due
        self.since: float | None = None
        self._probe_now = asyncio.Event()

    def went_offline(self, reason: str, transport: Transport) -> None:
        self.transport = transport
        if self.since is None:
            self.since = time.time()
            log.warning("offline: %s; the outbox waits for the network", reason)
            self.outcomes.record("offline", reason=reason)
            self.outcomes.broadcast({"type": "status", "offline_since": self.since})

    def relay_replaced(self, old: Transport, new: Transport) -> None:
        """New relay settings: if the old relay was the one being waited for, probe the new one now."""
        if self.transport is old:
            self.transport = new
        self._probe_now.set()

    def look_now(self) -> None:
        """Someone is sending, or asked for a retry: probe at once instead of at the next turn."""
        self._probe_now.set()

    def network_changed(self) -> None:
        if self.since is not None:
            log.info("network changed while offline: probing the relay now")
            self._probe_now.set()

    def pause(self, ident: str, addresses: list[str], reason: str) -> None:
        """Wait for the network without spending a retry: not the copy's fault."""
        for address in addresses:
            self.outbox.set_recipient(
                ident, address, State.DEFERRED, f"waiting for the network: {reason}", next_attempt=PAUSED
            )
        self.outcomes.changed(ident)

    async def probe(self) -> None:
        """While offline: a TCP connect to the relay (no SMTP session: cheap for both ends),
        1 s after going offline, backing off to every PROBE_MAX seconds, and at once when the
        user sends something or the OS reports a network change. When it answers, everything
        waiting is due at once."""
        delay = PROBE_FIRST
        while self.since is not None:
            self._probe_now.clear()
            try:
                async with asyncio.timeout(delay):
                    await self._probe_now.wait()
            except TimeoutError:
                pass
            if await asyncio.to_thread(self.transport.probe):
                waited = time.time() - self.since
                self.since = None
                flushed = self.outbox.retry_deferred_now()
                log.info("online again after %.0f s: flushing %d recipient(s)", waited, flushed)
                self.outcomes.record(
                    "online", detail=f"relay reachable again after {waited:.0f} s; {flushed} recipient(s) due"
                )
                self.outcomes.broadcast({"type": "status", "offline_since": None})
                self._wake()
                return
            delay = min(PROBE_MAX, delay * 2)
