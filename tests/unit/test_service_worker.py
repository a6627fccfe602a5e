"""The worker (agent/service/worker.py) built from its real parts with a fake transport
(tests/fakes.py): one `process` of one message, and the states and audit records it leaves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.delivery.smtp import DeliveryError
from agent.model import Method, State
from agent.outbox import PAUSED
from tests.fakes import COLLEAGUE, PARTNER, Service, config, delivered, plan, refused


@pytest.fixture
def service(home: Path) -> Iterator[Service]:
    built = Service(home, config(outbox={"retry_first_seconds": 100, "notify_sender": False}))
    yield built
    built.close()


def process(service: Service, ident: str) -> None:
    asyncio.run(service.worker.process(ident))


def test_a_delivered_copy_is_recorded_with_its_structured_proof(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(delivered)
    process(service, ident)

    (sent,) = service.transport.sent
    assert sent.recipients == [PARTNER] and sent.needs_verified_tls and sent.mail_from.startswith("dr.chen@")
    assert sent.data.startswith(b"X-Postseal-Verdict: v1.")  # stamped before it left
    assert sent.envid == ident  # a later bounce names the message by it (RFC 3461 ENVID)
    r = service.recipient(ident, PARTNER)
    assert (r.state, r.attempts, r.proof["method"]) == (State.DELIVERED, 1, "tls")
    (record,) = service.records("delivered")
    proof = record["proof"]
    assert proof["reply"] == "250 2.0.0 Ok: queued as 4XyZ"
    assert (proof["tls_version"], proof["tls_peer"]) == ("TLSv1.3", "relay.valleyclinic.example")
    assert proof["tls_policy"] == "tls.required_domains"  # the plan's reason: what required verified TLS
    assert record["tls"].startswith("TLSv1.3 TLS_AES_256_GCM_SHA384 verified relay.valleyclinic.example")
    assert record["recipients"] == [PARTNER] and record["message"] == ident and record["verdict"]
    assert service.outbox.get(ident).state == State.DELIVERED


def test_a_4xx_defers_with_the_first_backoff_and_jitter(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(lambda rcpts: refused(rcpts, "451 4.3.0 try again later", permanent=False))
    before = time.time()
    process(service, ident)
    after = time.time()

    r = service.recipient(ident, PARTNER)
    assert (r.state, r.attempts) == (State.DEFERRED, 1)
    assert before + 80 <= r.next_attempt <= after + 120  # retry_first_seconds 100, ±20 % jitter
    assert "451 4.3.0" in r.reason
    (record,) = service.records("deferred")
    assert record["recipients"] == [PARTNER] and "451" in record["reason"]
    # Not due yet: a second pass sends nothing (the script is empty, a send would fail the test).
    process(service, ident)
    assert len(service.transport.sent) == 1


def test_a_servers_retry_after_is_a_floor_under_the_backoff(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(DeliveryError("421 4.7.0 too many messages, slow down", retry_after=5000))
    before = time.time()
    process(service, ident)

    r = service.recipient(ident, PARTNER)
    assert r.state == State.DEFERRED and r.attempts == 1
    assert r.next_attempt >= before + 5000


def test_a_5xx_fails_the_recipient_and_the_failure_is_announced(home: Path):
    service = Service(home, config(outbox={"notify_sender": True}))
    try:
        ident = service.accept(plan((PARTNER, Method.TLS)))
        service.transport.script.append(lambda rcpts: refused(rcpts, "550 5.1.1 no such user", permanent=True))

        async def run() -> None:
            await service.worker.process(ident)
            for _ in range(20):  # the failure notice is queued in the background
                if service.notices:
                    break
                await asyncio.sleep(0)

        asyncio.run(run())

        r = service.recipient(ident, PARTNER)
        assert (r.state, r.attempts) == (State.FAILED, 1) and "550 5.1.1" in r.reason
        (record,) = service.records("failed")
        assert record["recipients"] == [PARTNER] and record["state"] == "failed"
        notices = [e for e in service.events if e["type"] == "notice"]
        assert notices == [
            {
                "type": "notice",
                "level": "error",
                "id": ident,
                "text": f"Not delivered to {PARTNER}: relay refused: 550 5.1.1 no such user",
            }
        ]
        (notice,) = service.notices
        assert b"dr.chen@valleyclinic.example" in notice
    finally:
        service.close()


def test_an_unreachable_relay_pauses_without_spending_a_retry(service: Service):
    first = service.accept(plan((PARTNER, Method.TLS)), subject="first")
    second = service.accept(plan((COLLEAGUE, Method.INTERNAL)), subject="second")
    service.transport.script.append(DeliveryError("relay 127.0.0.1:2525 not reachable", unreachable=True))
    before = time.time()
    process(service, first)

    r = service.recipient(first, PARTNER)
    assert (r.state, r.next_attempt, r.attempts) == (State.DEFERRED, PAUSED, 0)
    assert r.reason.startswith("waiting for the network:")
    assert service.worker.offline.since is not None and service.worker.offline.since >= before
    assert len(service.records("offline")) == 1
    assert service.records("deferred") == []  # no retry spent, nothing scheduled by time
    # While offline, other mail waits too, without a connection attempt.
    process(service, second)
    assert len(service.transport.sent) == 1
    assert service.recipient(second, COLLEAGUE).next_attempt == PAUSED


def test_a_sign_in_needed_pauses_until_the_sender_signs_in(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(DeliveryError("token refused", sign_in="dr.chen@valleyclinic.example"))
    process(service, ident)

    r = service.recipient(ident, PARTNER)
    assert (r.state, r.next_attempt, r.attempts) == (State.DEFERRED, PAUSED, 0)
    assert "sign in to dr.chen@valleyclinic.example again" in r.reason
    assert service.worker.offline.since is None  # the network is fine


def test_unverified_tls_past_the_fallback_goes_to_the_portal(home: Path):
    service = Service(home, config(tls={"fallback_after_hours": 0}))
    try:
        ident = service.accept(plan((PARTNER, Method.TLS)))
        service.transport.script.append(DeliveryError("no MX verified", unverified=True))
        process(service, ident)

        r = service.recipient(ident, PARTNER)
        assert (r.method, r.state, r.copy) == ("portal", State.QUEUED, None)
        (rerouted,) = service.outbox.recipient_plans(ident)
        assert rerouted.method is Method.PORTAL and "verified TLS failed" in rerouted.reason
        (record,) = service.records("tls_fallback")
        assert record["recipients"] == [PARTNER] and record["method"] == "portal"
    finally:
        service.close()


def test_unverified_tls_before_the_fallback_is_only_deferred(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))  # fallback_after_hours: 24 by default
    service.transport.script.append(DeliveryError("no MX verified", unverified=True))
    process(service, ident)

    r = service.recipient(ident, PARTNER)
    assert (r.method, r.state, r.attempts) == ("tls", State.DEFERRED, 1)
    assert service.records("tls_fallback") == []


def test_past_give_up_after_hours_a_waiting_recipient_fails(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(lambda rcpts: refused(rcpts, "451 4.3.0 try again later", permanent=False))
    process(service, ident)
    assert service.recipient(ident, PARTNER).state == State.DEFERRED

    service.current.replace(config(outbox={"give_up_after_hours": 0, "notify_sender": False}))
    service.outbox.retry_now(ident)
    process(service, ident)

    r = service.recipient(ident, PARTNER)
    assert r.state == State.FAILED and r.reason.startswith("not delivered after 0 seconds: relay deferred: 451")
    assert len(service.transport.sent) == 1  # given up without another try
    (record,) = service.records("failed")
    assert record["recipients"] == [PARTNER]


def test_a_held_message_is_not_touched(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)), held="SSN found: review first")
    count = len(service.audit.records())
    process(service, ident)

    r = service.recipient(ident, PARTNER)
    assert (r.state, r.attempts, r.copy) == (State.HELD, 0, None)
    assert service.transport.sent == [] and service.outbox.copies(ident) == []
    assert len(service.audit.records()) == count


def test_a_recipient_held_at_delivery_stays_held_while_the_others_go_on(service: Service):
    ident = service.accept(plan((COLLEAGUE, Method.INTERNAL), (PARTNER, Method.TLS)))
    later = lambda rcpts: refused(rcpts, "451 4.3.0 later", permanent=False)  # noqa: E731
    service.transport.script += [later, later]
    process(service, ident)
    service.outbox.retry_now(ident)
    service.transport.script += [DeliveryError("552 mailbox full", hold=True), later]
    process(service, ident)
    assert service.recipient(ident, COLLEAGUE).state == State.HELD
    assert service.recipient(ident, PARTNER).state == State.DEFERRED

    service.outbox.retry_now(ident)
    service.transport.script.append(delivered)
    process(service, ident)

    assert [s.recipients for s in service.transport.sent] == [[COLLEAGUE], [PARTNER]] * 2 + [[PARTNER]]
    held = service.recipient(ident, COLLEAGUE)
    assert (held.state, held.attempts, held.reason) == (State.HELD, 1, "552 mailbox full")
    assert service.recipient(ident, PARTNER).state == State.DELIVERED
    assert [r["recipients"] for r in service.records("held")] == [[COLLEAGUE]]


# Before, sending → held was not a legal move: the worker logged a traceback, spent a retry on
# "internal error" and held the recipient only at the next attempt, from deferred.
def test_a_hold_at_the_first_attempt_holds_the_recipient(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(DeliveryError("mailbox over its size limit", hold=True))
    process(service, ident)
    assert service.recipient(ident, PARTNER).state == State.HELD
