"""Protection methods, one interface: a message and recipient plans in, protected copies out.

Each method's ``protect()`` raises :class:`ProtectError` for a recipient it cannot protect;
the pipeline then holds that recipient with the reason (fail closed, never a weaker copy).
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

from agent.model import Method, ProtectedCopy, RecipientPlan


class ProtectError(Exception):
    """Protection failed for the named recipient(s); the text is shown to the sender."""


class Protector(Protocol):
    method: Method

    def protect(self, message: EmailMessage, sender: str, recipients: list[RecipientPlan]) -> list[ProtectedCopy]: ...
