"""Secrets the agent keeps outside its data files: the outbox, audit and stamp keys, the
passphrases of the user's own S/MIME and OpenPGP keys, the local SMTP password, the relay
password. (The add-in pairing key of earlier versions is only adopted and checked: pairing
tokens now come from a key held in memory, see ingress/pairing.py.)

Where new ones go is `secrets.backend`: "keyring" (the default) is the OS keyring (Keychain,
Windows Credential Locker, Secret Service); on a computer without a usable one the agent does
not start on a data directory that has no keys yet, rather than quietly putting them beside
the data. "file" is 0600 files under `$POSTSEAL_HOME/secrets/`: anyone who copies the data
directory can then open the outbox, so it is an explicit choice, reported by `GET /v1/health`
and the tray. `POSTSEAL_KEYRING=file` chooses it too (tests, CI) unless managed policy
locks the setting.

`key-manifest.json` names, for each key, the backend that holds it and a check value (an
HMAC of a fixed label under the key, never the key). Every load fetches the key from that
backend and compares: a keyring that is locked or gone, a deleted file or a different value
stops the agent with what changed and how to recover, because a new key would make every
message already accepted unreadable (DESIGN.md: no key is ever replaced over data it
protects). Keys stay where they were made: a keyring that appears later does not move them.

This module is the store's public surface and decides where new keys go; the manifest, its
lock and its versions (keys of release 0.1.0 adopted where they are) are in manifest.py, the
keyring and the files in backends.py.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.secret_store.backends import (
    LABELS,
    NEVER,
    SecretsUnavailable,
    adopt,
    fetch,
    file_path,
    keyring_allowed,
    keyring_usable,
    label_of,
    store,
)
from agent.secret_store.manifest import MANIFEST, carried_forward, locked, read_manifest, write_manifest

log = logging.getLogger(__name__)

__all__ = [
    "BACKENDS",
    "MANIFEST",
    "SecretsStatus",
    "SecretsUnavailable",
    "check_version",
    "configured_backend",
    "get",
    "get_or_create",
    "keyring_usable",
    "open_store",
    "put",
]

BACKENDS = ("keyring", "file")
_configured: dict[Path, str] = {}  # data directory → backend for new keys, set at agent start


@dataclass(frozen=True)
class SecretsStatus:
    backend: str  # where this data directory's keys are: keyring | file
    warning: str = ""  # set when keys sit in files beside the data

    def to_json(self) -> dict[str, str]:
        return {"backend": self.backend, "warning": self.warning}


def configured_backend(backend: str, locked: frozenset[str] = frozenset()) -> str:
    """The backend for new keys: the config's, or "file" under POSTSEAL_KEYRING=file (tests, CI)
    unless managed policy fixed it."""
    if os.environ.get("POSTSEAL_KEYRING") == "file" and "secrets.backend" not in locked:
        return "file"
    return backend


def _new_key_backend(home: Path, keys: dict) -> str:
    """New keys join the existing ones; a data directory without keys follows the config."""
    held = {entry.get("backend") for entry in keys.values()}
    if held:
        return "file" if "file" in held else "keyring"
    configured = _configured.get(home.resolve())
    if configured is None:  # a CLI command without a running agent: the config on disk decides
        from agent import config as config_mod

        config = config_mod.load(home)
        configured = configured_backend(config.secrets.backend, config.locked)
    return configured


# --- the public surface -----------------------------------------------------------------------
def check_version(home: Path) -> None:
    """NewerData when the key store in `home` was written by a newer Postseal (nothing is changed)."""
    read_manifest(home)


def open_store(home: Path, backend: str) -> SecretsStatus:
    """At agent start: adopt keys of an earlier version, check every key against the manifest
    (SecretsUnavailable when one is missing or different), and say where the keys are."""
    if backend not in BACKENDS:
        raise SecretsUnavailable(f"secrets.backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    _configured[home.resolve()] = backend
    with locked(home):
        manifest, changed = carried_forward(home)
        keys = manifest["keys"]
        in_keyring = sum(1 for entry in keys.values() if entry.get("backend") == "keyring")
        for name in sorted(keys, key=lambda n: list(LABELS).index(n) if n in LABELS else len(LABELS)):
            fetch(home, name, keys[name], in_keyring - 1)  # the outbox key first: it matters most
        new_keys = _new_key_backend(home, keys)
        if new_keys == "keyring" and not keys and not keyring_usable():
            raise SecretsUnavailable(
                "this computer has no usable OS keyring to keep Postseal's keys in: install or unlock one (GNOME "
                'Keyring or KWallet on Linux), or set secrets.backend = "file" in config.toml to keep keys in files '
                "beside the data; the agent does not start"
            )
        if changed:  # only once every key it names was found as it was
            write_manifest(home, manifest)
    return _status(home, keys, backend, new_keys)


def _status(home: Path, keys: dict, configured: str, new_keys: str) -> SecretsStatus:
    in_files = sorted(n for n, e in keys.items() if e.get("backend") == "file")
    if not in_files and new_keys != "file":
        return SecretsStatus("keyring")
    warning = (
        f"keys are kept in files in {home / 'secrets'}, beside the data they protect: a copy of the data "
        "folder opens the outbox"
    )
    if configured == "keyring" and keyring_allowed():
        warning += (
            "; an OS keyring is available now, but the keys stay in their files so that nothing already "
            "stored becomes unreadable"
        )
        log.warning(
            'an OS keyring is available now, and secrets.backend is "keyring", but this data directory\'s '
            "keys (%s) stay in %s: nothing already stored may become unreadable",
            ", ".join(in_files),
            home / "secrets",
        )
    elif configured == "file":
        warning += ' (secrets.backend = "file")'
    else:
        warning += "; keep them on an encrypted disk, or use a computer with an OS keyring"
    return SecretsStatus("file", warning)


def get_or_create(home: Path, name: str, nbytes: int = 32, in_use: Callable[[], str] | None = None) -> bytes:
    """The secret `name` of this data directory, created on first use.

    `in_use` says what existing data the secret protects ("" for none): a secret that is in no
    backend is created only when nothing depends on it."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locked(home):
        manifest, changed = carried_forward(home)
        entry = manifest["keys"].get(name)
        if entry is not None:
            value = fetch(home, name, entry)
            if changed:
                write_manifest(home, manifest)
            return value
        found = adopt(home, name)
        if found is None:
            what = in_use() if in_use else ""
            if what:
                raise SecretsUnavailable(
                    f"the {label_of(name)} is in no keyring entry and no file ({file_path(home, name)}) although {what}: "
                    f"restore it from a backup, or move that data away to start afresh; {NEVER}"
                )
            value = secrets.token_bytes(nbytes)
            entry = store(home, name, _new_key_backend(home, manifest["keys"]), value)
        else:
            value, entry = found
        manifest["keys"][name] = entry
        write_manifest(home, manifest)
        return value


def put(home: Path, name: str, value: bytes) -> None:
    """Keep a secret the user sets (the relay password), replacing the one before, where this
    data directory keeps its keys; the manifest records its check value like a key's."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locked(home):
        manifest, _ = carried_forward(home)
        manifest["keys"][name] = store(home, name, _new_key_backend(home, manifest["keys"]), value)
        write_manifest(home, manifest)


def get(home: Path, name: str) -> bytes | None:
    """A secret the user set, or None when none was kept (SecretsUnavailable when the manifest
    names one that cannot be had as it was)."""
    with locked(home):
        manifest = read_manifest(home)
        entry = manifest["keys"].get(name) if manifest else None
        return fetch(home, name, entry) if entry is not None else None
