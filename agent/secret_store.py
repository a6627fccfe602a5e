"""Secrets the agent keeps outside its data files: the outbox key, the audit signing key.

They live in the OS keyring (Keychain, Windows Credential Locker, Secret Service). A headless
Linux box often has no keyring at all; then, and only then, the secret goes to a 0600 file
under `$POSTSEAL_HOME/secrets/` and the log says so, because an admin must know that the
outbox key sits beside the outbox. `POSTSEAL_KEYRING=file` forces the file store (tests, CI).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "postseal"


def _use_os_keyring() -> bool:
    if os.environ.get("POSTSEAL_KEYRING") == "file":
        return False
    backend = keyring.get_keyring()
    names = {type(backend).__name__, type(backend).__module__}
    return not isinstance(backend, keyring.backends.fail.Keyring) and "null" not in str(names).lower()


def _account(home: Path, name: str) -> str:
    # One keyring entry per data directory, so two agents (or test homes) never share a key.
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return f"{name}:{digest}"


def get_or_create(home: Path, name: str, nbytes: int = 32) -> bytes:
    """Return the secret `name` for this data directory, creating it on first use."""
    if _use_os_keyring():
        account = _account(home, name)
        try:
            stored = keyring.get_password(SERVICE, account)
            if stored is None:
                stored = base64.b64encode(secrets.token_bytes(nbytes)).decode()
                keyring.set_password(SERVICE, account, stored)
            return base64.b64decode(stored)
        except keyring.errors.KeyringError as exc:
            log.warning("OS keyring unusable (%s); keeping %s in a 0600 file instead", exc, name)
    return _file_secret(home, name, nbytes)


def _file_secret(home: Path, name: str, nbytes: int) -> bytes:
    folder = home / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if path.exists():
        return base64.b64decode(path.read_bytes())
    log.warning("no OS keyring: secret %s kept in %s (mode 0600)", name, path)
    value = secrets.token_bytes(nbytes)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(value))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return value


def put(home: Path, name: str, value: bytes) -> None:
    """Keep `value` as the secret `name` of this data directory (replacing what was there),
    in the OS keyring, else in a 0600 file under `secrets/` (as get_or_create does)."""
    encoded = base64.b64encode(value).decode()
    if _use_os_keyring():
        try:
            keyring.set_password(SERVICE, _account(home, name), encoded)
            return
        except keyring.errors.KeyringError as exc:
            log.warning("OS keyring unusable (%s); keeping %s in a 0600 file instead", exc, name)
    folder = home / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / f"{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(encoded.encode())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)


def get(home: Path, name: str) -> bytes | None:
    """The secret `name` of this data directory, or None when none was kept."""
    if _use_os_keyring():
        try:
            stored = keyring.get_password(SERVICE, _account(home, name))
            if stored is not None:
                return base64.b64decode(stored)
        except keyring.errors.KeyringError as exc:
            log.warning("OS keyring unusable (%s); looking for %s in a file instead", exc, name)
    path = home / "secrets" / name
    return base64.b64decode(path.read_bytes()) if path.exists() else None
