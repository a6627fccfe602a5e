"""Outbox messages as the tray shows them: frozen views of the API's JSON."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

IN_FLIGHT = frozenset({"queued", "protecting", "sending", "deferred"})
METHOD_NAMES = {
    "internal": "inside the organization",
    "smime": "S/MIME",
    "pgp": "OpenPGP",
    "tls": "verified TLS",
    "portal": "secure portal",
    "kept": "kept in Postseal (Secure replies)",
}
STATE_NAMES = {
    "queued": "Queued",
    "protecting": "Protecting",
    "sending": "Sending",
    "delivered": "Delivered",
    "deferred": "Will retry",
    "held": "Held for review",
    "failed": "Not delivered",
}


def when(epoch: float, now: float | None = None) -> str:
    """A time for a list of messages: `14:02` today, `Dec 05 14:02` earlier this year,
    `2025-12-05` before — a row from last week must not read like one from today. The tray's
    outbox and `postseal outbox` both say it this way."""
    now = time.time() if now is None else now
    then, today = time.localtime(epoch), time.localtime(now)
    if then[:3] == today[:3]:
        return time.strftime("%H:%M", then)
    if then.tm_year == today.tm_year:
        return time.strftime("%b %d %H:%M", then)
    return time.strftime("%Y-%m-%d", then)


@dataclass(frozen=True)
class Recipient:
    address: str
    method: str
    state: str
    reason: str = ""
    attempts: int = 0
    next_attempt: float | None = None
    waiting_for_network: bool = False
    proof: dict[str, Any] | None = None
    says: str = ""  # the plan's one sentence for a clinician (how it goes), as the add-ins show it

    @classmethod
    def from_json(cls, data: dict[str, Any], says: str = "") -> Recipient:
        return cls(
            str(data.get("address", "")),
            str(data.get("method", "")),
            str(data.get("state", "")),
            str(data.get("reason") or ""),
            int(data.get("attempts") or 0),
            data.get("next_attempt"),
            bool(data.get("waiting_for_network")),
            dict(data.get("proof") or {}),
            says,
        )

    @property
    def method_name(self) -> str:
        return METHOD_NAMES.get(self.method, self.method or "not decided yet")

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, self.state)

    @property
    def how(self) -> str:
        """How it travels, after the address: "via OpenPGP", "inside the organization"."""
        return self.method_name if self.method == "internal" else f"via {self.method_name}"


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    subject: str  # shown in this app only: never logged, never in a notification
    sender: str
    created: float
    updated: float
    state: str
    reason: str
    recipients: tuple[Recipient, ...]
    message_id: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboxMessage:
        planned = (data.get("plan") or {}).get("recipients") or ()
        says = {str(p.get("address")): str(p.get("says") or "") for p in planned if isinstance(p, dict)}
        return cls(
            str(data["id"]),
            str(data.get("subject") or ""),
            str(data.get("sender") or ""),
            float(data.get("created") or 0),
            float(data.get("updated") or 0),
            str(data.get("state", "")),
            str(data.get("reason") or ""),
            tuple(Recipient.from_json(r, says.get(str(r.get("address")), "")) for r in data.get("recipients", ())),
            str(data.get("message_id") or ""),
        )

    def with_states(self, state: str, recipients: dict[str, str]) -> OutboxMessage:
        """The quick update a `message` event carries, before the full record is fetched."""
        updated = tuple(replace(r, state=recipients.get(r.address, r.state)) for r in self.recipients)
        return replace(self, state=state, recipients=updated)

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, self.state)

    @property
    def delivered(self) -> int:
        return sum(r.state == "delivered" for r in self.recipients)

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    @property
    def held(self) -> bool:
        return any(r.state == "held" for r in self.recipients)

    @property
    def can_retry(self) -> bool:
        return any(r.state == "deferred" for r in self.recipients)

    @property
    def can_reroute(self) -> bool:
        return any(
            r.method not in ("internal", "portal") and r.state in ("queued", "deferred", "held")
            for r in self.recipients
        )

    @property
    def can_revoke(self) -> bool:
        return any(
            r.method == "portal" and (r.proof or {}).get("portal_id") and not (r.proof or {}).get("revoked")
            for r in self.recipients
        )

    @property
    def has_proof(self) -> bool:
        return any(r.proof for r in self.recipients)

    def recipients_text(self) -> str:
        return "; ".join(f"{r.address} {r.how}" for r in self.recipients)

    def matches(self, text: str) -> bool:
        text = text.lower()
        return (
            text in self.subject.lower()
            or text in self.id.lower()
            or any(text in r.address.lower() for r in self.recipients)
        )
