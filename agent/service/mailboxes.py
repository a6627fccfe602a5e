"""The Agent's mailbox accounts (one room of the service, mixed into `Agent`): which mailboxes
are signed in to Microsoft or Google, signing in (the user opens the URL the agent hands back;
the agent never opens a browser itself), and signing out. Starting a sign-in asks the provider
over the network: an async caller runs it in a thread. Errors: agent.accounts' NoKeyring,
ProviderUnreachable, SignInError."""

from __future__ import annotations

from dataclasses import dataclass

from agent.accounts import Account, Accounts, SignIn
from agent.config import Config


@dataclass(frozen=True)
class Mailboxes:
    accounts: tuple[Account, ...]
    providers: dict[str, bool]  # which providers IT set up (a client id is configured)
    transport: str


class AccountMethods:
    accounts: Accounts  # set by the class this is mixed into
    config: Config

    def mailboxes(self) -> Mailboxes:
        settings = self.config.accounts
        return Mailboxes(
            tuple(self.accounts.list()),
            {"microsoft": bool(settings.microsoft_client_id), "google": bool(settings.google_client_id)},
            settings.transport,
        )

    def start_sign_in(self, provider: str, device_code: bool = False) -> SignIn:
        return self.accounts.start_sign_in(provider, device_code)

    def sign_in_status(self, ident: str) -> SignIn | None:
        return self.accounts.sign_in_status(ident)

    def cancel_sign_in(self, ident: str) -> None:
        self.accounts.cancel_sign_in(ident)

    def sign_out(self, address: str) -> bool:
        """The account and its tokens removed; False when it was not signed in."""
        return self.accounts.remove(address)
