"""A fake at the tray's one door: an AgentClient (agent/api/client.py) that answers from lists
a test fills, records each call, raises what a test tells it to, and can hold a call until the
test lets it go (an answer arriving late). `FakeLink` stands where gui/agent_link.py's
AgentLink does, so the tray's models are tested without a server, on their own threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from agent.api.client import AgentConfig, AuditFilter, AuditPage

T = TypeVar("T")
SENDER = "dr.chen@valleyclinic.example"


def message(
    ident: str,
    state: str = "delivered",
    created: float = 1.0,
    updated: float = 1.0,
    subject: str = "Lab results",
    recipients: tuple[str, ...] = ("ana@lakeside.example",),
    method: str = "pgp",
) -> dict[str, Any]:
    """One outbox row in the shape GET /v1/outbox gives."""
    return {
        "id": ident,
        "subject": subject,
        "sender": SENDER,
        "created": created,
        "updated": updated,
        "state": state,
        "reason": "policy holds it for review" if state == "held" else "",
        "recipients": [{"address": a, "method": method, "state": state} for a in recipients],
    }


def record(seq: int, event: str = "delivered", method: str = "pgp") -> dict[str, Any]:
    return {
        "seq": seq,
        "time": f"2026-12-07T10:00:{seq:02d}+00:00",
        "event": event,
        "recipients": ["ana@lakeside.example"],
        "method": method,
    }


class FakeClient:
    def __init__(self) -> None:
        self.outbox_rows: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []  # the audit log, oldest first
        self.key_rows: list[dict[str, Any]] = []
        self.calls: list[tuple] = []
        self.fail: dict[str, BaseException] = {}
        self.hold: dict[str, threading.Event] = {}  # the call waits until the event is set

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.hold:
            self.hold[name].wait(10)
        if name in self.fail:
            raise self.fail[name]

    def outbox(self) -> list[dict[str, Any]]:
        self._call("outbox")
        return list(self.outbox_rows)

    def message(self, ident: str) -> dict[str, Any]:
        self._call("message", ident)
        return next(m for m in self.outbox_rows if m["id"] == ident)

    def outbox_summary(self) -> dict[str, Any]:
        self._call("outbox_summary")
        return {"counts": {}, "offline_since": None, "audit_problem": ""}

    def health(self) -> dict[str, Any]:
        self._call("health")
        return {"ok": True, "secrets": {"backend": "keyring"}, "problems": []}

    def keys(self) -> list[dict[str, Any]]:
        self._call("keys")
        return list(self.key_rows)

    def config(self) -> AgentConfig:
        self._call("config")
        return AgentConfig({"portal": {"url": "https://portal.valleyclinic.example"}}, frozenset(), "config.toml")

    def accounts(self) -> dict[str, Any]:
        self._call("accounts")
        return {"accounts": [], "providers": {}, "transport": "smtp"}

    def audit_page(self, offset: int | None, limit: int, where: AuditFilter | None = None) -> AuditPage:
        self._call("audit_page", offset, limit, where)
        records = [r for r in self.records if not (where and where.event) or r["event"] == where.event]
        page = records[-limit:] if offset is None else records[offset : offset + limit]
        return AuditPage(page, len(records))


class FakeLink:
    """gui/agent_link.py's AgentLink, always answering with the one fake client."""

    def __init__(self, client: FakeClient) -> None:
        self.fake = client

    def client(self) -> FakeClient:
        return self.fake

    def call(self, fn: Callable[[Any], T]) -> T:
        return fn(self.fake)
