"""Linux (and other Unix desktops that follow freedesktop.org)."""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import socket
from collections.abc import Callable
from pathlib import Path

from agent.platform import policy_files
from agent.platform.base import ManagedPolicy, NetworkWatch, Platform

log = logging.getLogger(__name__)

POLICY_FILE = Path("/etc/postseal/policy.json")  # the .deb creates /etc/postseal; IT's tool writes the file

# Native-host manifest folders per browser: (user folder under XDG config, system folder).
NATIVE_HOST_FOLDERS = {
    "chrome": ("google-chrome", "/etc/opt/chrome/native-messaging-hosts"),
    "chromium": ("chromium", "/etc/chromium/native-messaging-hosts"),
    "edge": ("microsoft-edge", "/etc/opt/edge/native-messaging-hosts"),
}

# linux/rtnetlink.h multicast groups: link, IPv4/IPv6 address and route changes (what
# NetworkManager and systemd-networkd produce when Wi-Fi reconnects or a cable is plugged in).
_RTMGRP_LINK, _RTMGRP_IPV4_IFADDR, _RTMGRP_IPV4_ROUTE = 0x1, 0x10, 0x40
_RTMGRP_IPV6_IFADDR, _RTMGRP_IPV6_ROUTE = 0x100, 0x400
_GROUPS = _RTMGRP_LINK | _RTMGRP_IPV4_IFADDR | _RTMGRP_IPV4_ROUTE | _RTMGRP_IPV6_IFADDR | _RTMGRP_IPV6_ROUTE


def _hidden(path: Path) -> bool:
    # XDG autostart: an entry with Hidden=true is "deleted"; in the user's folder it also
    # switches off a same-named entry from the system folders, for this user only.
    try:
        return "\nHidden=true" in "\n" + path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def _xdg_config(home: Path | None = None) -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or (home or Path.home()) / ".config")


class NetlinkWatch(NetworkWatch):
    """An rtnetlink socket. The messages are not parsed: any change is only a reason to
    probe the relay now."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.on_change = on_change
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> bool:
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            sock.bind((0, _GROUPS))
            sock.setblocking(False)
        except OSError as exc:
            log.info("no network change events (%s); the offline probe alone finds the network", exc)
            return False
        self._sock, self._loop = sock, asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)
        return True

    def _readable(self) -> None:
        assert self._sock is not None
        try:
            while self._sock.recv(65536):  # drain the burst one change produces
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:  # ENOBUFS after a flood: still "something changed"
            log.debug("netlink: %s", exc)
        self.on_change()

    def close(self) -> None:
        if self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None


class Linux(Platform):
    name = "linux"
    keyring_name = "the Secret Service keyring (GNOME Keyring, KWallet)"

    def managed_policy(self) -> ManagedPolicy | None:
        return policy_files.read(POLICY_FILE)

    def _autostart_file(self, name: str) -> Path:
        return _xdg_config() / "autostart" / f"{name}.desktop"

    def _system_autostart_files(self, name: str) -> list[Path]:
        """The entries an installer put for every user (the .deb's /etc/xdg/autostart one)."""
        dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        return [Path(d) / "autostart" / f"{name}.desktop" for d in dirs.split(":") if d]

    def autostart_enabled(self, name: str) -> bool:
        own = self._autostart_file(name)
        if own.exists():
            return not _hidden(own)
        return any(path.exists() and not _hidden(path) for path in self._system_autostart_files(name))

    def set_autostart(self, name: str, argv: list[str], on: bool) -> None:
        # With an installer's entry for everyone, "off" is the user's own entry of the same
        # name with Hidden=true: removing the user's entry would leave the system one in force.
        path = self._autostart_file(name)
        system_entry = any(p.exists() for p in self._system_autostart_files(name))
        if not on and not system_entry:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if not on:
            path.write_text(
                f"[Desktop Entry]\nType=Application\nName=Postseal\nExec={shlex.join(argv)}\nHidden=true\n",
                encoding="utf-8",
            )
            return
        path.write_text(
            "[Desktop Entry]\nType=Application\nName=Postseal\n"
            "Comment=Protects and delivers your outgoing mail\n"
            f"Exec={shlex.join(argv)}\nIcon=mail-send\nTerminal=false\n"
            "X-GNOME-Autostart-enabled=true\n",
            encoding="utf-8",
        )

    def native_host_folder(self, browser: str, system: bool, home: Path) -> Path:
        user, machine = NATIVE_HOST_FOLDERS[browser]
        return Path(machine) if system else _xdg_config(home) / user / "NativeMessagingHosts"

    def network_watch(self, on_change: Callable[[], None]) -> NetworkWatch | None:
        return NetlinkWatch(on_change)

    def ca_trust_steps(self, ca_file: Path) -> list[str]:
        # Chrome, Chromium and Edge on Linux trust what is in the user's NSS database; Outlook
        # on the web runs the add-in in the browser, so that is where the CA must be.
        db = Path.home() / ".pki" / "nssdb"
        return [
            f"mkdir -p {shlex.quote(str(db))}",
            f"certutil -d sql:{shlex.quote(str(db))} -A -t C,, -n 'Postseal local CA' -i {shlex.quote(str(ca_file))}",
        ]
