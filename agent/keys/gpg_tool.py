"""Finding GnuPG: the agent's OpenPGP key store, signing and encryption run `gpg`, `gpgconf`
and `gpg-agent` (pgp_store.py, python-gnupg).

Decision (issue 15): without them the agent does not start. Starting without OpenPGP would
route every recipient whose key we hold to another method than the one policy picked, and
leave the user's own keys unusable — a quiet downgrade. Not starting fails closed and loses
nothing: mail already accepted stays in the encrypted outbox, untouched, and goes out once
GnuPG is installed; clients see "agent not reachable" and hold new mail. The user (or IT)
gets one line saying what is missing and how to install it, never a traceback.

Where GnuPG comes from (docs/deploy.md): on Linux the .deb depends on `gnupg`; on macOS and
Windows it is required, not bundled — GPG Suite or Homebrew, Gpg4win — so its security
updates come from its own maintainers. Programs started at login do not see the PATH a shell
gives (launchd's is /usr/bin:/bin:/usr/sbin:/sbin; the Windows installers of GnuPG do not
always add themselves to it), so those installers' folders are also searched, and the folder
found is put in front of this process's PATH for everything that runs gpg after it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

TOOLS = ("gpg", "gpgconf", "gpg-agent")

# Where GnuPG's own installers put it, per platform, beyond PATH.
_FOLDERS = {
    "darwin": ("/opt/homebrew/bin", "/usr/local/bin", "/usr/local/MacGPG2/bin"),
    "win32": (
        r"%ProgramFiles(x86)%\GnuPG\bin",
        r"%ProgramFiles%\GnuPG\bin",
        r"%ProgramFiles(x86)%\Gpg4win\bin",
        r"%ProgramFiles%\Gpg4win\bin",
    ),
}
_INSTALL = {
    "darwin": "install GnuPG (GPG Suite from gpgtools.org, or `brew install gnupg`)",
    "win32": "install GnuPG (Gpg4win, or `winget install GnuPG.Gpg4win`)",
}
_INSTALL_LINUX = "install GnuPG (Debian/Ubuntu: `apt install gnupg`; Fedora: `dnf install gnupg2`)"


class GpgMissing(Exception):
    """GnuPG is not installed where the agent can run it; the text says what to install."""


class HomeTooDeep(Exception):
    """A GnuPG home where gpg-agent cannot make its sockets; the text names the folder."""


def known_folders(platform: str = sys.platform, environ: Mapping[str, str] | None = None) -> list[Path]:
    environ = os.environ if environ is None else environ
    folders = []
    for folder in _FOLDERS.get(platform, ()):
        for name, value in environ.items():  # os.path.expandvars does not expand %VAR% on POSIX
            folder = folder.replace(f"%{name}%", value)
        if "%" not in folder:
            folders.append(Path(folder))
    return folders


def locate(path: str | None = None, platform: str = sys.platform, folders: list[Path] | None = None) -> Path:
    """The folder holding gpg, gpgconf and gpg-agent: the first on `path` (default $PATH), else
    the first of the installers' folders. Raises GpgMissing naming what is missing."""
    path = os.environ.get("PATH", os.defpath) if path is None else path
    searched = known_folders(platform) if folders is None else folders
    first_gpg = None
    for folder in [*(Path(entry) for entry in path.split(os.pathsep) if entry), *searched]:
        if shutil.which("gpg", path=str(folder)) is None:
            continue
        first_gpg = first_gpg or folder
        if all(shutil.which(tool, path=str(folder)) for tool in TOOLS[1:]):
            return folder
    if first_gpg is not None:
        missing = [tool for tool in TOOLS[1:] if not shutil.which(tool, path=str(first_gpg))]
        what = f"{' and '.join(missing)} not found beside {first_gpg / 'gpg'}"
    else:
        what = "gpg not found on PATH" + (f" or in {', '.join(map(str, searched))}" if searched else "")
    raise GpgMissing(
        f"{what}: {_INSTALL.get(platform, _INSTALL_LINUX)}. OpenPGP delivery and the agent's "
        "key store need GnuPG, so the agent does not start without it; mail already in the "
        "outbox stays there until it does"
    )


def require(folders: list[Path] | None = None) -> Path:
    """locate(), and make the folder found the first place this process looks for gpg."""
    folder = locate(folders=folders)
    entries = os.environ.get("PATH", "").split(os.pathsep)
    if str(folder) not in entries:
        os.environ["PATH"] = os.pathsep.join([str(folder), *[e for e in entries if e]])
    return folder


# A Unix socket's path has at most 107 bytes on Linux (103 on macOS); gpg-agent's longest
# socket name in a GnuPG home is "S.gpg-agent.browser". GnuPG puts its sockets under
# /run/user/UID when that folder exists; otherwise in the home, where a long data folder
# (a deep temporary folder, say) makes every gpg call fail with "No agent running".
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
LONGEST_SOCKET = "S.gpg-agent.browser"


def check_socket_room(gnupg_home: Path, run_dir: Path | None = None) -> None:
    """HomeTooDeep naming the folder when gpg-agent's sockets could not be made in it."""
    if not hasattr(os, "getuid"):
        return  # Windows: gpg-agent's sockets are emulated, without this limit
    if (run_dir or Path(f"/run/user/{os.getuid()}")).is_dir():
        return
    needed = len(os.fsencode(gnupg_home / LONGEST_SOCKET))
    if needed > SOCKET_PATH_MAX:
        raise HomeTooDeep(
            f"gpg cannot run in {gnupg_home}: its sockets' paths would be {needed} bytes, over the "
            f"{SOCKET_PATH_MAX} a socket path may have; use a shorter data folder (POSTSEAL_HOME)"
        )
