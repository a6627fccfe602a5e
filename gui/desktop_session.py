"""Whether a graphical session is there for the tray app, asked before Qt is.

Without one, Qt's xcb plugin aborts the whole process (SIGABRT, exit 134) after printing
"Reinstalling the application may fix this problem" — untrue and alarming. So the tray (gui/launch.py)
looks first, the way Qt itself decides (QT_QPA_PLATFORM, else Wayland, else X11), and says in
one line that it needs a desktop session. macOS and Windows always have one for a logged-in
user, so the check is Linux (and other X11/Wayland systems) only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Qt platforms that need no display server: a test's or a kiosk's own choice.
_HEADLESS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def missing(env: dict[str, str] | None = None, platform: str = sys.platform) -> str:
    """Why no desktop session is reachable, or "" when the tray can start."""
    env = dict(os.environ) if env is None else env
    if platform in ("darwin", "win32"):
        return ""
    chosen = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if chosen in _HEADLESS:
        return ""
    wayland, display = env.get("WAYLAND_DISPLAY", ""), env.get("DISPLAY", "")
    if wayland and _wayland_socket(wayland, env):
        return ""
    if display and _x_display_present(display):
        return ""
    if display or wayland:
        return (
            f"no desktop session answers here (DISPLAY={display or 'unset'}, "
            f"WAYLAND_DISPLAY={wayland or 'unset'} name no running display server)"
        )
    return "no desktop session here (neither DISPLAY nor WAYLAND_DISPLAY is set, e.g. over SSH)"


def _wayland_socket(name: str, env: dict[str, str]) -> bool:
    path = Path(name) if name.startswith("/") else Path(env.get("XDG_RUNTIME_DIR", "/nonexistent")) / name
    return path.exists()


def _x_display_present(display: str) -> bool:
    """A local display (":0", "unix:0") has its socket in /tmp/.X11-unix; a remote one
    ("localhost:10.0", SSH X forwarding) is taken on trust: only a connection would tell."""
    host, _, number = display.rpartition(":")
    if host not in ("", "unix"):
        return True
    number = number.split(".", 1)[0]
    return number.isdigit() and (Path("/tmp/.X11-unix") / f"X{number}").exists()
