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
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from agent import platform

HOST_NAME = "org.postseal.agent"
EXTENSION_ID = "npopaobmgdpnkgmgoeplckklppifdhok"  # addins/gmail/manifest.json "key"
BROWSERS = ("chrome", "chromium", "edge")


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
    name = "postseal-native-host" + platform.current().executable_suffix
    beside = Path(sys.executable).with_name(name)
    if beside.is_file():
        return beside.resolve()
    found = shutil.which(name)
    if found:
        return Path(found).resolve()
    raise RegistrationError(
        f"{name} was not found beside {sys.executable} or on PATH; "
        "reinstall Postseal (pip install postseal) and try again"
    )


def manifest_folder(browser: str, system: bool, system_name: str | None = None, home: Path | None = None) -> Path:
    """Where `browser` looks for the host manifest on this OS (or on `system_name`'s)."""
    os_ = platform.for_name(system_name) if system_name else platform.current()
    return os_.native_host_folder(browser, system, home or Path.home())


def register(
    browsers: tuple[str, ...] = BROWSERS,
    system: bool = False,
    executable: Path | None = None,
    extension_ids: tuple[str, ...] = (),
    folder: Path | None = None,
    root: Path | None = None,
) -> list[Registered]:
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
            raise RegistrationError(
                f"cannot write {target}: "
                + ("run as an administrator for --system" if system else "check the folder's owner")
            ) from None
        except OSError as exc:
            raise RegistrationError(f"cannot write {target}: {exc.strerror}") from None
        key = _registry_key(browser, system, target) if folder is None and root is None else ""
        done.append(Registered(browser, target, key))
    return done


def _registry_key(browser: str, system: bool, manifest: Path) -> str:
    """Windows: the browser's registry key pointed at the manifest ('' elsewhere)."""
    try:
        return platform.current().register_native_host(browser, HOST_NAME, system, manifest)
    except OSError as exc:
        raise RegistrationError(f"cannot set the {browser} registry key for {HOST_NAME}: {exc.strerror}") from None
