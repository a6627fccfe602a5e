"""SMTP submission to the provider (smtp.office365.com, smtp.gmail.com) with XOAUTH2.

The third way out for a signed-in account, where IT prefers SMTP to the mail APIs: the
usual relay code (smtp.py) with STARTTLS required and verified, and the SASL XOAUTH2 initial
response `user=<address>^Aauth=Bearer <token>^A^A` instead of a password (Google's and
Microsoft's XOAUTH2 protocol pages). A refused token is refreshed once; refused again, the
account needs a new sign-in. The envelope decides the recipients, as with any relay.
"""

from __future__ import annotations

import base64
import smtplib

from agent.accounts import Accounts
from agent.config import AccountsConfig, RelayConfig
from agent.delivery.mailbox import bearer
from agent.delivery.smtp import DeliveryError, RelayConnections, SendResult


def _endpoint(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else (value, 587)


class XOAuth2Submission:
    def __init__(self, config: AccountsConfig, accounts: Accounts, provider: str, address: str) -> None:
        host, port = _endpoint(config.microsoft_smtp if provider == "microsoft" else config.google_smtp)
        self.address = address
        self.accounts = accounts
        self.where = f"{host}:{port} (XOAUTH2)"
        relay = RelayConfig(host=host, port=port, starttls="required", ca_file=config.ca_file)
        self._connections = RelayConnections(relay, login=self._login, where=self.where)

    def _login(self, client: smtplib.SMTP) -> None:
        for attempt in (1, 2):
            token = bearer(self.accounts, self.address, attempt == 2, self.where)
            initial = f"user={self.address}\x01auth=Bearer {token}\x01\x01"
            code, reply = client.docmd("AUTH", "XOAUTH2 " + base64.b64encode(initial.encode()).decode())
            if code == 334:  # the server's error challenge: RFC 7628 §3.2.3, answered with an empty line
                code, reply = client.docmd("")
            if code == 235:
                return
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        reason = f"the provider refused the saved sign-in ({code} {' '.join(text.split())})"
        self.accounts.invalidate(self.address, reason)
        raise DeliveryError(f"{self.where}: {reason}", sign_in=self.address)

    def send(
        self, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool, envid: str = ""
    ) -> SendResult:
        return self._connections.send(mail_from, recipients, data, True, envid)

    def probe(self) -> bool:
        return self._connections.probe()

    def close(self) -> None:
        self._connections.close()
