"""Property-based test of the outbox state machine: any interleaving of events — legal or
not, with crashes between them — keeps the invariants the agent relies on.

Hypothesis drives the real Outbox (SQLite on disk) and a model of what it should hold.
Illegal moves (a late relay reply for a copy already delivered, a bounce for a held
recipient…) must be refused without changing anything; legal ones must land exactly.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, precondition, rule

from agent.model import TRANSITIONS, Action, Method, Plan, ProtectedCopy, RecipientPlan, State, Verdict
from agent.outbox import PAUSED, Duplicate, IllegalTransition, Outbox, message_state

ADDRESSES = ("a@clinic.test", "b@partner.test", "c@partner.test")
REPORTED = (State.DELIVERED, State.DEFERRED, State.HELD, State.FAILED)
SECRET = "PHI-MARKER-Alvarez"


def plan_for(addresses: tuple[str, ...]) -> Plan:
    verdict = Verdict(Action.SEND, "test", "test")
    return Plan("dr@clinic.test", verdict, tuple(RecipientPlan(a, Method.PGP, "test") for a in addresses))


class OutboxMachine(RuleBasedStateMachine):
    messages = Bundle("messages")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="outbox-prop-"))
        self.outbox = Outbox(self.dir)
        self.model: dict[str, dict[str, dict]] = {}  # ident → address → {state, next, copy}
        self.raw: dict[str, bytes] = {}
        self.callbacks: set[str] = set()
        self.events: dict[str, int] = {}  # webhook events expected per message
        self.now = 1_000_000.0
        self.counter = 0

    def teardown(self) -> None:
        self.outbox.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- events -------------------------------------------------------------------------
    @rule(target=messages, count=st.integers(1, 3), held=st.booleans(), callback=st.booleans())
    def accept(self, count: int, held: bool, callback: bool) -> str:
        self.counter += 1
        addresses = ADDRESSES[:count]
        raw = f"Message-ID: <m{self.counter}@clinic.test>\r\n\r\n{SECRET} {self.counter}\r\n".encode()
        ident = self.outbox.accept(
            raw,
            f"m{self.counter}@clinic.test",
            plan_for(addresses),
            "policy hold" if held else "",
            ("http://127.0.0.1:9/x", "s3cret") if callback else None,
        )
        state = State.HELD if held else State.QUEUED
        self.model[ident] = {a: {"state": state, "next": 0.0, "copy": None} for a in addresses}
        self.raw[ident] = raw
        if callback:
            self.callbacks.add(ident)
            self.events[ident] = count if held else 0
        return ident

    @rule(ident=messages)
    def submit_again(self, ident: str) -> None:
        number = self.raw[ident].split(b"<m")[1].split(b"@")[0].decode()
        with pytest.raises(Duplicate) as known:
            self.outbox.accept(b"again", f"m{number}@clinic.test", plan_for(ADDRESSES[:1]))
        assert known.value.ident == ident

    @rule(
        ident=messages,
        index=st.integers(0, 2),
        target_state=st.sampled_from(list(State)),
        delay=st.sampled_from([0.0, 30.0, PAUSED]),
    )
    def move(self, ident: str, index: int, target_state: State, delay: float) -> None:
        """Any owner asking for any state change, legal or not."""
        recipients = self.model[ident]
        address = list(recipients)[index % len(recipients)]
        current = recipients[address]["state"]
        next_attempt = self.now + delay if target_state == State.DEFERRED else 0.0
        if target_state in TRANSITIONS[current]:
            self.outbox.set_recipient(ident, address, target_state, f"to {target_state}", next_attempt=next_attempt)
            recipients[address].update(state=target_state, next=next_attempt)
            if ident in self.callbacks and target_state in REPORTED:
                self.events[ident] += 1
        else:
            with pytest.raises(IllegalTransition):
                self.outbox.set_recipient(ident, address, target_state, "illegal", next_attempt=next_attempt)

    @rule(ident=messages)
    def protect(self, ident: str) -> None:
        """The protect step: copies for the recipients being protected, or refused."""
        recipients = self.model[ident]
        protecting = tuple(a for a, r in recipients.items() if r["state"] == State.PROTECTING)
        others = tuple(a for a, r in recipients.items() if r["state"] != State.PROTECTING)
        start = len(self.outbox.copies(ident))
        if others and not protecting:
            with pytest.raises(IllegalTransition):
                self.outbox.store_copies(ident, [ProtectedCopy(Method.PGP, others[:1], b"x", "", "")], start)
            assert len(self.outbox.copies(ident)) == start  # rolled back, copy and all
            return
        if not protecting:
            return
        self.outbox.store_copies(ident, [ProtectedCopy(Method.PGP, protecting, b"sealed-copy", "FPR", "")], start)
        for address in protecting:
            recipients[address].update(state=State.SENDING, copy=start)

    @rule()
    def network_back(self) -> None:
        self.outbox.retry_deferred_now()
        for recipients in self.model.values():
            for r in recipients.values():
                if r["state"] == State.DEFERRED:
                    r["next"] = 0.0

    @rule(seconds=st.sampled_from([1.0, 60.0]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule()
    def crash(self) -> None:
        """kill -9 between two events: the file is all there is."""
        self.outbox.db.close()
        self.outbox.acceptance.db.close()  # its second connection (agent/outbox/acceptance.py)
        self.outbox = Outbox(self.dir)

    @precondition(lambda self: self.raw)
    @rule(ident=consumes(messages))
    def content_survives(self, ident: str) -> None:
        assert self.outbox.raw(ident) == self.raw[ident]

    # --- invariants --------------------------------------------------------------------
    @invariant()
    def recipients_are_as_modelled(self) -> None:
        for ident, recipients in self.model.items():
            row = self.outbox.get(ident)
            stored = {r.address: r for r in row.recipients}
            assert {a: r.state for a, r in stored.items()} == {a: r["state"] for a, r in recipients.items()}
            assert row.state == message_state([r["state"] for r in recipients.values()])
            for address, r in recipients.items():
                if r["copy"] is not None:
                    assert stored[address].copy == r["copy"]

    @invariant()
    def due_is_exactly_what_has_work(self) -> None:
        working = (State.QUEUED, State.PROTECTING, State.SENDING)
        expected = {
            ident
            for ident, recipients in self.model.items()
            if any(
                r["state"] in working or (r["state"] == State.DEFERRED and r["next"] <= self.now)
                for r in recipients.values()
            )
        }
        assert set(self.outbox.due(self.now, limit=10_000)) == expected
        waits = [
            0.0 if r["state"] in working else r["next"]
            for recipients in self.model.values()
            for r in recipients.values()
            if r["state"] in working or (r["state"] == State.DEFERRED and r["next"] < PAUSED)
        ]
        assert self.outbox.next_wakeup() == (min(waits) if waits else None)

    @invariant()
    def counts_add_up(self) -> None:
        expected: dict[str, int] = {}
        for recipients in self.model.values():
            for r in recipients.values():
                expected[str(r["state"])] = expected.get(str(r["state"]), 0) + 1
        assert self.outbox.counts() == expected

    @invariant()
    def every_reported_outcome_has_one_webhook_event(self) -> None:
        for ident, count in self.events.items():
            bodies = [
                json.loads(body)
                for (body,) in self.outbox.db.execute(
                    "SELECT body FROM webhook_queue WHERE message=? ORDER BY id", (ident,)
                )
            ]
            assert len(bodies) == count
            assert all(SECRET not in json.dumps(b) for b in bodies)

    @invariant()
    def nothing_in_clear_on_disk(self) -> None:
        if self.counter:
            stored = b"".join(p.read_bytes() for p in self.dir.glob("outbox.sqlite3*"))
            assert SECRET.encode() not in stored and b"s3cret" not in stored


OutboxMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_outbox_state_machine = OutboxMachine.TestCase
