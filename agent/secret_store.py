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

The manifest's "version" is the key store's: release 0.1.0 kept its keys with no manifest
(version 1, unmarked), and the step to version 2 adopts them where they are. A manifest of a
newer release is refused untouched (agent/store_migrations.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors

from agent import platform
from agent.private_file import write_private
from agent.store_migrations import Step, document_version, migrate_document, refuse_newer

log = logging.getLogger(__name__)

SERVICE = "postseal"
MANIFEST = "key-manifest.json"
BACKENDS = ("keyring", "file")
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
_NEVER = "Postseal never creates a new key over existing data"
_threads = threading.RLock()
_configured: dict[Path, str] = {}  # data directory → backend for new keys, set at agent start


class SecretsUnavailable(Exception):
    """A key of this data directory cannot be had as it was; the text says which, why and what to do."""


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


def keyring_usable() -> bool:
    """An OS keyring backend is present (it may still be locked: that shows on first use)."""
    backend = keyring.get_keyring()
    names = f"{type(backend).__name__} {type(backend).__module__}".lower()
    return not isinstance(backend, keyring.backends.fail.Keyring) and "null" not in names


def _keyring_allowed() -> bool:
    # Tests and CI never touch the developer's keyring unless a test installs one and asks.
    return os.environ.get("POSTSEAL_KEYRING") != "file" and keyring_usable()


def _label(name: str) -> str:
    return LABELS.get(name, f"secret {name}")


def _account(home: Path, name: str) -> str:
    # One keyring entry per data directory, so two agents (or test homes) never share a key.
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return f"{name}:{digest}"


def _check(name: str, value: bytes) -> str:
    return hmac.new(value, f"postseal key check:{name}".encode(), hashlib.sha256).hexdigest()


# --- the manifest ---------------------------------------------------------------------------
@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One writer of the manifest at a time: threads of the agent, and a CLI command beside it."""
    with _threads:
        handle = os.fdopen(os.open(home / "key-manifest.lock", os.O_RDWR | os.O_CREAT, 0o600), "r+")
        try:
            try:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            except ImportError:  # Windows
                import msvcrt

                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            yield
        finally:
            handle.close()


def _read_manifest(home: Path) -> dict | None:
    path = home / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SecretsUnavailable(f"{path} cannot be read ({exc}): restore it from a backup (it holds no secret), "
                                 "or delete it so the keys are looked up again; the agent does not start") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise SecretsUnavailable(f"{path} is not a key manifest: restore it from a backup, or delete it so the "
                                 "keys are looked up again; the agent does not start")
    refuse_newer("key store", path, document_version("key store", path, data), MIGRATIONS)
    return data


def _carried_forward(home: Path) -> tuple[dict, bool]:
    """The manifest at this version (keys of an earlier version adopted where they are), and
    whether that changed it, so the caller writes it."""
    manifest = _read_manifest(home) or {"keys": {}}
    return manifest, migrate_document(manifest, "key store", home / MANIFEST, MIGRATIONS, _Opening(home, manifest))


def _write_manifest(home: Path, manifest: dict) -> None:
    write_private(home / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())


# --- the two backends -----------------------------------------------------------------------
def _file_path(home: Path, name: str) -> Path:
    return home / "secrets" / name


def _unreachable(name: str, more: int) -> str:
    others = f" (and {more} other key{'s' if more > 1 else ''})" if more else ""
    return f"the {_label(name)}{others} is in the OS keyring, which cannot be reached now"


def _read_file_key(path: Path, name: str) -> bytes:
    try:
        return base64.b64decode(path.read_bytes().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise SecretsUnavailable(f"the {_label(name)} file {path} cannot be read ({exc}): restore it from a backup, "
                                 f"then start Postseal again; {_NEVER}") from None


def _fetch(home: Path, name: str, entry: dict, more: int = 0) -> bytes:
    """The key as the manifest says it is, or SecretsUnavailable saying what changed."""
    label = _label(name)
    recover = f"then start Postseal again; {_NEVER}"
    if entry.get("backend") == "file":
        path = _file_path(home, name)
        if not path.exists():
            raise SecretsUnavailable(f"the {label} file {path} is missing (deleted, or not restored with the data): "
                                     f"put it back from a backup, {recover}")
        value = _read_file_key(path, name)
        where = str(path)
    else:
        if not keyring_usable():
            raise SecretsUnavailable(f"{_unreachable(name, more)}: install, start or unlock "
                                     f"{platform.current().keyring_name}, {recover}")
        try:
            stored = keyring.get_password(SERVICE, entry["account"])
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(f"{_unreachable(name, more)} ({exc}): unlock or start the keyring, "
                                     f"{recover}") from None
        if stored is None:
            raise SecretsUnavailable(f"the {label} is no longer in the OS keyring (entry {SERVICE}/{entry['account']} "
                                     f"was removed): restore it from a backup of the keyring, {recover}")
        value = base64.b64decode(stored)
        where = f"the OS keyring entry {SERVICE}/{entry['account']}"
    if not hmac.compare_digest(_check(name, value), str(entry.get("check", ""))):
        raise SecretsUnavailable(f"the {label} in {where} is not the key this data was written with (it was "
                                 f"changed or replaced): restore the original, {recover}")
    return value


def _store(home: Path, name: str, backend: str, value: bytes) -> dict:
    entry = {"backend": backend, "check": _check(name, value), "created": int(time.time())}
    if backend == "file":
        folder = home / "secrets"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(_file_path(home, name), base64.b64encode(value))
        log.warning("the %s is kept in a 0600 file in %s, beside the data (secrets.backend = \"file\")",
                    _label(name), folder)
        return entry
    if not keyring_usable():
        raise SecretsUnavailable(
            f"this computer has no usable OS keyring to keep the {_label(name)} in: install or unlock one (GNOME "
            "Keyring or KWallet on Linux), or set secrets.backend = \"file\" in config.toml to keep keys in files "
            "beside the data")
    entry["account"] = _account(home, name)
    try:
        keyring.set_password(SERVICE, entry["account"], base64.b64encode(value).decode())
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(f"the OS keyring refused to store the {_label(name)} ({exc}): unlock it, or set "
                                 "secrets.backend = \"file\" in config.toml") from None
    return entry


def _adopt(home: Path, name: str) -> tuple[bytes, dict] | None:
    """A key written before the manifest existed: a file first, then the keyring (as that code
    looked), so that a data directory from an earlier version keeps opening."""
    path = _file_path(home, name)
    if path.exists():
        value = _read_file_key(path, name)
        return value, {"backend": "file", "check": _check(name, value), "created": int(time.time())}
    if not _keyring_allowed():
        return None
    account = _account(home, name)
    try:
        stored = keyring.get_password(SERVICE, account)
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(f"the OS keyring cannot be read now ({exc}), and it may hold the {_label(name)} "
                                 f"of this data: unlock or start it, then start Postseal again; {_NEVER}") from None
    if stored is None:
        return None
    value = base64.b64decode(stored)
    return value, {"backend": "keyring", "check": _check(name, value), "created": int(time.time()), "account": account}


@dataclass(frozen=True)
class _Opening:
    home: Path
    manifest: dict


def _adopt_earlier_keys(opening: _Opening) -> None:
    """Release 0.1.0 kept each key in a file in secrets/ or in an OS keyring entry, with no
    manifest: every one found gets its entry and check value, and stays where it is. (A
    manifest of a build before versions, marked 1, keeps its entries and is completed.)"""
    keys = opening.manifest["keys"]
    adopted = []
    for name in LABELS:
        found = None if name in keys else _adopt(opening.home, name)
        if found:
            keys[name] = found[1]
            adopted.append(f"{name} ({found[1]['backend']})")
    if adopted:
        log.info("keys of an earlier version adopted where they are: %s", ", ".join(adopted))


MIGRATIONS = (
    Step(1, "keys as release 0.1.0 kept them: files in secrets/ or OS keyring entries, no manifest",
         lambda opening: None),
    Step(2, "a manifest naming each key's backend and check value", _adopt_earlier_keys),
)


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
    _read_manifest(home)


def open_store(home: Path, backend: str) -> SecretsStatus:
    """At agent start: adopt keys of an earlier version, check every key against the manifest
    (SecretsUnavailable when one is missing or different), and say where the keys are."""
    if backend not in BACKENDS:
        raise SecretsUnavailable(f"secrets.backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    _configured[home.resolve()] = backend
    with _locked(home):
        manifest, changed = _carried_forward(home)
        keys = manifest["keys"]
        in_keyring = sum(1 for entry in keys.values() if entry.get("backend") == "keyring")
        for name in sorted(keys, key=lambda n: list(LABELS).index(n) if n in LABELS else len(LABELS)):
            _fetch(home, name, keys[name], in_keyring - 1)  # the outbox key first: it matters most
        new_keys = _new_key_backend(home, keys)
        if new_keys == "keyring" and not keys and not keyring_usable():
            raise SecretsUnavailable(
                "this computer has no usable OS keyring to keep Postseal's keys in: install or unlock one (GNOME "
                "Keyring or KWallet on Linux), or set secrets.backend = \"file\" in config.toml to keep keys in files "
                "beside the data; the agent does not start")
        if changed:  # only once every key it names was found as it was
            _write_manifest(home, manifest)
    return _status(home, keys, backend, new_keys)


def _status(home: Path, keys: dict, configured: str, new_keys: str) -> SecretsStatus:
    in_files = sorted(n for n, e in keys.items() if e.get("backend") == "file")
    if not in_files and new_keys != "file":
        return SecretsStatus("keyring")
    warning = (f"keys are kept in files in {home / 'secrets'}, beside the data they protect: a copy of the data "
               "folder opens the outbox")
    if configured == "keyring" and _keyring_allowed():
        warning += ("; an OS keyring is available now, but the keys stay in their files so that nothing already "
                    "stored becomes unreadable")
        log.warning("an OS keyring is available now, and secrets.backend is \"keyring\", but this data directory's "
                    "keys (%s) stay in %s: nothing already stored may become unreadable", ", ".join(in_files),
                    home / "secrets")
    elif configured == "file":
        warning += " (secrets.backend = \"file\")"
    else:
        warning += "; keep them on an encrypted disk, or use a computer with an OS keyring"
    return SecretsStatus("file", warning)


def get_or_create(home: Path, name: str, nbytes: int = 32, in_use: Callable[[], str] | None = None) -> bytes:
    """The secret `name` of this data directory, created on first use.

    `in_use` says what existing data the secret protects ("" for none): a secret that is in no
    backend is created only when nothing depends on it."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(home):
        manifest, changed = _carried_forward(home)
        entry = manifest["keys"].get(name)
        if entry is not None:
            value = _fetch(home, name, entry)
            if changed:
                _write_manifest(home, manifest)
            return value
        found = _adopt(home, name)
        if found is None:
            what = in_use() if in_use else ""
            if what:
                raise SecretsUnavailable(
                    f"the {_label(name)} is in no keyring entry and no file ({_file_path(home, name)}) although {what}: "
                    f"restore it from a backup, or move that data away to start afresh; {_NEVER}")
            value = secrets.token_bytes(nbytes)
            entry = _store(home, name, _new_key_backend(home, manifest["keys"]), value)
        else:
            value, entry = found
        manifest["keys"][name] = entry
        _write_manifest(home, manifest)
        return value


def put(home: Path, name: str, value: bytes) -> None:
    """Keep a secret the user sets (the relay password), replacing the one before, where this
    data directory keeps its keys; the manifest records its check value like a key's."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(home):
        manifest, _ = _carried_forward(home)
        manifest["keys"][name] = _store(home, name, _new_key_backend(home, manifest["keys"]), value)
        _write_manifest(home, manifest)


def get(home: Path, name: str) -> bytes | None:
    """A secret the user set, or None when none was kept (SecretsUnavailable when the manifest
    names one that cannot be had as it was)."""
    with _locked(home):
        manifest = _read_manifest(home)
        entry = manifest["keys"].get(name) if manifest else None
        return _fetch(home, name, entry) if entry is not None else None
