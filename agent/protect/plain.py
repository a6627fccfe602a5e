"""Internal and TLS-only copies: the message itself (without Bcc), one copy for the group.

The protection of a TLS copy is the hop, not the bytes: delivery insists on a verified TLS
connection for it (see delivery/smtp.py), which is why this copy is marked with its method.
A kept copy (a secure reply read in the tray) never leaves the agent's encrypted outbox.
"""

from __future__ import annotations

from email.message import EmailMessage

from agent.intake import without_bcc
from agent.model import Method, ProtectedCopy, RecipientPlan


class PlainProtector:
    def __init__(self, method: Method) -> None:
        assert method in (Method.INTERNAL, Method.TLS, Method.KEPT)
        self.method = method

    def protect(self, message: EmailMessage, sender: str, recipients: list[RecipientPlan]) -> list[ProtectedCopy]:
        data = without_bcc(message).as_bytes()
        return [ProtectedCopy(self.method, tuple(r.address for r in recipients), data)]
