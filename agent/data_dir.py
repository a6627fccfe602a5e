"""The data directory is private: mode 0700, owned by the user who runs the agent.

It holds the outbox, the audit log, the local CA's key, the API token and (without an OS
keyring) the secrets themselves. A folder another user can list or read — created by hand
with the default umask, unpacked from a backup, or handed over by an installer — would give
them all of that. So at start the agent tightens what it owns and says so in the log, and
refuses to start on a folder it does not own or cannot tighten: the user or IT must look.
Windows has no POSIX modes; its profile folders are private by their ACLs.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)


class UnsafeDataDir(Exception):
    """The data directory is not private and cannot be made so; the text says what to do."""


def secure(home: Path) -> None:
    """Tighten `home` (0700), `home/secrets` (0700) and the files in it (0600)."""
    if os.name != "posix":
        return
    _tighten(home, 0o700, "data directory")
    secrets = home / "secrets"
    if secrets.is_dir():
        _tighten(secrets, 0o700, "secrets folder")
        for path in secrets.iterdir():
            if path.is_file():
                _tighten(path, 0o600, "secret file")


def _tighten(path: Path, mode: int, what: str) -> None:
    info = path.stat()
    if info.st_uid != os.getuid():
        raise UnsafeDataDir(
            f"{what} {path} belongs to user id {info.st_uid}, not to you (user id {os.getuid()}): "
            "the agent does not start on it; use your own folder (POSTSEAL_HOME) or have IT give it to you"
        )
    current = stat.S_IMODE(info.st_mode)
    if not current & 0o077:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise UnsafeDataDir(
            f"{what} {path} is mode {current:04o} (open to other users) and cannot be made private "
            f"({exc.strerror or exc}); the agent does not start until it is mode {mode:04o}"
        ) from None
    log.warning("%s %s was mode %04o (open to other users); now %04o", what, path, current, mode)
