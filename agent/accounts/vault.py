"""Where sign-in tokens live: the OS keyring, and nowhere else.

A refresh token lets its holder send mail as the clinician for months, so unlike the
agent's own keys (agent/secret_store/) it never falls back to a file: on a computer without a
usable keyring (Keychain, Windows Credential Locker, Secret Service / KWallet) sign-in is
refused with what to do instead. One keyring entry per account and data directory.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "postseal-accounts"


class NoKeyring(Exception):
    """No usable OS keyring: tokens cannot be kept safely on this computer."""


def _entry(home: Path, provider: str, address: str) -> str:
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return f"{provider}:{address.lower()}:{digest}"


def usable() -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring) or "null" in type(backend).__module__.lower():
        raise NoKeyring(
            "this computer has no OS keyring, and Postseal keeps sign-in tokens only there: "
            "unlock or install one (GNOME Keyring or KWallet on Linux), then sign in again"
        )
    return backend


class Vault:
    def __init__(self, home: Path) -> None:
        self.home = home

    def put(self, provider: str, address: str, secret: str) -> None:
        backend = usable()
        try:
            backend.set_password(SERVICE, _entry(self.home, provider, address), secret)
        except keyring.errors.KeyringError as exc:
            raise NoKeyring(
                f"the OS keyring refused to store the sign-in ({exc}); unlock it and sign in again"
            ) from None

    def get(self, provider: str, address: str) -> str | None:
        try:
            return usable().get_password(SERVICE, _entry(self.home, provider, address))
        except keyring.errors.KeyringError as exc:
            log.warning("keyring unreadable for %s: %s", address, exc)
            return None

    def delete(self, provider: str, address: str) -> None:
        try:
            usable().delete_password(SERVICE, _entry(self.home, provider, address))
        except (keyring.errors.PasswordDeleteError, NoKeyring):
            pass
