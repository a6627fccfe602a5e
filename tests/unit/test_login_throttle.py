"""Failed logins locked out per peer and overall (agent/ingress/login_throttle.py), on a
clock the test moves."""

from __future__ import annotations

from agent.ingress.login_throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_from_one_peer_lock_it_out_and_the_lock_lapses():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    assert [throttle.failed("127.0.0.1") for _ in range(4)] == [0.0] * 4
    assert throttle.wait("127.0.0.1") == 0.0
    assert throttle.failed("127.0.0.1") == 60.0
    assert throttle.wait("127.0.0.1") == 60.0 and throttle.wait("127.0.0.2") == 0.0
    clock.now += 61
    assert throttle.wait("127.0.0.1") == 0.0


def test_each_lockout_in_a_row_doubles_up_to_the_cap_and_a_success_forgives():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    locks = []
    for _ in range(7):
        locks.append(next(d for d in (throttle.failed("p") for _ in range(5)) if d))
        clock.now += locks[-1] + 1
    assert locks == [60.0, 120.0, 240.0, 480.0, 900.0, 900.0, 900.0]
    throttle.succeeded("p")
    assert [throttle.failed("p") for _ in range(5)][-1] == 60.0


def test_failures_spread_over_many_peers_lock_everyone_out():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for n in range(19):  # each peer far under its own limit
        assert throttle.failed(f"10.0.{n}.1") == 0.0
    assert throttle.wait("10.9.9.9") == 0.0
    assert throttle.failed("10.0.19.1") == 60.0
    assert throttle.wait("10.9.9.9") == 60.0  # a peer that never failed waits too


def test_failures_older_than_the_window_are_forgotten():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(4):
        throttle.failed("p")
    clock.now += 15 * 60 + 1
    assert throttle.failed("p") == 0.0 and throttle.failures("p") == 1
