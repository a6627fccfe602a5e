"""A person's actions on one message (agent/service/actions.py) and bounces, against the real
outbox, audit log, outcomes and worker, with a fake transport (tests/fakes.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from agent.model import Method, ProtectedCopy, RecipientPlan, State
from agent.service.errors import NotAllowed, NothingToDo, UnknownMessage
from tests.fakes import OTHER_PARTNER, PARTNER, Service, config, delivered, plan, refused


class FakePortalProtector:
    """The portal's seam: a notice copy with a portal id, without the portal's HTTP."""

    method = Method.PORTAL

    def __init__(self) -> None:
        self.protected: list[str] = []

    def protect(self, message: EmailMessage, sender: str, recipients: list[RecipientPlan]) -> list[ProtectedCopy]:
        self.protected += [r.address for r in recipients]
        return [
            ProtectedCopy(
                Method.PORTAL,
                tuple(r.address for r in recipients),
                b"From: " + sender.encode() + b"\r\nSubject: A secure message\r\n\r\nOpen the link.\r\n",
                portal_id=f"p-{len(self.protected)}",
            )
        ]


@pytest.fixture
def service(home: Path) -> Iterator[Service]:
    built = Service(home, config(outbox={"retry_first_seconds": 100}), {Method.PORTAL: FakePortalProtector()})
    yield built
    built.close()


def later(recipients: list[str]):
    return refused(recipients, "451 4.3.0 try again later", permanent=False)


def process(service: Service, ident: str) -> None:
    asyncio.run(service.worker.process(ident))


# --- retry now ---------------------------------------------------------------------------
def test_retry_now_with_nothing_waiting_is_nothing_to_do(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    with pytest.raises(NothingToDo):
        service.actions.retry_now(ident)  # queued, not waiting for a retry
    with pytest.raises(UnknownMessage):
        service.actions.retry_now("0123456789abcdef")
    assert service.records("retry") == []


def test_retry_now_makes_a_deferred_recipient_due_at_once(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(later)
    process(service, ident)
    assert service.recipient(ident, PARTNER).next_attempt > 0

    assert service.actions.retry_now(ident) == 1
    assert service.recipient(ident, PARTNER).next_attempt == 0
    (record,) = service.records("retry")
    assert record["message"] == ident
    service.transport.script.append(delivered)
    process(service, ident)
    r = service.recipient(ident, PARTNER)
    assert (r.state, r.attempts) == (State.DELIVERED, 2)


# --- release -----------------------------------------------------------------------------
def test_release_sends_a_held_message_on_as_planned(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)), held="SSN found: review first")
    assert service.actions.release(ident, "  reviewed with the patient's consent ") == 1
    assert service.recipient(ident, PARTNER).state == State.QUEUED
    (record,) = service.records("released")
    assert record["reason"] == "released after review: reviewed with the patient's consent"
    with pytest.raises(NothingToDo):
        service.actions.release(ident, "again")

    service.transport.script.append(delivered)
    process(service, ident)
    assert service.recipient(ident, PARTNER).state == State.DELIVERED


def test_release_is_not_allowed_when_policy_forbids_it(home: Path):
    service = Service(home, config(policy={"allow_release": False}))
    try:
        ident = service.accept(plan((PARTNER, Method.TLS)), held="SSN found: review first")
        with pytest.raises(NotAllowed, match="does not allow releasing"):
            service.actions.release(ident, "ok")
        assert service.recipient(ident, PARTNER).state == State.HELD
        assert service.records("released") == []
    finally:
        service.close()


def test_release_is_not_allowed_while_the_set_up_holds_its_method(home: Path):
    # A portal on this computer without allow_test_url: no patient could open its links.
    service = Service(home, config(portal={"url": "http://127.0.0.1:8025"}))
    try:
        by_portal = service.accept(plan((PARTNER, Method.PORTAL)), held="review", subject="portal")
        by_tls = service.accept(plan((PARTNER, Method.TLS)), held="review", subject="tls")
        with pytest.raises(NotAllowed, match="cannot go out until IT fixes this: portal URL"):
            service.actions.release(by_portal, "ok")
        assert service.recipient(by_portal, PARTNER).state == State.HELD
        assert service.actions.release(by_tls, "ok") == 1  # the set-up holds the portal only
    finally:
        service.close()


# --- send via the portal -----------------------------------------------------------------
def test_send_via_portal_reroutes_a_waiting_recipient_at_once(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS)))
    service.transport.script.append(later)
    process(service, ident)

    assert service.actions.send_via_portal(ident) == 1
    r = service.recipient(ident, PARTNER)
    assert (r.method, r.state) == ("portal", State.QUEUED)
    service.transport.script.append(delivered)
    process(service, ident)
    r = service.recipient(ident, PARTNER)
    assert (r.method, r.state, r.proof["portal_id"]) == ("portal", State.DELIVERED, "p-1")
    with pytest.raises(NothingToDo):
        service.actions.send_via_portal(ident)


def in_flight_send_via_portal(service: Service, outcome) -> str:
    """A deferred recipient's next attempt is in flight (Worker.run, the transport gated)
    when the sender chooses the portal; then the attempt ends with `outcome`."""
    ident = service.accept(plan((PARTNER, Method.TLS)))
    transport = service.transport
    transport.script.append(later)
    process(service, ident)  # deferred: it stays `deferred` while its next attempt is in flight
    transport.gate = threading.Event()
    transport.script += [outcome, delivered]

    async def scenario() -> None:
        worker = asyncio.create_task(service.worker.run())
        try:
            assert await asyncio.to_thread(transport.entered.wait, 10), "the worker never tried"
            assert ident in service.worker.busy
            assert service.actions.send_via_portal(ident) == 1
            r = service.recipient(ident, PARTNER)
            assert (r.method, r.state) == ("tls", State.DEFERRED)  # not rerouted under the attempt's feet
            transport.gate.set()
            for _ in range(500):  # bounded wait for the worker to settle the message
                r = service.recipient(ident, PARTNER)
                if r.state == State.DELIVERED and not service.worker.busy:
                    break
                await asyncio.sleep(0.01)
        finally:
            transport.gate.set()
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    asyncio.run(scenario())
    return ident


def test_send_via_portal_during_an_attempt_is_applied_after_its_outcome(service: Service):
    ident = in_flight_send_via_portal(service, later)
    r = service.recipient(ident, PARTNER)
    assert (r.method, r.state, r.proof["portal_id"]) == ("portal", State.DELIVERED, "p-1")
    assert [s.needs_verified_tls for s in service.transport.sent] == [True, True, False]  # TLS twice, then the portal
    events = [r["event"] for r in service.audit.records() if r["event"] in ("deferred", "rerouted", "delivered")]
    assert events == ["deferred", "deferred", "rerouted", "delivered"]  # the choice, after the attempt's outcome


def test_send_via_portal_during_an_attempt_that_delivers_changes_nothing(service: Service):
    ident = in_flight_send_via_portal(service, delivered)
    r = service.recipient(ident, PARTNER)
    assert (r.method, r.state, r.attempts) == ("tls", State.DELIVERED, 2)
    assert len(service.transport.sent) == 2 and service.records("rerouted") == []


# --- bounces -----------------------------------------------------------------------------
def dsn(envelope_id: str) -> bytes:
    return f"""From: MAILER-DAEMON@relay.valleyclinic.example (Mail Delivery System)\r
Subject: Undelivered Mail Returned to Sender\r
Auto-Submitted: auto-replied\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r
\r
--B1\r
Content-Type: text/plain; charset=us-ascii\r
\r
This is the mail system at host relay.valleyclinic.example.\r
\r
--B1\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; relay.valleyclinic.example\r
Original-Envelope-Id: {envelope_id.upper()}\r
\r
Final-Recipient: rfc822; {PARTNER}\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 <{PARTNER}>: User unknown\r
\r
Final-Recipient: rfc822; {OTHER_PARTNER}\r
Action: delayed\r
Status: 4.4.1\r
Diagnostic-Code: X-Postfix; connect to mx.harborbilling.example: Connection timed out\r
\r
Final-Recipient: rfc822; stranger@elsewhere.example\r
Action: failed\r
Status: 5.1.1\r
\r
--B1--\r
""".encode()


def test_a_bounce_fails_the_recipient_it_names_once(service: Service):
    ident = service.accept(plan((PARTNER, Method.TLS), (OTHER_PARTNER, Method.TLS)))
    service.transport.script.append(delivered)
    process(service, ident)
    assert service.outbox.get(ident).state == State.DELIVERED

    outcome = asyncio.run(service.actions.apply_bounce(dsn(ident)))
    assert outcome.message == ident and outcome.unmatched == ("stranger@elsewhere.example",)
    assert [(r["address"], r["state"]) for r in outcome.recipients] == [
        (PARTNER, "failed"),
        (OTHER_PARTNER, "delivered"),
    ]
    bounced = service.recipient(ident, PARTNER)
    assert bounced.state == State.FAILED and "550 5.1.1" in bounced.reason
    assert bounced.proof["reply"] == "250 2.0.0 Ok: queued as 4XyZ" and bounced.proof["dsn"]["status"] == "5.1.1"
    assert service.recipient(ident, OTHER_PARTNER).state == State.DELIVERED  # `delayed` is only recorded
    assert [r["recipients"] for r in service.records("bounced")] == [[PARTNER]]
    assert [r["recipients"] for r in service.records("dsn")] == [[OTHER_PARTNER]]
    audit_size, events = len(service.audit.records()), len(service.events)

    again = asyncio.run(service.actions.apply_bounce(dsn(ident)))
    assert [(r["address"], r["state"]) for r in again.recipients] == [(PARTNER, "failed"), (OTHER_PARTNER, "delivered")]
    assert len(service.records("bounced")) == 1
    assert service.recipient(ident, PARTNER) == bounced
    assert len(service.audit.records()) == audit_size + 1  # only the `delayed` line is recorded again
    assert len(service.events) == events  # nothing changed: nothing told


def test_a_bounce_for_no_message_in_the_outbox_is_unknown(service: Service):
    with pytest.raises(UnknownMessage):
        asyncio.run(service.actions.apply_bounce(dsn("ffffffffffffffff")))
