"""macOS."""

from __future__ import annotations

import os
import plistlib
import shlex
from pathlib import Path

from agent.platform import policy_files
from agent.platform.base import ManagedPolicy, Platform

DOMAIN = "org.postseal.agent"  # the managed-preferences domain a configuration profile carries
MANAGED_PREFERENCES = Path("/Library/Managed Preferences")

NATIVE_HOST_FOLDERS = {  # (user folder under ~/Library/Application Support, system folder)
    "chrome": ("Google/Chrome", "/Library/Google/Chrome/NativeMessagingHosts"),
    "chromium": ("Chromium", "/Library/Application Support/Chromium/NativeMessagingHosts"),
    "edge": ("Microsoft Edge", "/Library/Microsoft/Edge/NativeMessagingHosts"),
}


class MacOS(Platform):
    name = "macos"
    keyring_name = "the login Keychain"

    def managed_policy(self) -> ManagedPolicy | None:
        # A device profile writes /Library/Managed Preferences/<domain>.plist, a user profile
        # /Library/Managed Preferences/<user>/<domain>.plist. The device one is IT's policy for
        # the machine and wins whole (no merge: one source is what IT can reason about).
        paths = [MANAGED_PREFERENCES / f"{DOMAIN}.plist"]
        if os.environ.get("USER"):
            paths.append(MANAGED_PREFERENCES / os.environ["USER"] / f"{DOMAIN}.plist")
        for path in paths:
            found = policy_files.read(path)
            if found is not None:
                return found
        return None

    def _launch_agent(self, name: str) -> Path:
        return Path.home() / "Library" / "LaunchAgents" / f"org.postseal.{name.removeprefix('postseal-')}.plist"

    def autostart_enabled(self, name: str) -> bool:
        return self._launch_agent(name).exists()

    def set_autostart(self, name: str, argv: list[str], on: bool) -> None:
        path = self._launch_agent(name)
        if not on:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        label = path.name.removesuffix(".plist")
        path.write_bytes(plistlib.dumps({"Label": label, "ProgramArguments": argv, "RunAtLoad": True}))

    def native_host_folder(self, browser: str, system: bool, home: Path) -> Path:
        user, machine = NATIVE_HOST_FOLDERS[browser]
        return Path(machine) if system else home / "Library" / "Application Support" / user / "NativeMessagingHosts"

    def ca_trust_steps(self, ca_file: Path) -> list[str]:
        # The user's login keychain, trusted as a root for this user (macOS asks for the password).
        keychain = Path.home() / "Library" / "Keychains" / "login.keychain-db"
        return [f"security add-trusted-cert -r trustRoot -k {shlex.quote(str(keychain))} {shlex.quote(str(ca_file))}"]
