"""The outbox's typed rows: what a reader gets back (MessageRow, RecipientRow, WebhookEvent),
how a message's state follows from its recipients' (message_state), and the errors a write
can raise. Plain values: nothing here touches the database or a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.model import State

PAUSED = 1e15  # next_attempt of recipients waiting for the network: never due by time

# Recipient outcomes a callback is told about (one webhook event each).
REPORTED = (State.DELIVERED, State.DEFERRED, State.HELD, State.FAILED)
# Recipients the worker has in hand: due now, whatever their next_attempt says.
WORKING = (State.QUEUED, State.PROTECTING, State.SENDING)


class StorageUnavailable(Exception):
    """The outbox cannot take new messages (disk full, read-only); what it holds is kept."""


class IllegalTransition(ValueError):
    """A state change the state machine does not allow; nothing was written."""


class Duplicate(Exception):
    """The (Message-ID, sender) is already in the outbox under `ident`. `same`: whether its
    content digest matches the one offered, None when it cannot say (a message accepted
    before digests were kept, or none offered)."""

    def __init__(self, ident: str, same: bool | None = None) -> None:
        super().__init__(ident)
        self.ident = ident
        self.same = same


@dataclass(frozen=True)
class WebhookEvent:
    id: int
    message: str
    created: float
    body: str
    attempts: int


@dataclass(frozen=True)
class RecipientRow:
    address: str
    method: str
    state: State
    reason: str
    attempts: int
    next_attempt: float
    copy: int | None
    proof: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "method": self.method,
            "state": str(self.state),
            "reason": self.reason,
            "attempts": self.attempts,
            "next_attempt": self.next_attempt if 0 < self.next_attempt < PAUSED else None,
            "waiting_for_network": self.next_attempt >= PAUSED,
            "proof": self.proof,
        }


@dataclass(frozen=True)
class MessageRow:
    id: str
    message_id: str
    sender: str
    created: float
    updated: float
    state: State
    reason: str
    plan: dict[str, Any]
    recipients: tuple[RecipientRow, ...]
    subject: str = ""  # sealed at rest; shown by the local API (loopback, token) and never audited

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "subject": self.subject,
            "sender": self.sender,
            "created": self.created,
            "updated": self.updated,
            "state": str(self.state),
            "reason": self.reason,
            "plan": self.plan,
            "recipients": [r.to_json() for r in self.recipients],
        }


def message_state(states: list[State]) -> State:
    """A message is as far along as its least advanced recipient."""
    for state in (State.PROTECTING, State.SENDING, State.QUEUED, State.DEFERRED, State.HELD, State.FAILED):
        if state in states:
            return state
    return State.DELIVERED
