"""Data that crosses modules: methods, states, findings, plans and delivery proof.

Everything here is plain, frozen data with a JSON form (``to_json``), because it travels
through the outbox (SQLite), the audit log and the local API. None of it ever carries a
message body, a subject or a detected value: findings hold a type and a position only.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Method(enum.StrEnum):
    """How one recipient's copy travels, strongest protection first in routing order."""

    INTERNAL = "internal"
    SMIME = "smime"
    PGP = "pgp"
    TLS = "tls"
    PORTAL = "portal"
    # A secure portal reply for a clinician whose mail program could not open it (no S/MIME
    # identity): kept in the agent's encrypted outbox and read in the tray's "Secure replies".
    KEPT = "kept"


class State(enum.StrEnum):
    QUEUED = "queued"
    PROTECTING = "protecting"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    HELD = "held"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (State.DELIVERED, State.HELD, State.FAILED)


# The legal moves of one recipient (see outbox/store.py for who owns each). A delivered copy only
# ever leaves `delivered` for `failed` (a bounce): nothing can send it a second time.
# `held` ends until a person releases it; `failed` is the end.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.PROTECTING, State.DEFERRED, State.HELD, State.FAILED}),
    State.PROTECTING: frozenset({State.PROTECTING, State.SENDING, State.DEFERRED, State.HELD, State.FAILED}),
    State.SENDING: frozenset({State.DELIVERED, State.DEFERRED, State.HELD, State.FAILED}),
    State.DEFERRED: frozenset(
        {State.PROTECTING, State.DEFERRED, State.DELIVERED, State.HELD, State.FAILED, State.QUEUED}
    ),
    State.DELIVERED: frozenset({State.FAILED}),
    State.HELD: frozenset({State.QUEUED}),  # released after review, or sent via the portal instead
    State.FAILED: frozenset(),
}


class Action(enum.StrEnum):
    """What policy decided for the whole message."""

    SEND = "send"
    HOLD = "hold"
    BLOCK = "block"


@dataclass(frozen=True)
class Finding:
    """One detected identifier: its type and where, never its value."""

    type: str
    location: str  # "subject", "body", "attachment:<filename>", "attachment:<zip>/<member>"
    start: int
    end: int
    confidence: float
    detail: str = ""  # for attachment-level findings: why (fixed words, never content)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RecipientPlan:
    address: str
    method: Method
    reason: str  # why this method, for the audit and IT (tls.required_domains, key ids, …)
    key_fingerprint: str = ""
    skipped: tuple[str, ...] = ()  # stronger methods considered and why they were not used
    # The one sentence a clinician reads (agent/plain_words.py); `reason` stays the technical
    # why, for the audit and IT. Empty only in plans stored before it existed.
    says: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "method": str(self.method),
            "reason": self.reason,
            "says": self.says,
            "key_fingerprint": self.key_fingerprint,
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecipientPlan:
        return cls(
            address=data["address"],
            method=Method(data["method"]),
            reason=data["reason"],
            key_fingerprint=data.get("key_fingerprint", ""),
            skipped=tuple(data.get("skipped", ())),
            says=str(data.get("says") or ""),
        )


@dataclass(frozen=True)
class Verdict:
    """Policy's decision on a message: the action, the rule that chose it, and the findings."""

    action: Action
    rule: str
    reason: str
    findings: tuple[Finding, ...] = ()
    tls_allowed: bool = True  # False when a rule said "never TLS-only"
    portal_only: bool = False  # True when a rule sends every external recipient to the portal
    warnings: tuple[str, ...] = ()  # "warn" rules: shown to the sender, the message goes on
    matched: tuple[tuple[str, str], ...] = ()  # (rule, action) of every rule that applied, in order

    def finding_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.type] = counts.get(finding.type, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "rule": self.rule,
            "reason": self.reason,
            "tls_allowed": self.tls_allowed,
            "portal_only": self.portal_only,
            "warnings": list(self.warnings),
            "matched": [{"rule": rule, "action": action} for rule, action in self.matched],
            "finding_counts": self.finding_counts(),
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class Plan:
    sender: str
    verdict: Verdict
    recipients: tuple[RecipientPlan, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "verdict": self.verdict.to_json(),
            "recipients": [r.to_json() for r in self.recipients],
        }


@dataclass(frozen=True)
class Proof:
    """What shows how one recipient's copy left: written to the audit and to `status`."""

    method: Method
    reply: str = ""  # the relay's reply line to DATA, with its queue id
    tls_version: str = ""
    tls_cipher: str = ""
    tls_peer: str = ""  # the verified server name, empty when the hop was not TLS
    key_fingerprint: str = ""
    portal_id: str = ""
    time: str = ""
    tls_policy: str = ""  # what required verified TLS: tls.required_domains, MTA-STS (id), DANE (record)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["method"] = str(self.method)
        return data

    def tls_words(self) -> str:
        """The hop's TLS in one line, as the audit's `tls` field has always said it."""
        if not self.tls_version:
            return "none"
        words = (
            f"{self.tls_version} {self.tls_cipher} {('verified ' + self.tls_peer) if self.tls_peer else 'unverified'}"
        )
        return f"{words}; required by {self.tls_policy}" if self.tls_policy else words


@dataclass(frozen=True)
class ProtectedCopy:
    """One protected form of the message and the recipients it goes to."""

    method: Method
    recipients: tuple[str, ...]
    data: bytes  # the RFC 822 bytes that will leave
    key_fingerprint: str = ""
    portal_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)
