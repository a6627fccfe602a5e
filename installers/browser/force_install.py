"""Force-install policies for the Gmail extension, one file per way IT pushes browser policy.

`ExtensionInstallForcelist` is a list of "<extension ID>;<update URL>" strings; a listed
extension is installed silently and the user cannot disable or remove it (Chrome Enterprise
policy list; Microsoft Edge's policy of the same name). Where each browser reads it:

- Windows: HKLM\\SOFTWARE\\Policies\\Google\\Chrome\\ExtensionInstallForcelist and
  HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge\\ExtensionInstallForcelist, values named 1, 2, 3 …
  (Chrome reads list values from "1" up to the first missing number).
- macOS: the managed preferences of com.google.Chrome and com.microsoft.Edge, in a
  configuration profile an MDM installs.
- Linux: JSON in /etc/opt/chrome/policies/managed/ (Chrome) and
  /etc/chromium/policies/managed/ (Chromium).

The files in installers/browser/examples/ are written by `write_examples` for the production
ID and an example URL; `python -m installers.browser.pack policies` writes them for yours.
"""

from __future__ import annotations

import json
import plistlib
import uuid
from pathlib import Path

POLICY = "ExtensionInstallForcelist"
WINDOWS_KEYS = {
    "Google Chrome": r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Google\Chrome",
    "Microsoft Edge": r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Edge",
}
MACOS_DOMAINS = {"Google Chrome": "com.google.Chrome", "Microsoft Edge": "com.microsoft.Edge"}
LINUX_FOLDERS = {"Google Chrome": "/etc/opt/chrome/policies/managed", "Chromium": "/etc/chromium/policies/managed"}
PROFILE_ID = "org.postseal.gmail-extension"
EXAMPLE_URL = "https://deploy.valleyclinic.example/postseal/updates.xml"
FILES = {"windows": "postseal-extension.reg", "macos": "postseal-extension.mobileconfig", "linux": "postseal.json"}


def entry(extension_id: str, update_url: str) -> str:
    return f"{extension_id};{update_url}"


def windows_reg(extension_id: str, update_url: str) -> bytes:
    """A .reg file for regedit /s or Group Policy Preferences (CRLF, as regedit writes)."""
    value = entry(extension_id, update_url).replace("\\", "\\\\").replace('"', '\\"')
    lines = [
        "Windows Registry Editor Version 5.00",
        "",
        "; Postseal for Gmail: installed for every user of Google Chrome and Microsoft Edge, and",
        "; the user cannot remove it. The value is named 1; if the key already has values 1, 2, ...,",
        "; use the next free number (browsers read 1, 2, 3 ... up to the first gap).",
    ]
    for browser, key in WINDOWS_KEYS.items():
        lines += ["", f"; {browser}", f"[{key}\\{POLICY}]", f'"1"="{value}"']
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def _uuid(extension_id: str, update_url: str, part: str) -> str:
    # The same input gives the same UUID, so a regenerated profile replaces the installed one.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{PROFILE_ID}/{part}/{entry(extension_id, update_url)}")).upper()


def macos_profile(extension_id: str, update_url: str) -> bytes:
    """A configuration profile with one managed-preferences payload per browser."""
    payloads = [
        {
            "PayloadType": domain,
            "PayloadIdentifier": f"{PROFILE_ID}.{domain}",
            "PayloadUUID": _uuid(extension_id, update_url, domain),
            "PayloadVersion": 1,
            "PayloadDisplayName": f"Postseal for Gmail in {browser}",
            POLICY: [entry(extension_id, update_url)],
        }
        for browser, domain in MACOS_DOMAINS.items()
    ]
    profile = {
        "PayloadType": "Configuration",
        "PayloadIdentifier": PROFILE_ID,
        "PayloadUUID": _uuid(extension_id, update_url, "profile"),
        "PayloadVersion": 1,
        "PayloadScope": "System",
        "PayloadDisplayName": "Postseal for Gmail (Chrome and Edge)",
        "PayloadDescription": "Installs the Postseal for Gmail extension in Google Chrome and Microsoft Edge; "
        "users cannot remove it.",
        "PayloadOrganization": "Postseal",
        "PayloadContent": payloads,
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)


def linux_json(extension_id: str, update_url: str) -> bytes:
    return (json.dumps({POLICY: [entry(extension_id, update_url)]}, indent=2) + "\n").encode()


def write_examples(extension_id: str, update_url: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, render in (("windows", windows_reg), ("macos", macos_profile), ("linux", linux_json)):
        path = out / FILES[kind]
        path.write_bytes(render(extension_id, update_url))
        written.append(path)
    return written
