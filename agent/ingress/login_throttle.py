"""Failed logins, counted and locked out: the local SMTP submission's password is the only
thing between another program (or, on macOS and Windows, another user of the computer) and
mail sent in this user's name, so it must not be guessable at the speed of a loop.

Two counters over a sliding window: failures from one peer address, and failures from
everyone (a guesser spreading over many connections or addresses). Past either limit,
logins from that peer — or from all — are refused outright for a while, even with the right
password, so guessing on learns nothing; each further lockout doubles, up to a cap. A
success clears its peer's count (not the overall one).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

EVERYONE = "*"


@dataclass
class LoginThrottle:
    per_peer: int = 5  # failures from one address within `window`
    overall: int = 20  # failures from all addresses within `window`
    window: float = 15 * 60.0
    first_lock: float = 60.0
    max_lock: float = 15 * 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _strikes: dict[str, int] = field(default_factory=dict)  # lockouts in a row, for the doubling

    def wait(self, peer: str) -> float:
        """Seconds before `peer` may try a password again; 0 when it may now."""
        now = self.clock()
        return max(0.0, self._locked_until.get(peer, 0.0) - now, self._locked_until.get(EVERYONE, 0.0) - now)

    def failed(self, peer: str) -> float:
        """Count a failure; returns the lockout it caused (0 when none)."""
        now = self.clock()
        locked = 0.0
        for key, limit in ((peer, self.per_peer), (EVERYONE, self.overall)):
            recent = self._failures.setdefault(key, deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= limit:
                locked = max(locked, self._lock(key, now))
                recent.clear()
        self._forget_idle(now)
        return locked

    def succeeded(self, peer: str) -> None:
        for table in (self._failures, self._locked_until, self._strikes):
            table.pop(peer, None)

    def failures(self, peer: str) -> int:
        """Failures from `peer` still counted against it."""
        now = self.clock()
        return sum(1 for t in self._failures.get(peer, ()) if t > now - self.window)

    def _lock(self, key: str, now: float) -> float:
        if self._locked_until.get(key, 0.0) < now - self.window:  # a quiet window since the last lock forgives
            self._strikes.pop(key, None)
        strikes = self._strikes[key] = self._strikes.get(key, 0) + 1
        duration = min(self.max_lock, self.first_lock * 2 ** (strikes - 1))
        self._locked_until[key] = now + duration
        return duration

    def _forget_idle(self, now: float) -> None:
        """Peers with nothing counted and no lockout for a window are dropped: the table
        stays small however many addresses knock."""
        for key in [k for k, v in self._failures.items() if not v]:
            if self._locked_until.get(key, 0.0) < now - self.window:
                self.succeeded(key)
