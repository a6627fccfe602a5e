"""Delivery: how a protected copy leaves. The one interface every way out implements
(`Transport`: the relay in smtp.py, direct MX delivery in direct.py, Microsoft Graph in
graph.py, the Gmail API in gmail.py, XOAUTH2 submission in xoauth2.py), and `Placing` for a
mailbox that can also take a message for its own owner; transports.py picks the way per sender."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # the result type only: smtp.py itself is one of the ways out
    from agent.delivery.smtp import SendResult


class Transport(Protocol):
    """A way out for a copy: the relay, Graph, the Gmail API, XOAUTH2 submission."""

    def send(
        self, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool, envid: str = ""
    ) -> SendResult: ...

    def probe(self) -> bool: ...

    def close(self) -> None: ...


@runtime_checkable
class Placing(Protocol):
    """A mailbox that can take a message for its own owner without sending it (a secure portal
    reply put in the clinician's Inbox, inside the organization's own tenant)."""

    def place(self, owner: str, data: bytes) -> str: ...
