"""Registering the native messaging host with Chrome, Chromium and Edge.

A browser starts a native host only if a host manifest names it (developer.chrome.com/docs/
extensions/develop/concepts/native-messaging, "Native messaging host location"): a JSON file
in a per-browser folder on Linux and macOS, a registry key pointing at that file on Windows.
`allowed_origins` lists the extensions that may start the host; nothing else can.

`path` must be an absolute path to an executable that Chrome starts with the caller's origin
as its first argument, so for a pip install it names the `postseal-native-host` console
script, not `postseal`, whose first argument is the command. The bundle has one executable:
there `postseal` takes a chrome-extension:// first argument as "run the host" (cli.main).

The extension's ID follows from the public key in addins/gmail/manifest.json, so the same ID
holds unpacked, self-hosted and force-installed; a store-published copy gets the store's ID,
which IT adds with `--extension-id`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

HOST_NAME = "org.postseal.agent"
EXTENSION_ID = "npopaobmgdpnkgmgoeplckklppifdhok"  # addins/gmail/manifest.json "key"
BROWSERS = ("chrome", "chromium", "edge")

# Folders per browser: (user folder under $HOME or XDG config, system folder).
_LINUX = {
    "chrome": ("google-chrome", "/etc/opt/chrome/native-messaging-hosts"),
    "chromium": ("chromium", "/etc/chromium/native-messaging-hosts"),
    "edge": ("microsoft-edge", "/etc/opt/edge/native-messaging-hosts"),
}
_MACOS = {
    "chrome": ("Google/Chrome", "/Library/Google/Chrome/NativeMessagingHosts"),
    "chromium": ("Chromium", "/Library/Application Support/Chromium/NativeMessagingHosts"),
    "edge": ("Microsoft Edge", "/Library/Microsoft/Edge/NativeMessagingHosts"),
}
_WINDOWS_KEYS = {
    "chrome": r"Software\Google\Chrome\NativeMessagingHosts",
    "chromium": r"Software\Chromium\NativeMessagingHosts",
    "edge": r"Software\Microsoft\Edge\NativeMessagingHosts",
}


class RegistrationError(Exception):
    """The host could not be registered; the text says where and what to do."""


@dataclass(frozen=True)
class Registered:
    browser: str
    manifest: Path
    registry_key: str = ""  # Windows only: HKCU/HKLM\...\org.postseal.agent


def host_manifest(executable: Path, extension_ids: tuple[str, ...] = ()) -> dict:
    ids = (EXTENSION_ID, *[i for i in extension_ids if i != EXTENSION_ID])
    for ident in ids:
        if len(ident) != 32 or not set(ident) <= set("abcdefghijklmnop"):
            raise RegistrationError(f"{ident!r} is not a Chrome extension ID (32 letters a-p)")
    return {
        "name": HOST_NAME,
        "description": "Postseal agent: checks Gmail drafts before they are sent",
        "path": str(executable),
        "type": "stdio",
        "allowed_origins": [f"chrome-extension://{ident}/" for ident in ids],
    }


def host_executable() -> Path:
    """The `postseal-native-host` next to the running interpreter's scripts, else on PATH;
    in the one-folder bundle (installers/pyinstaller) the bundle's `postseal` itself, which
    runs as the host when its first argument is the caller's chrome-extension:// origin."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve()
    name = "postseal-native-host.exe" if sys.platform == "win32" else "postseal-native-host"
    beside = Path(sys.executable).with_name(name)
    if beside.is_file():
        return beside.resolve()
    found = shutil.which(name)
    if found:
        return Path(found).resolve()
    raise RegistrationError(f"{name} was not found beside {sys.executable} or on PATH; "
                            "reinstall Postseal (pip install postseal) and try again")


def manifest_folder(browser: str, system: bool, platform: str = sys.platform,
                    home: Path | None = None) -> Path:
    home = home or Path.home()
    if platform == "darwin":
        user, machine = _MACOS[browser]
        return Path(machine) if system else home / "Library" / "Application Support" / user / "NativeMessagingHosts"
    if platform == "win32":
        # The registry points at the file; keep it with Postseal's own data.
        base = Path(os.environ.get("PROGRAMDATA" if system else "LOCALAPPDATA", home))
        return base / "Postseal" / "NativeMessagingHosts" / browser
    user, machine = _LINUX[browser]
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return Path(machine) if system else config / user / "NativeMessagingHosts"


def register(browsers: tuple[str, ...] = BROWSERS, system: bool = False,
             executable: Path | None = None, extension_ids: tuple[str, ...] = (),
             folder: Path | None = None, root: Path | None = None) -> list[Registered]:
    """Write the host manifest for each browser (into `folder` if given, or under `root` in
    place of / — a package's staging tree) and, on Windows, point the browser's registry
    key at it."""
    executable = executable or host_executable()
    if not executable.is_absolute():
        raise RegistrationError(f"the host path must be absolute, not {executable}")
    text = json.dumps(host_manifest(executable, extension_ids), indent=2) + "\n"
    done: list[Registered] = []
    for browser in browsers:
        if browser not in BROWSERS:
            raise RegistrationError(f"unknown browser {browser!r}: use {', '.join(BROWSERS)}")
        place = folder or manifest_folder(browser, system)
        if root is not None and folder is None:
            place = root / place.relative_to(place.anchor)
        target = place / f"{HOST_NAME}.json"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_suffix(".tmp")
            temp.write_text(text, encoding="utf-8")
            temp.chmod(0o644)  # the browser runs as the user; the file holds no secret
            temp.replace(target)
        except PermissionError:
            raise RegistrationError(f"cannot write {target}: "
                                    + ("run as an administrator for --system" if system
                                       else "check the folder's owner")) from None
        except OSError as exc:
            raise RegistrationError(f"cannot write {target}: {exc.strerror}") from None
        key = (_windows_key(browser, system, target)
               if sys.platform == "win32" and folder is None and root is None else "")
        done.append(Registered(browser, target, key))
    return done


def _windows_key(browser: str, system: bool, manifest: Path) -> str:  # pragma: no cover - Windows
    import winreg

    root = winreg.HKEY_LOCAL_MACHINE if system else winreg.HKEY_CURRENT_USER
    path = rf"{_WINDOWS_KEYS[browser]}\{HOST_NAME}"
    try:
        with winreg.CreateKey(root, path) as key:
            winreg.SetValueEx(key, "", 0, winreg.REG_SZ, str(manifest))
    except OSError as exc:
        raise RegistrationError(f"cannot set registry key {path}: {exc.strerror}") from None
    return ("HKLM\\" if system else "HKCU\\") + path
