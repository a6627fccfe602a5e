"""The clinician's own mailboxes: sign in once, then the agent sends through them.

`Accounts` keeps which mailboxes are signed in (accounts.json: provider, address, state —
no secret) and their tokens (vault.py: the OS keyring only). A sign-in runs in the
background: the agent answers at once with the URL to open (or the device code to type), and
finishes when the browser comes back to the loopback redirect or the time runs out.

A refresh that fails for good (revoked, consent withdrawn, password changed) marks the
account `needs_sign_in`; the pipeline then waits with that account's mail instead of
retrying it, and resumes everything waiting as soon as the clinician has signed in again.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from agent.accounts import google, microsoft
from agent.accounts.errors import NeedsSignIn, ProviderUnreachable, SignInError
from agent.accounts.loopback import LoopbackReceiver
from agent.accounts.vault import NoKeyring, Vault, usable
from agent.config import AccountsConfig

log = logging.getLogger(__name__)

PROVIDERS = ("microsoft", "google")
__all__ = ["Account", "Accounts", "NeedsSignIn", "NoKeyring", "ProviderUnreachable", "SignIn", "SignInError"]


@dataclass(frozen=True)
class Account:
    provider: str
    address: str
    added: float
    state: str = "ready"  # ready | needs_sign_in
    reason: str = ""


@dataclass
class SignIn:
    id: str
    provider: str
    state: str = "waiting"  # waiting | signed_in | failed | cancelled
    auth_url: str = ""
    user_code: str = ""
    verification_uri: str = ""
    message: str = ""
    address: str = ""
    error: str = ""
    started: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


class Accounts:
    def __init__(
        self,
        home: Path,
        config: AccountsConfig,
        on_signed_in: Callable[[Account], None] = lambda a: None,
        on_needs_sign_in: Callable[[Account], None] = lambda a: None,
    ) -> None:
        self.home = home
        self.config = config
        self.vault = Vault(home)
        self._file = home / "accounts.json"
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = self._load()
        self._sign_ins: dict[str, SignIn] = {}
        self._stops: dict[str, threading.Event] = {}
        self.on_signed_in = on_signed_in
        self.on_needs_sign_in = on_needs_sign_in

    # --- the list ----------------------------------------------------------------------------
    def _load(self) -> dict[str, Account]:
        try:
            items = json.loads(self._file.read_text(encoding="utf-8"))
            return {a["address"]: Account(**a) for a in items}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.error("%s cannot be read (%s): no account is used until you sign in again", self._file, exc)
            return {}

    def _save(self) -> None:
        tmp = self._file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump([asdict(a) for a in self._accounts.values()], handle, indent=1)
        os.replace(tmp, self._file)

    def list(self) -> list[Account]:
        with self._lock:
            return sorted(self._accounts.values(), key=lambda a: a.address)

    def for_sender(self, address: str) -> Account | None:
        with self._lock:
            return self._accounts.get(address.lower())

    def remove(self, address: str) -> bool:
        with self._lock:
            account = self._accounts.pop(address.lower(), None)
            if account:
                self._save()
        if account:
            self.vault.delete(account.provider, account.address)
        return account is not None

    # --- tokens --------------------------------------------------------------------------------
    def token(self, address: str, force: bool = False) -> str:
        """A current access token for `address` (`force`: refreshed now, even if the saved one
        has not lapsed); NeedsSignIn or ProviderUnreachable."""
        account = self.for_sender(address)
        if account is None:
            raise NeedsSignIn(address, "no account is signed in for this address")
        if account.state == "needs_sign_in":
            raise NeedsSignIn(address, account.reason)
        module = microsoft if account.provider == "microsoft" else google
        with self._lock:  # one refresh at a time per agent: refresh tokens may rotate
            secret = self.vault.get(account.provider, account.address)
            if secret is None:
                error = NeedsSignIn(address, "the saved sign-in is not in the OS keyring")
            else:
                try:
                    token, renewed = module.access_token(self.config, account.address, secret, force)
                    if renewed:
                        self.vault.put(account.provider, account.address, renewed)
                    return token
                except NeedsSignIn as exc:
                    error = exc
        self._mark(account, error.reason)
        raise error

    def _mark(self, account: Account, reason: str) -> None:
        with self._lock:
            current = self._accounts.get(account.address)
            if current is None or current.state == "needs_sign_in":
                return
            marked = replace(current, state="needs_sign_in", reason=reason)
            self._accounts[account.address] = marked
            self._save()
        log.warning("account %s needs a new sign-in: %s", account.address, reason)
        self.on_needs_sign_in(marked)

    def invalidate(self, address: str, reason: str) -> None:
        """The provider refused a token it had issued (401 on a fresh token): sign in again."""
        account = self.for_sender(address)
        if account:
            self._mark(account, reason)

    # --- signing in ------------------------------------------------------------------------------
    def sign_in_status(self, ident: str) -> SignIn | None:
        return self._sign_ins.get(ident)

    def cancel_sign_in(self, ident: str) -> None:
        stop = self._stops.get(ident)
        if stop:
            stop.set()

    def start_sign_in(self, provider: str, device_code: bool = False) -> SignIn:
        if provider not in PROVIDERS:
            raise SignInError(f"unknown provider {provider!r}: use microsoft or google")
        if device_code and provider != "microsoft":
            raise SignInError("Google does not allow Gmail access through a device code; sign in with a browser")
        self.vault_check()
        attempt = SignIn(secrets.token_hex(8), provider)
        stop = threading.Event()
        self._sign_ins[attempt.id] = attempt
        self._stops[attempt.id] = stop
        if device_code:
            pending, flow = microsoft.begin_device(self.config)
            attempt.user_code, attempt.verification_uri = flow["user_code"], flow["verification_uri"]
            attempt.message = flow.get("message", "")
            run = lambda: microsoft.finish_device(self.config, pending, stop.is_set)  # noqa: E731
        else:
            receiver = LoopbackReceiver(state="")
            try:
                if provider == "microsoft":
                    # Entra ID matches loopback redirects as http://localhost with any port.
                    pending, url = microsoft.begin(self.config, receiver.redirect_uri("localhost"))
                    receiver.state = pending.flow["state"]
                    finish = lambda p: microsoft.finish(self.config, pending, p)  # noqa: E731
                else:
                    flow, url, receiver.state = google.begin(self.config, receiver.redirect_uri())
                    finish = lambda p: google.finish(self.config, flow, p)  # noqa: E731
            except BaseException:
                receiver.close()
                raise
            attempt.auth_url = url
            run = lambda: self._await_browser(receiver, stop, finish)  # noqa: E731
        threading.Thread(target=self._complete, args=(attempt, run), name="postseal-signin", daemon=True).start()
        return attempt

    def vault_check(self) -> None:
        """Refuse before the browser opens, not after, when tokens could not be kept."""
        usable()

    def _await_browser(self, receiver: LoopbackReceiver, stop: threading.Event, finish) -> tuple[str, str]:
        try:
            deadline = time.monotonic() + self.config.sign_in_timeout
            redirect = None
            while redirect is None and not stop.is_set() and time.monotonic() < deadline:
                redirect = receiver.wait(0.5)
            if redirect is None:
                if stop.is_set():
                    raise SignInError("the sign-in was cancelled")
                raise SignInError(
                    f"the sign-in was not finished in the browser within "
                    f"{self.config.sign_in_timeout // 60 or 1} minutes (was the window closed?); "
                    "start it again"
                )
            return finish(redirect.params)
        finally:
            receiver.close()

    def _complete(self, attempt: SignIn, run: Callable[[], tuple[str, str]]) -> None:
        try:
            address, secret = run()
            self.vault.put(attempt.provider, address, secret)
        except (SignInError, ProviderUnreachable, NoKeyring) as exc:
            attempt.state = "cancelled" if "cancelled" in str(exc) else "failed"
            attempt.error = str(exc)
            log.info("sign-in %s (%s) did not complete: %s", attempt.id, attempt.provider, exc)
            return
        except Exception as exc:  # noqa: BLE001 - reported to the person waiting, never a silent hang
            log.exception("sign-in %s failed", attempt.id)
            attempt.state, attempt.error = "failed", f"unexpected error during sign-in: {type(exc).__name__}"
            return
        account = Account(attempt.provider, address, time.time())
        with self._lock:
            self._accounts[address] = account
            self._save()
        attempt.address, attempt.state = address, "signed_in"
        log.info("signed in: %s (%s)", address, attempt.provider)
        self.on_signed_in(account)
