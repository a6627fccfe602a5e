"""Fakes at the service's seams, for unit tests of the worker and a person's actions.

Only the way out is fake: `FakeTransport` implements agent.delivery.Transport and answers
each `send` with the next scripted step (a SendResult, a DeliveryError to raise, or a
callable given the recipients). Everything else `Service` builds is the real part — the
Outbox and the AuditLog in a temporary home, Outcomes, Current, the plain protectors, the
Stamper, the Worker and Actions — wired as agent/service/agent.py wires them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.audit import AuditLog
from agent.delivery.smtp import DeliveryError, RecipientResult, SendResult
from agent.model import Action, Method, Plan, RecipientPlan, Verdict
from agent.outbox import Outbox
from agent.protect import Protector
from agent.protect.plain import PlainProtector
from agent.protect.portal import PortalClient
from agent.service.actions import Actions
from agent.service.current import Current
from agent.service.outcomes import Outcomes
from agent.service.worker import Worker
from agent.stamp import Stamper

ORG = "valleyclinic.example"
SENDER = f"dr.chen@{ORG}"
COLLEAGUE = f"nurse.patel@{ORG}"
PARTNER = "claims@harborbilling.example"
OTHER_PARTNER = "billing@harborbilling.example"

Step = SendResult | DeliveryError | Callable[[list[str]], SendResult]


def delivered(recipients: list[str], reply: str = "250 2.0.0 Ok: queued as 4XyZ") -> SendResult:
    """What a relay says when it took every recipient over verified TLS."""
    return SendResult(
        {a: RecipientResult(a, True, False, reply) for a in recipients},
        tls_version="TLSv1.3",
        tls_cipher="TLS_AES_256_GCM_SHA384",
        tls_peer="relay.valleyclinic.example",
    )


def refused(recipients: list[str], reply: str, permanent: bool) -> SendResult:
    return SendResult({a: RecipientResult(a, False, permanent, reply) for a in recipients})


class ScriptExhausted(AssertionError):
    """The code under test sent more often than the test expected."""


@dataclass
class Sent:
    mail_from: str
    recipients: list[str]
    data: bytes
    needs_verified_tls: bool
    envid: str


@dataclass
class FakeTransport:
    """agent.delivery.Transport answering from a script, one step per `send`."""

    script: list[Step] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    reachable: bool = False
    # When set, `send` waits for it (an attempt kept in flight) and tells `entered` first.
    gate: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)

    def send(
        self, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool, envid: str = ""
    ) -> SendResult:
        self.sent.append(Sent(mail_from, list(recipients), data, needs_verified_tls, envid))
        self.entered.set()
        if self.gate is not None and not self.gate.wait(10):
            raise AssertionError("the test never let the attempt in flight finish")
        if not self.script:
            raise ScriptExhausted(f"unexpected send #{len(self.sent)} to {recipients}")
        step = self.script.pop(0)
        if isinstance(step, DeliveryError):
            raise step
        if callable(step):
            return step(list(recipients))
        return step

    def probe(self) -> bool:
        return self.reachable

    def close(self) -> None:
        pass


class FakeTransports:
    """agent.delivery.transports.Transports with one way out for every sender: the fake relay."""

    def __init__(self, relay: FakeTransport) -> None:
        self.relay = relay

    def for_sender(self, sender: str) -> FakeTransport:
        return self.relay


def config(**sections: dict[str, Any]) -> config_mod.Config:
    """A set-up with no readiness problem (https portal, loopback relay), sections overridden."""
    data: dict[str, Any] = {
        "organization": {"name": "Valley Family Clinic", "internal_domains": [ORG]},
        "relay": {"host": "127.0.0.1", "port": 2525},
        "portal": {"url": "https://portal.valleyclinic.example"},
        "outbox": {"notify_sender": False},
    }
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return config_mod.from_dict(data)


def message(recipients: list[str], subject: str = "Labs", message_id: str = "") -> bytes:
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id or subject.replace(' ', '.')}@{ORG}>"
    mail.set_content("Please see the attached results.\n")
    return mail.as_bytes()


def plan(*recipients: tuple[str, Method]) -> Plan:
    return Plan(
        SENDER,
        Verdict(Action.SEND, "test", "made by hand"),
        tuple(RecipientPlan(a, m, "tls.required_domains" if m is Method.TLS else "test") for a, m in recipients),
    )


class Service:
    """The service's parts, real except the transport, in `home`."""

    def __init__(
        self, home: Path, cfg: config_mod.Config | None = None, protectors: dict[Method, Protector] | None = None
    ) -> None:
        self.home = home
        self.current = Current.of(cfg or config())
        self.outbox = Outbox(home)
        self.audit = AuditLog(home)
        self.notices: list[bytes] = []  # failure notices the outcomes queued as new messages
        self.outcomes = Outcomes(self.current, self.outbox, self.audit, self._submit)
        self.events: list[dict[str, Any]] = []
        self.outcomes.subscribe(self.events.append)
        self.transport = FakeTransport()
        self.protectors: dict[Method, Protector] = {
            Method.INTERNAL: PlainProtector(Method.INTERNAL),
            Method.TLS: PlainProtector(Method.TLS),
            **(protectors or {}),
        }
        transports = FakeTransports(self.transport)
        self.worker = Worker(
            self.current,
            self.outbox,
            self.outcomes,
            self.protectors,
            transports,  # type: ignore[arg-type]
            self.transport,
            Stamper(home),
        )  # type: ignore[arg-type]
        # The portal client is never reached by the actions tested here (revoke is not).
        self.actions = Actions(
            self.current,
            self.outbox,
            self.outcomes,
            self.worker,
            PortalClient("https://portal.valleyclinic.example", lambda: ""),
        )

    async def _submit(self, raw: bytes) -> Any:
        self.notices.append(raw)

        @dataclass
        class _Accepted:
            id: str

        return _Accepted(f"notice{len(self.notices)}")

    def accept(self, the_plan: Plan, held: str = "", subject: str = "Labs") -> str:
        raw = message([r.address for r in the_plan.recipients], subject)
        return self.outbox.accept(raw, f"{subject.replace(' ', '.')}@{ORG}", the_plan, held)

    def recipient(self, ident: str, address: str):
        row = self.outbox.get(ident)
        assert row is not None
        return next(r for r in row.recipients if r.address == address)

    def records(self, event: str) -> list[dict[str, Any]]:
        return [r for r in self.audit.records() if r["event"] == event]

    def close(self) -> None:
        self.audit.close()
        self.outbox.close()
