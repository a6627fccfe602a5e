"""tests/relays.py: any behaviour serves as a relay, and one that holds a session is released
before the relay stops (a held attempt must not keep a test from ending)."""

from __future__ import annotations

import smtplib
import threading

from tests.relays import Holds, HoldsDomain, RefusesDomain, relay_with


class Counts:
    """A behaviour of the test's own: no base class, only aiosmtpd hooks."""

    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 2.0.0 counted"


def test_any_behaviour_is_a_relay() -> None:
    counts = Counts()
    with relay_with(counts) as port, smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@clinic.example", ["b@partner.example"], b"Subject: x\r\n\r\nhello\r\n")
    assert counts.messages == 1 and not isinstance(counts, Holds)


def test_a_held_session_is_released_when_the_relay_stops() -> None:
    holds = HoldsDomain("partner.example")
    holds.hold = True
    answers: list[object] = []

    def send(port: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("a@clinic.example", ["b@partner.example"], b"Subject: x\r\n\r\nhello\r\n")
        except smtplib.SMTPException as exc:
            answers.append(exc)

    assert isinstance(holds, Holds) and not isinstance(RefusesDomain("x"), Holds)
    with relay_with(holds) as port:
        sender = threading.Thread(target=send, args=(port,))
        sender.start()
        assert holds.arrived.wait(10)
    assert holds.go.is_set()  # released by the relay, not by the test
    sender.join(10)
    assert not sender.is_alive() and answers  # the held recipient was refused (451), not left hanging
