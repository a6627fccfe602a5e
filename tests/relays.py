"""Relays that refuse on purpose, for tests of what the agent does with a temporary refusal."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiosmtpd.controller import Controller

from agent.demo_world import free_port


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


@contextlib.contextmanager
def refusing_relay(domain: str) -> Iterator[int]:
    """A RefusesDomain relay on a free 127.0.0.1 port (the port), stopped afterwards."""
    port = free_port()
    controller = Controller(RefusesDomain(domain), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
