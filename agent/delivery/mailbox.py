"""What the transports through a signed-in mailbox share: the account's token, with the
account's troubles turned into delivery outcomes (sign in again, or the network is down),
and for the HTTP APIs the verified TLS context and the reachability probe."""

from __future__ import annotations

from agent.accounts import Accounts, NeedsSignIn, ProviderUnreachable
from agent.config import AccountsConfig
from agent.delivery import https
from agent.delivery.smtp import DeliveryError


def bearer(accounts: Accounts, address: str, force: bool, where: str) -> str:
    try:
        return accounts.token(address, force=force)
    except NeedsSignIn as exc:
        raise DeliveryError(f"{where}: {exc}", sign_in=address) from None
    except ProviderUnreachable as exc:
        raise DeliveryError(f"{where}: {exc}", unreachable=True) from None


class MailboxApi:
    where = ""

    def __init__(self, config: AccountsConfig, accounts: Accounts, base_url: str) -> None:
        self.config = config
        self.accounts = accounts
        self.base = base_url.rstrip("/")
        self._ctx = https.context(config.ca_file)

    def probe(self) -> bool:
        return https.probe(self.base, self._ctx)

    def close(self) -> None:
        pass

    def _token(self, sender: str, force: bool) -> str:
        return bearer(self.accounts, sender, force, self.where)
