"""Local SMTP submission for desktop mail programs (Thunderbird, Apple Mail, classic Outlook
with an IMAP/SMTP account), the way Proton Mail Bridge does it.

The program's outgoing server is set to 127.0.0.1:<ingress.smtp_port>, STARTTLS, with the
user name and password `postseal ingress credentials` prints (and the tray shows). Every
message goes through the same agent as the other doors; the reply tells the program what
happened in words its user sees:

- accepted (queued, protected and delivered by the agent) → 250 with the outbox id;
- held for review → 554 5.7.1 with the reason; the message stays held in the outbox (as at
  the other doors) and a second send of the same message is recognised, not held twice;
- blocked by policy → 550 5.7.1 with the rule's message; nothing is kept;
- unreadable message → 554 5.6.0 naming the problem; storage trouble → 451 4.3.0 (retry).

Fail closed: AUTH is required and is only offered after STARTTLS (aiosmtpd's
auth_require_tls), so neither the password nor mail crosses even loopback in clear; on
Linux a connection from another user of the computer is refused before the greeting.
Failed logins are counted per peer address and overall and locked out for a while
(login_throttle.py); three in one session end the session.

No PHI in the log: aiosmtpd logs every envelope address and, verbatim, any line a client
sends outside DATA (and DATA lines at DEBUG) to the logger "mail.log". That logger is
silenced here; the agent logs its own one-line events instead — outcomes, outbox ids,
counts — never an address, a command's text or content.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import ssl
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from agent import secret_store
from agent.ingress import peer
from agent.ingress.login_throttle import LoginThrottle
from agent.intake import MAX_MESSAGE_BYTES, BadMessage
from agent.model import State
from agent.outbox import StorageUnavailable
from agent.service.agent import Agent
from agent.service.errors import Blocked, MessageIdReused

log = logging.getLogger(__name__)

USERNAME = "postseal"
LIBRARY_LOG = "mail.log"  # aiosmtpd's logger (aiosmtpd/smtp.py)
FAILURES_PER_SESSION = 3


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


def silence_library_log() -> None:
    """Nothing aiosmtpd logs reaches any handler, whatever level the process logs at: a
    filter on its logger (a level alone is undone by anyone configuring logging later)."""
    library = logging.getLogger(LIBRARY_LOG)
    if not any(isinstance(f, _DropAll) for f in library.filters):
        library.addFilter(_DropAll())
    library.setLevel(logging.CRITICAL + 1)
    library.propagate = False


def password(home: Path) -> str:
    """The per-install submission password (kept like the agent's other secrets)."""
    return secret_store.get_or_create(home, "smtp-password", 18).hex()


def _one_line(text: str, limit: int = 400) -> str:
    # A reply line is bytes on the wire: nothing that cannot be encoded (a lone surrogate).
    return " ".join(text.encode("utf-8", "replace").decode("utf-8").split())[:limit]


class Submission:
    """aiosmtpd handler: hands each message to the agent and answers in words."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        count = len(envelope.rcpt_tos)
        try:
            accepted = await self.agent.submit(raw, envelope_recipients=list(envelope.rcpt_tos))
        except Blocked as exc:
            log.info("local SMTP: message blocked by policy (%d recipients)", count)
            return f"550 5.7.1 Blocked by your organization's policy: {_one_line(str(exc))}"
        except BadMessage as exc:
            log.info("local SMTP: unreadable message refused (%d recipients)", count)
            return f"554 5.6.0 Postseal cannot read this message: {_one_line(str(exc))}"
        except MessageIdReused as exc:
            log.info("local SMTP: message refused, its Message-ID belongs to message %s", exc.ident)
            return f"554 5.6.0 Postseal did not accept this message: {_one_line(str(exc))}"
        except StorageUnavailable as exc:
            log.warning("local SMTP: message refused for now, the outbox cannot store it")
            return f"451 4.3.0 Postseal cannot store mail right now ({_one_line(str(exc), 200)}); try again later"
        if accepted.state is State.HELD:
            log.info("local SMTP: message %s held for review (%d recipients)", accepted.id, count)
            reason = _one_line(accepted.plan.verdict.reason.rstrip(". "))
            return (
                f"554 5.7.1 Held for review by Postseal: {reason}. It waits for your privacy officer "
                f"(id {accepted.id}); do not send it again"
            )
        log.info(
            "local SMTP: message %s accepted%s (%d recipients)",
            accepted.id,
            " again (same Message-ID and content)" if accepted.duplicate else "",
            count,
        )
        return f"250 2.0.0 Accepted by Postseal as {accepted.id}; it is protected and delivered from your outbox"

    async def handle_exception(self, error: Exception) -> str:
        # Instead of aiosmtpd's own: its log line carries a traceback, its reply the
        # exception's text; either may quote what the client sent.
        log.error("local SMTP: session failed (%s); the client was told to try again", type(error).__name__)
        return "451 4.3.0 Postseal could not handle this command; nothing was accepted, try again later"


class LocalSMTP(SMTP):
    """Refuses other local users before the greeting (peer.py); ends a session after
    FAILURES_PER_SESSION failed logins; counts refused commands for its one log line."""

    failed_logins = 0
    refused_commands = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not peer.same_user(transport.get_extra_info("peername"), transport.get_extra_info("sockname")):
            log.warning("local SMTP: connection from another user of this computer refused")
            transport.write(b"554 5.7.1 This Postseal agent belongs to another user of this computer\r\n")
            transport.close()
            return
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self.session is None:  # refused in connection_made: no session was set up
            return
        if self.refused_commands:
            log.info("local SMTP: session ended; %d commands were refused", self.refused_commands)
        super().connection_lost(error)

    async def push(self, status: str) -> None:
        if status[:3] in ("500", "501", "502", "503", "504"):
            self.refused_commands += 1
        await super().push(status)

    async def smtp_STARTTLS(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's name for it
        # RFC 3207 section 4.2: once TLS is on, STARTTLS is refused. aiosmtpd would answer 220
        # and start a second handshake inside the first, which no client means to do.
        if self._tls_protocol is not None:
            await self.push("503 5.5.1 TLS is already on")
            return
        await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's name for it
        await super().smtp_AUTH(arg)
        if self.failed_logins >= FAILURES_PER_SESSION and self.transport is not None:
            await super().push("421 4.7.0 Too many failed logins in this session; closing")
            self.transport.close()


class Authenticator:
    """aiosmtpd's authenticator: the password, behind the throttle."""

    def __init__(self, secret: str, throttle: LoginThrottle | None = None) -> None:
        self.secret = secret
        self.throttle = throttle or LoginThrottle()

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data) -> AuthResult:
        who = str(session.peer[0]) if session.peer else "unknown"
        wait = self.throttle.wait(who)
        if wait:
            log.warning("local SMTP: login refused unchecked, logins locked out for %d s more", math.ceil(wait))
            return AuthResult(
                success=False,
                handled=False,
                message=(f"454 4.7.0 Too many failed logins; try again in {math.ceil(wait)} seconds"),
            )
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        good = hmac.compare_digest(data.login, USERNAME.encode()) & hmac.compare_digest(
            data.password, self.secret.encode()
        )
        if good:
            self.throttle.succeeded(who)
            return AuthResult(success=True, handled=False)
        if isinstance(server, LocalSMTP):
            server.failed_logins += 1
        locked = self.throttle.failed(who)
        if locked:
            log.warning("local SMTP: wrong user name or password; logins locked out for %d s", math.ceil(locked))
        else:
            log.warning(
                "local SMTP: wrong user name or password (%d recent from this address)", self.throttle.failures(who)
            )
        return AuthResult(success=False, handled=False)


async def start(agent: Agent, home: Path, port: int, tls: ssl.SSLContext) -> asyncio.AbstractServer:
    """Listen on 127.0.0.1:port (0 = a free port); the caller closes the server."""
    silence_library_log()
    handler = Submission(agent)
    authenticator = Authenticator(password(home))

    def factory() -> SMTP:
        return LocalSMTP(
            handler,
            hostname="localhost",
            ident="Postseal local submission",
            tls_context=tls,
            require_starttls=True,
            auth_required=True,
            authenticator=authenticator,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
        )

    loop = asyncio.get_running_loop()
    return await loop.create_server(factory, host="127.0.0.1", port=port, reuse_address=True)
