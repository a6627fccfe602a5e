"""Local SMTP submission for desktop mail programs (Thunderbird, Apple Mail, classic Outlook
with an IMAP/SMTP account), the way Proton Mail Bridge does it.

The program's outgoing server is set to 127.0.0.1:<ingress.smtp_port>, STARTTLS, with the
user name and password `postseal ingress credentials` prints (and the tray shows). Every
message goes through the same pipeline as the other doors; the reply tells the program what
happened in words its user sees:

- accepted (queued, protected and delivered by the agent) → 250 with the outbox id;
- held for review → 554 5.7.1 with the reason; the message stays held in the outbox (as at
  the other doors) and a second send of the same message is recognised, not held twice;
- blocked by policy → 550 5.7.1 with the rule's message; nothing is kept;
- unreadable message → 554 5.6.0 naming the problem; storage trouble → 451 4.3.0 (retry).

Fail closed: AUTH is required and is only offered after STARTTLS (aiosmtpd's
auth_require_tls), so neither the password nor mail crosses even loopback in clear; on
Linux a connection from another user of the computer is refused before the greeting.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import ssl
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from agent import secret_store
from agent.ingress import peer
from agent.intake import MAX_MESSAGE_BYTES, BadMessage
from agent.model import State
from agent.outbox import StorageUnavailable
from agent.pipeline import Blocked, Pipeline

log = logging.getLogger(__name__)

USERNAME = "postseal"


def password(home: Path) -> str:
    """The per-install submission password (kept like the agent's other secrets)."""
    return secret_store.get_or_create(home, "smtp-password", 18).hex()


def _one_line(text: str, limit: int = 400) -> str:
    return " ".join(text.split())[:limit]


class Submission:
    """aiosmtpd handler: hands each message to the pipeline and answers in words."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        try:
            accepted = await self.pipeline.submit(raw, envelope_recipients=list(envelope.rcpt_tos))
        except Blocked as exc:
            return f"550 5.7.1 Blocked by your organization's policy: {_one_line(str(exc))}"
        except BadMessage as exc:
            return f"554 5.6.0 Postseal cannot read this message: {_one_line(str(exc))}"
        except StorageUnavailable as exc:
            return f"451 4.3.0 Postseal cannot store mail right now ({_one_line(str(exc), 200)}); try again later"
        if accepted.state is State.HELD:
            reason = _one_line(accepted.plan.verdict.reason.rstrip(". "))
            return (f"554 5.7.1 Held for review by Postseal: {reason}. It waits for your privacy officer "
                    f"(id {accepted.id}); do not send it again")
        return f"250 2.0.0 Accepted by Postseal as {accepted.id}; it is protected and delivered from your outbox"


class LocalSMTP(SMTP):
    """Refuses other local users before the greeting (peer.py)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not peer.same_user(transport.get_extra_info("peername"), transport.get_extra_info("sockname")):
            transport.write(b"554 5.7.1 This Postseal agent belongs to another user of this computer\r\n")
            transport.close()
            return
        super().connection_made(transport)


def make_authenticator(secret: str):
    def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        good = (hmac.compare_digest(data.login, USERNAME.encode())
                & hmac.compare_digest(data.password, secret.encode()))
        if not good:
            log.warning("local SMTP: wrong user name or password")
        return AuthResult(success=bool(good), handled=False)
    return authenticate


async def start(pipeline: Pipeline, home: Path, port: int, tls: ssl.SSLContext) -> asyncio.AbstractServer:
    """Listen on 127.0.0.1:port (0 = a free port); the caller closes the server."""
    handler = Submission(pipeline)
    authenticator = make_authenticator(password(home))

    def factory() -> SMTP:
        return LocalSMTP(handler, hostname="localhost", ident="Postseal local submission",
                         tls_context=tls, require_starttls=True, auth_required=True,
                         authenticator=authenticator, data_size_limit=MAX_MESSAGE_BYTES,
                         enable_SMTPUTF8=True)

    loop = asyncio.get_running_loop()
    return await loop.create_server(factory, host="127.0.0.1", port=port, reuse_address=True)
