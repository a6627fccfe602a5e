"""The two places a key of the secret store can be: the OS keyring and 0600 files.

Fetching a key as the manifest describes it (and saying what changed when it is not there as
it was), storing a new one, and finding one that an earlier version left without a manifest.
Which backend new keys go to, and the manifest itself, are the package's (__init__.py,
manifest.py); this module only reads and writes where it is told.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import time
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors

from agent import platform
from agent.private_file import write_private

log = logging.getLogger(__name__)

SERVICE = "postseal"
# What each key is called in messages; also the keys looked for in a data directory written
# before the manifest existed.
LABELS = {
    "outbox-key": "outbox key",
    "audit-key": "audit log key",
    "stamp-key": "stamp signing key",
    "audit-export-key": "audit export signing key",
    "smime-identity-key": "S/MIME identity key passphrase",
    "pgp-key-passphrase": "OpenPGP key passphrase",
    "smtp-password": "local SMTP submission password",
    "addin-pairing": "Outlook add-in pairing secret",
    "relay-password": "relay password",
    "portal-local-credential": "embedded portal's agent credential",
    "portal-credential": "portal agent credential (from enrolment)",
}
NEVER = "Postseal never creates a new key over existing data"


class SecretsUnavailable(Exception):
    """A key of this data directory cannot be had as it was; the text says which, why and what to do."""


def keyring_usable() -> bool:
    """An OS keyring backend is present (it may still be locked: that shows on first use)."""
    backend = keyring.get_keyring()
    names = f"{type(backend).__name__} {type(backend).__module__}".lower()
    return not isinstance(backend, keyring.backends.fail.Keyring) and "null" not in names


def keyring_allowed() -> bool:
    """Tests and CI never touch the developer's keyring unless a test installs one and asks."""
    return os.environ.get("POSTSEAL_KEYRING") != "file" and keyring_usable()


def label_of(name: str) -> str:
    return LABELS.get(name, f"secret {name}")


def file_path(home: Path, name: str) -> Path:
    return home / "secrets" / name


def _account(home: Path, name: str) -> str:
    # One keyring entry per data directory, so two agents (or test homes) never share a key.
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return f"{name}:{digest}"


def _check(name: str, value: bytes) -> str:
    return hmac.new(value, f"postseal key check:{name}".encode(), hashlib.sha256).hexdigest()


def _unreachable(name: str, more: int) -> str:
    others = f" (and {more} other key{'s' if more > 1 else ''})" if more else ""
    return f"the {label_of(name)}{others} is in the OS keyring, which cannot be reached now"


def _read_file_key(path: Path, name: str) -> bytes:
    try:
        return base64.b64decode(path.read_bytes().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise SecretsUnavailable(
            f"the {label_of(name)} file {path} cannot be read ({exc}): restore it from a backup, "
            f"then start Postseal again; {NEVER}"
        ) from None


def fetch(home: Path, name: str, entry: dict, more: int = 0) -> bytes:
    """The key as the manifest says it is, or SecretsUnavailable saying what changed."""
    label = label_of(name)
    recover = f"then start Postseal again; {NEVER}"
    if entry.get("backend") == "file":
        path = file_path(home, name)
        if not path.exists():
            raise SecretsUnavailable(
                f"the {label} file {path} is missing (deleted, or not restored with the data): "
                f"put it back from a backup, {recover}"
            )
        value = _read_file_key(path, name)
        where = str(path)
    else:
        if not keyring_usable():
            raise SecretsUnavailable(
                f"{_unreachable(name, more)}: install, start or unlock {platform.current().keyring_name}, {recover}"
            )
        try:
            stored = keyring.get_password(SERVICE, entry["account"])
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(
                f"{_unreachable(name, more)} ({exc}): unlock or start the keyring, {recover}"
            ) from None
        if stored is None:
            raise SecretsUnavailable(
                f"the {label} is no longer in the OS keyring (entry {SERVICE}/{entry['account']} "
                f"was removed): restore it from a backup of the keyring, {recover}"
            )
        value = base64.b64decode(stored)
        where = f"the OS keyring entry {SERVICE}/{entry['account']}"
    if not hmac.compare_digest(_check(name, value), str(entry.get("check", ""))):
        raise SecretsUnavailable(
            f"the {label} in {where} is not the key this data was written with (it was "
            f"changed or replaced): restore the original, {recover}"
        )
    return value


def store(home: Path, name: str, backend: str, value: bytes) -> dict:
    entry = {"backend": backend, "check": _check(name, value), "created": int(time.time())}
    if backend == "file":
        folder = home / "secrets"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(file_path(home, name), base64.b64encode(value))
        log.warning(
            'the %s is kept in a 0600 file in %s, beside the data (secrets.backend = "file")', label_of(name), folder
        )
        return entry
    if not keyring_usable():
        raise SecretsUnavailable(
            f"this computer has no usable OS keyring to keep the {label_of(name)} in: install or unlock one (GNOME "
            'Keyring or KWallet on Linux), or set secrets.backend = "file" in config.toml to keep keys in files '
            "beside the data"
        )
    entry["account"] = _account(home, name)
    try:
        keyring.set_password(SERVICE, entry["account"], base64.b64encode(value).decode())
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(
            f"the OS keyring refused to store the {label_of(name)} ({exc}): unlock it, or set "
            'secrets.backend = "file" in config.toml'
        ) from None
    return entry


def adopt(home: Path, name: str) -> tuple[bytes, dict] | None:
    """A key written before the manifest existed: a file first, then the keyring (as that code
    looked), so that a data directory from an earlier version keeps opening."""
    path = file_path(home, name)
    if path.exists():
        value = _read_file_key(path, name)
        return value, {"backend": "file", "check": _check(name, value), "created": int(time.time())}
    if not keyring_allowed():
        return None
    account = _account(home, name)
    try:
        stored = keyring.get_password(SERVICE, account)
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(
            f"the OS keyring cannot be read now ({exc}), and it may hold the {label_of(name)} "
            f"of this data: unlock or start it, then start Postseal again; {NEVER}"
        ) from None
    if stored is None:
        return None
    value = base64.b64decode(stored)
    return value, {"backend": "keyring", "check": _check(name, value), "created": int(time.time()), "account": account}
