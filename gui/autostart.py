"""Start Postseal at login: the per-user mechanism each platform has (XDG autostart on
Linux, a LaunchAgent on macOS, the Run key on Windows; agent/platform). Nothing needs admin
rights. An installer may also start the tray for every user (docs/deploy.md); this is the
user's own switch in Settings."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from agent import platform

NAME = "postseal-tray"


def command() -> list[str]:
    """`postseal tray` from the same installation as this app."""
    script = Path(sys.executable).with_name("postseal" + platform.current().executable_suffix)
    if script.exists():
        return [str(script), "tray"]
    found = shutil.which("postseal")
    return [found, "tray"] if found else [sys.executable, "-m", "gui.tray"]


def enabled() -> bool:
    return platform.current().autostart_enabled(NAME)


def set_enabled(on: bool) -> None:
    """Raises OSError when the file or registry value cannot be written."""
    platform.current().set_autostart(NAME, command(), on)
