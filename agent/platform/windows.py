"""Windows. winreg is imported where it is used, so this module (and its registry logic,
through a stand-in registry) can be tested on Linux."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from agent.platform.base import ManagedPolicy, Platform

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
NATIVE_HOST_KEYS = {
    "chrome": r"Software\Google\Chrome\NativeMessagingHosts",
    "chromium": r"Software\Chromium\NativeMessagingHosts",
    "edge": r"Software\Microsoft\Edge\NativeMessagingHosts",
}


class Windows(Platform):
    name = "windows"
    keyring_name = "Windows Credential Manager"
    executable_suffix = ".exe"

    def __init__(self, registry: Any = None) -> None:
        self._registry = registry  # a stand-in for winreg in tests; the real module otherwise

    @property
    def registry(self) -> Any:
        if self._registry is None:
            import winreg  # pragma: no cover - Windows

            self._registry = winreg
        return self._registry

    def managed_policy(self) -> ManagedPolicy | None:
        """Group Policy / Intune's values under SOFTWARE\\Policies\\Postseal, HKLM over HKCU
        (windows_registry.py: typed by the schema, each hive validated and named in errors)."""
        from agent.platform import windows_registry

        data = windows_registry.read_policy(self.registry)
        return ManagedPolicy(rf"HKLM|HKCU\{windows_registry.ROOT}", data) if data else None

    def autostart_enabled(self, name: str) -> bool:
        reg = self.registry
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                reg.QueryValueEx(key, name)
            return True
        except OSError:
            return False

    def set_autostart(self, name: str, argv: list[str], on: bool) -> None:
        reg = self.registry
        with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
            if on:
                reg.SetValueEx(key, name, 0, reg.REG_SZ, subprocess.list2cmdline(argv))
            else:
                try:
                    reg.DeleteValue(key, name)
                except FileNotFoundError:
                    pass

    def native_host_folder(self, browser: str, system: bool, home: Path) -> Path:
        # The registry points at the file; keep it with Postseal's own data.
        base = Path(os.environ.get("PROGRAMDATA" if system else "LOCALAPPDATA", home))
        return base / "Postseal" / "NativeMessagingHosts" / browser

    def register_native_host(self, browser: str, host_name: str, system: bool, manifest: Path) -> str:
        reg = self.registry
        path = rf"{NATIVE_HOST_KEYS[browser]}\{host_name}"
        with reg.CreateKey(reg.HKEY_LOCAL_MACHINE if system else reg.HKEY_CURRENT_USER, path) as key:
            reg.SetValueEx(key, "", 0, reg.REG_SZ, str(manifest))
        return ("HKLM\\" if system else "HKCU\\") + path

    def ca_trust_steps(self, ca_file: Path) -> list[str]:
        # The current user's Root store (Windows asks the user to confirm); Outlook's add-in
        # webviews (Edge WebView2, IE mode) trust what that store trusts. The MSI cannot: each
        # user's CA exists only after their agent first starts; IT can run
        # installers/windows/trust-local-ca.ps1 as SYSTEM instead (docs/deploy.md).
        return [subprocess.list2cmdline(["certutil", "-user", "-addstore", "Root", str(ca_file)])]
