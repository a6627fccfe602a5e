"""Which way a copy leaves: the sender's own mailbox when that account is signed in (Graph,
the Gmail API, or XOAUTH2 submission, per `accounts.transport`), else the organization's relay.

Sent through the sender's mailbox, copies land in their Sent folder and IT need not open
SMTP AUTH; a sender without an account goes through the relay as before.
"""

from __future__ import annotations

from agent.accounts import Accounts
from agent.config import Config
from agent.delivery import Transport, smtp
from agent.delivery.gmail import GmailTransport
from agent.delivery.graph import GraphTransport
from agent.delivery.xoauth2 import XOAuth2Submission


class Transports:
    def __init__(self, config: Config, accounts: Accounts) -> None:
        self.config = config
        self.accounts = accounts
        self.relay = smtp.RelayConnections(config.relay)
        self._by_account: dict[str, Transport] = {}

    def for_sender(self, sender: str) -> Transport:
        account = self.accounts.for_sender(sender)
        if account is None:
            return self.relay
        key = f"{account.provider}:{account.address}"
        transport = self._by_account.get(key)
        if transport is None:
            settings = self.config.accounts
            if settings.transport == "smtp":
                transport = XOAuth2Submission(settings, self.accounts, account.provider, account.address)
            elif account.provider == "microsoft":
                transport = GraphTransport(settings, self.accounts)
            else:
                transport = GmailTransport(settings, self.accounts)
            self._by_account[key] = transport
        return transport

    def forget(self, address: str) -> None:
        """A new sign-in: the next copy gets a fresh transport (and fresh sessions)."""
        for key in [k for k in self._by_account if k.endswith(f":{address}")]:
            self._by_account.pop(key).close()

    def reconfigure(self, config: Config) -> smtp.RelayConnections:
        """New relay settings for the next copy; the old relay's sessions are closed."""
        old, self.config = self.relay, config
        self.relay = smtp.RelayConnections(config.relay)
        old.close()
        return old

    def close(self) -> None:
        for transport in self._by_account.values():
            transport.close()
        self.relay.close()
