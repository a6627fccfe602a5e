"""Start Postseal at login: the per-user mechanism each platform has (XDG autostart on
Linux, a LaunchAgent on macOS, the Run key on Windows). Nothing needs admin rights.

On Linux the .deb also starts the tray for every user (/etc/xdg/autostart); there, "off"
is a user entry of the same name with Hidden=true, since removing the user's own entry
would leave the system one in force."""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import sys
from pathlib import Path

NAME = "postseal-tray"


def command() -> list[str]:
    """`postseal tray` from the same installation as this app."""
    script = Path(sys.executable).with_name("postseal")
    if script.exists():
        return [str(script), "tray"]
    found = shutil.which("postseal")
    return [found, "tray"] if found else [sys.executable, "-m", "gui.tray"]


def _linux_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "autostart" / f"{NAME}.desktop"


def _linux_system_files() -> list[Path]:
    """The entries an installer put for every user (the .deb's /etc/xdg/autostart one)."""
    dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    return [Path(d) / "autostart" / f"{NAME}.desktop" for d in dirs.split(":") if d]


def _hidden(path: Path) -> bool:
    # XDG autostart: an entry with Hidden=true is "deleted"; in the user's folder it also
    # switches off a same-named entry from the system folders, for this user only.
    try:
        return "\nHidden=true" in "\n" + path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def _mac_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / "org.postseal.tray.plist"


def enabled() -> bool:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, r"Software\Microsoft\Windows\CurrentVersion\Run") as key:
                winreg.QueryValueEx(key, NAME)
            return True
        except OSError:
            return False
    if sys.platform == "darwin":
        return _mac_file().exists()
    if _linux_file().exists():
        return not _hidden(_linux_file())
    return any(path.exists() and not _hidden(path) for path in _linux_system_files())


def set_enabled(on: bool) -> None:
    """Raises OSError when the file or registry value cannot be written."""
    argv = command()
    if sys.platform == "win32":
        import subprocess
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, r"Software\Microsoft\Windows\CurrentVersion\Run", 0,
                            winreg.KEY_SET_VALUE) as key:
            if on:
                winreg.SetValueEx(key, NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(argv))
            else:
                try:
                    winreg.DeleteValue(key, NAME)
                except FileNotFoundError:
                    pass
        return
    path = _mac_file() if sys.platform == "darwin" else _linux_file()
    system_entry = sys.platform != "darwin" and any(p.exists() for p in _linux_system_files())
    if not on and not system_entry:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not on:  # the installer starts the tray for everyone: this user opts out
        path.write_text(f"[Desktop Entry]\nType=Application\nName=Postseal\nExec={shlex.join(argv)}\n"
                        "Hidden=true\n", encoding="utf-8")
        return
    if sys.platform == "darwin":
        path.write_bytes(plistlib.dumps({"Label": "org.postseal.tray", "ProgramArguments": argv, "RunAtLoad": True}))
    else:
        path.write_text("[Desktop Entry]\nType=Application\nName=Postseal\n"
                        "Comment=Protects and delivers your outgoing mail\n"
                        f"Exec={shlex.join(argv)}\nIcon=mail-send\nTerminal=false\n"
                        "X-GNOME-Autostart-enabled=true\n", encoding="utf-8")
