"""A provider's SMTP submission server (smtp.gmail.com / smtp.office365.com) for XOAUTH2:
aiosmtpd with STARTTLS required before AUTH, and the XOAUTH2 mechanism checking the bearer
token against the fake provider's issued tokens. A refused token gets the RFC 7628 error
challenge (334 with a base64 JSON status), then 535, as the real servers answer."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from agent.demo_world import free_port
from tests.accounts.https_fake import now


@dataclass
class Submitted:
    user: str
    mail_from: str
    recipients: list[str]
    data: bytes


class _Handler:
    def __init__(self, server: FakeSubmission) -> None:
        self.server = server

    async def auth_XOAUTH2(self, smtp, args):  # noqa: N802 - aiosmtpd finds mechanisms by this name
        if len(args) < 2:
            return AuthResult(success=False, handled=False, message="501 5.5.2 initial response required")
        try:
            fields = dict(part.split("=", 1) for part in base64.b64decode(args[1]).decode().split("\x01") if part)
            user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
        except (ValueError, KeyError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 malformed XOAUTH2 response")
        grant = self.server.provider.access_tokens.get(token)
        if grant is None or grant.expires < now() or grant.address != user.lower():
            status = base64.b64encode(json.dumps({"status": "401", "schemes": "bearer"}).encode()).decode()
            await smtp.challenge_auth(status, encode_to_b64=False)
            return AuthResult(
                success=False, handled=False, message="535 5.7.8 Username and Password not accepted (token invalid)"
            )
        return AuthResult(success=True, auth_data=user)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.server.received.append(
            Submitted(str(session.auth_data), envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 2.0.0 OK queued"


class FakeSubmission:
    def __init__(self, ca, provider) -> None:
        self.provider = provider
        self.port = free_port()
        self.received: list[Submitted] = []
        self.ca = ca
        self.controller = self._controller()

    def _controller(self) -> Controller:
        return Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            tls_context=self.ca.server_context(),
            require_starttls=True,
            auth_require_tls=True,
            auth_required=True,
            auth_exclude_mechanism=["LOGIN", "PLAIN"],
        )

    def restart(self) -> None:
        """End every session, as a server does after a while (same address)."""
        self.controller.stop()
        self.controller = self._controller()
        self.controller.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> FakeSubmission:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
