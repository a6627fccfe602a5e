"""`key-manifest.json`: for each key of a data directory, the backend that holds it and a check
value (an HMAC of a fixed label under the key, never the key).

One writer at a time (threads of the agent, and a CLI command beside it), under a lock file.
The manifest's "version" is the key store's: release 0.1.0 kept its keys with no manifest
(version 1, unmarked), and the step to version 2 adopts them where they are. A manifest of a
newer release is refused untouched (agent/store_migrations.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agent.private_file import write_private
from agent.secret_store.backends import LABELS, SecretsUnavailable, adopt
from agent.store_migrations import Step, document_version, migrate_document, refuse_newer

log = logging.getLogger(__name__)

MANIFEST = "key-manifest.json"
_threads = threading.RLock()


@contextlib.contextmanager
def locked(home: Path) -> Iterator[None]:
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


def read_manifest(home: Path) -> dict | None:
    """The manifest of `home`, None when it has none; SecretsUnavailable when it is unreadable,
    NewerData when a newer Postseal wrote it."""
    path = home / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SecretsUnavailable(
            f"{path} cannot be read ({exc}): restore it from a backup (it holds no secret), "
            "or delete it so the keys are looked up again; the agent does not start"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise SecretsUnavailable(
            f"{path} is not a key manifest: restore it from a backup, or delete it so the "
            "keys are looked up again; the agent does not start"
        )
    refuse_newer("key store", path, document_version("key store", path, data), MIGRATIONS)
    return data


def carried_forward(home: Path) -> tuple[dict, bool]:
    """The manifest at this version (keys of an earlier version adopted where they are), and
    whether that changed it, so the caller writes it."""
    manifest = read_manifest(home) or {"keys": {}}
    return manifest, migrate_document(manifest, "key store", home / MANIFEST, MIGRATIONS, _Opening(home, manifest))


def write_manifest(home: Path, manifest: dict) -> None:
    write_private(home / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())


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
        found = None if name in keys else adopt(opening.home, name)
        if found:
            keys[name] = found[1]
            adopted.append(f"{name} ({found[1]['backend']})")
    if adopted:
        log.info("keys of an earlier version adopted where they are: %s", ", ".join(adopted))


MIGRATIONS = (
    Step(
        1, "keys as release 0.1.0 kept them: files in secrets/ or OS keyring entries, no manifest", lambda opening: None
    ),
    Step(2, "a manifest naming each key's backend and check value", _adopt_earlier_keys),
)
