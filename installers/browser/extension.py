"""The Gmail extension as IT hosts it: a reproducible zip of addins/gmail, signed as CRX3,
and the update manifest Chrome and Edge poll.

Decisions:
- `addins/gmail/manifest.json` keeps `"key"`, the public half of Postseal's release key. It
  pins the production ID (`PRODUCTION_ID`) for an unpacked copy (developers, the tests) and
  for the native host's `allowed_origins` (agent/ingress/native_manifest.py). The private
  half is never in the repository; the packer takes it with `--key`.
- The packed copy's `"key"` is the signing key's public half. Chrome replaces it with the
  package's key on install anyway (extensions/browser/sandboxed_unpacker.cc), but an unzipped
  copy then keeps the ID the package has. Signing with another key (an organisation's own,
  or a test key) changes the ID, so the packer refuses unless told `other_key=True`.
- `"update_url"` in the packed copy names the hosted update manifest: Chrome uses the policy's
  URL only for the first install and the manifest's for every later update (Chromium's
  ExtensionSettings documentation), so without it a self-hosted extension never updates.
- The zip is the same bytes for the same files (sorted names, fixed times and modes), and
  RSA PKCS#1 v1.5 signatures are deterministic, so a release can be rebuilt and compared.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from cryptography.hazmat.primitives.asymmetric import rsa

from installers.browser import crx3

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "addins" / "gmail"
PRODUCTION_ID = "npopaobmgdpnkgmgoeplckklppifdhok"  # crx3.extension_id of SOURCE/manifest.json "key"
CRX_NAME = "postseal-gmail-{version}.crx"
UPDATE_MANIFEST = "updates.xml"
GUPDATE_NS = "http://www.google.com/update2/response"
# In the folder for developers and node's test runner, not for browsers.
NOT_PACKED = {"README.md", "package.json", "node_modules"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say; any fixed value makes builds repeatable
VERSION = re.compile(r"\d{1,9}(\.\d{1,9}){0,3}")  # Chrome: one to four dot-separated integers


class PackError(Exception):
    """The extension cannot be packed as asked; the text says what and where."""


@dataclass(frozen=True)
class Packed:
    extension_id: str
    version: str
    crx: Path
    update_manifest: Path
    codebase: str
    update_url: str


def manifest_key_id(manifest: dict, source: str) -> str:
    try:
        return crx3.extension_id(base64.b64decode(manifest["key"], validate=True))
    except (KeyError, TypeError, ValueError):
        raise PackError(f'{source}: "key" is missing or not base64') from None


def read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != 3:
        raise PackError(f"{path}: not a Manifest V3 extension manifest")
    if not isinstance(manifest.get("version"), str) or not VERSION.fullmatch(manifest["version"]):
        raise PackError(f'{path}: "version" must be one to four dot-separated integers')
    return manifest


def require_https(url: str, what: str) -> None:
    """Browsers fetch the update manifest and the package from these URLs with no other check
    than TLS: over plain http anyone on the path could hold back an update."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.fragment:
        raise PackError(f"{what} {url!r} must be an https:// URL")


def hosted_urls(base_url: str, version: str) -> tuple[str, str]:
    """(codebase of the CRX, URL of the update manifest) under the folder IT serves."""
    require_https(base_url, "--base-url")
    if urlsplit(base_url).query:
        raise PackError(f"--base-url {base_url!r} must be a folder URL, without a query")
    base = base_url if base_url.endswith("/") else base_url + "/"
    return base + CRX_NAME.format(version=version), base + UPDATE_MANIFEST


def _referenced(manifest: dict) -> list[str]:
    """Files the manifest names; each must be in the package."""
    names = [manifest.get("background", {}).get("service_worker", "")]
    for script in manifest.get("content_scripts", []):
        names += script.get("js", []) + script.get("css", [])
    names += list(manifest.get("icons", {}).values())
    return [name for name in names if name]


def archive(folder: Path, manifest: dict) -> bytes:
    """The zip Chrome unpacks: manifest.json as given, then every file of the extension."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part in NOT_PACKED or part.startswith(".") for part in p.relative_to(folder).parts)
    )
    names = {p.relative_to(folder).as_posix() for p in files}
    missing = [name for name in _referenced(manifest) if name not in names]
    if missing:
        raise PackError(f"{folder / 'manifest.json'} names {', '.join(missing)}, not found in {folder}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            name = path.relative_to(folder).as_posix()
            data = (
                (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
                if name == "manifest.json"
                else path.read_bytes()
            )
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


def update_manifest(extension_id: str, version: str, codebase: str) -> bytes:
    """The gupdate document Chrome and Edge fetch from the update URL (Chrome's "Autoupdating"
    documentation; the format is Omaha's update protocol 2.0)."""
    ET.register_namespace("", GUPDATE_NS)
    root = ET.Element(f"{{{GUPDATE_NS}}}gupdate", {"protocol": "2.0"})
    app = ET.SubElement(root, f"{{{GUPDATE_NS}}}app", {"appid": extension_id})
    ET.SubElement(app, f"{{{GUPDATE_NS}}}updatecheck", {"codebase": codebase, "version": version})
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def pack(key: rsa.RSAPrivateKey, base_url: str, out: Path, folder: Path = SOURCE, other_key: bool = False) -> Packed:
    """Write <out>/postseal-gmail-<version>.crx and <out>/updates.xml for hosting at base_url."""
    manifest = read_manifest(folder)
    public = crx3.public_key_der(key)
    ident = crx3.extension_id(public)
    pinned = manifest_key_id(manifest, str(folder / "manifest.json")) if "key" in manifest else ""
    if pinned and pinned != ident and not other_key:
        raise PackError(
            f"the key signs as {ident}, but {folder / 'manifest.json'} pins {pinned}: use the "
            "release key, or --other-key to make an extension with another ID (then register "
            f"the native host with --extension-id {ident})"
        )
    codebase, update_url = hosted_urls(base_url, manifest["version"])
    packed_manifest = {**manifest, "key": base64.b64encode(public).decode(), "update_url": update_url}
    crx = out / CRX_NAME.format(version=manifest["version"])
    xml = out / UPDATE_MANIFEST
    try:
        out.mkdir(parents=True, exist_ok=True)
        crx.write_bytes(crx3.pack(archive(folder, packed_manifest), key))
        xml.write_bytes(update_manifest(ident, manifest["version"], codebase))
    except OSError as exc:
        raise PackError(f"cannot write into {out}: {exc.strerror}") from None
    return Packed(ident, manifest["version"], crx, xml, codebase, update_url)


def describe(data: bytes, source: str) -> tuple[str, str]:
    """(extension ID, version) of a CRX file, after verifying it as Chrome would."""
    package = crx3.read(data, source)
    try:
        with zipfile.ZipFile(io.BytesIO(package.archive)) as zf:
            manifest = json.loads(zf.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PackError(f"{source}: the package holds no readable manifest.json ({exc})") from None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        raise PackError(f'{source}: manifest.json has no valid "version"')
    return package.extension_id, version
