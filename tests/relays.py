"""Relays that refuse on purpose, for tests of what the agent does with a temporary refusal.

`relay_with(behaviour)` serves any behaviour as a relay on 127.0.0.1. A behaviour is an
aiosmtpd handler: an object with any of aiosmtpd's `handle_<VERB>` hooks (`handle_RCPT`,
`handle_DATA`, …; aiosmtpd's "Handler hooks"), each answering with the SMTP reply line. A
behaviour that can hold an SMTP session open (waiting on the test) also has `release()`
(the `Holds` protocol): the relay calls it before it stops, so a held session cannot keep
the relay from stopping."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from aiosmtpd.controller import Controller

from agent.demo_world import free_port


@runtime_checkable
class Holds(Protocol):
    """A behaviour that may keep a session waiting: `release()` lets every waiting one go."""

    def release(self) -> None: ...


class RefusesDomain:
    """A relay that takes mail, except that it refuses one domain's recipients for now (4xx):
    a partner's connector that is down; their copy stays deferred."""

    def __init__(self, domain: str) -> None:
        self.domain = domain

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.endswith(self.domain):
            return "451 4.4.1 partner connector down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: queued as X1"


class HoldsDomain(RefusesDomain):
    """RefusesDomain that can be made to refuse or take the domain's mail (`refusing`), and to
    hold an attempt at RCPT until the test lets it go (`hold`): a delivery attempt caught in
    flight. Whether a held attempt is refused is decided as it arrives."""

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        self.refusing = True
        self.hold = False
        self.arrived = threading.Event()  # an attempt is being held
        self.go = threading.Event()  # let it go

    async def handle_RCPT(self, server, session, envelope, address, options):
        if not address.endswith(self.domain):
            return await super().handle_RCPT(server, session, envelope, address, options)
        refuse = self.refusing
        if self.hold:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.go.wait, 30)
        if refuse:
            return "451 4.4.1 partner connector down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def release(self) -> None:
        self.go.set()


@contextlib.contextmanager
def relay_with(behaviour: Any) -> Iterator[int]:
    """The behaviour (an aiosmtpd handler, see above) as a relay on a free 127.0.0.1 port (the
    port), stopped afterwards."""
    port = free_port()
    controller = Controller(behaviour, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        if isinstance(behaviour, Holds):
            behaviour.release()  # a held attempt must not keep the relay from stopping
        controller.stop()


@contextlib.contextmanager
def refusing_relay(domain: str) -> Iterator[int]:
    """A RefusesDomain relay on a free 127.0.0.1 port (the port), stopped afterwards."""
    with relay_with(RefusesDomain(domain)) as port:
        yield port
