"""What the agent answers when it will not do what was asked, and what it answers when it
did: every front end (the local API, SMTP submission, the add-in doors, the CLI) turns these
into its own codes and words."""

from __future__ import annotations

from dataclasses import dataclass

from agent.model import Plan, State


class UnknownMessage(LookupError):
    """No such message in the outbox (an id, or a bounce that matches nothing)."""


class NotAllowed(Exception):
    """The organization's policy does not allow this action (managed policy)."""


class NothingToDo(Exception):
    """The action does not apply to this message in its current state."""


class MessageIdReused(Exception):
    """Another message from the same sender already holds this Message-ID. Nothing silently
    dropped: the new one is refused, with what to do (README "Reliability")."""

    def __init__(self, message_id: str, ident: str) -> None:
        super().__init__(
            f"Message-ID <{message_id}> already belongs to a different message in the outbox (id {ident}); "
            "this one was not accepted: send it with a Message-ID of its own"
        )
        self.ident = ident


class Blocked(Exception):
    """Policy blocks the message outright; it is not accepted."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.verdict.reason)
        self.plan = plan


@dataclass(frozen=True)
class Accepted:
    id: str
    state: State
    plan: Plan
    duplicate: bool = False  # already accepted earlier: nothing new was queued
    callback_secret: str = ""  # the HMAC key of this message's webhook events


@dataclass(frozen=True)
class BounceOutcome:
    message: str
    recipients: tuple[dict[str, str], ...]  # status fields and the recipient's state after
    unmatched: tuple[str, ...]  # addresses in the report that the message was not sent to


class UnknownKey(LookupError):
    """No OpenPGP key or S/MIME certificate with that fingerprint (or address)."""


class OwnKey(Exception):
    """The user's own key: it still decrypts mail received and is not deleted (DESIGN.md: no key
    is ever replaced over data it protects)."""


@dataclass(frozen=True)
class RulesInForce:
    source: str  # the rules file, or the built-in rules
    managed: bool  # set by the organization's managed policy
