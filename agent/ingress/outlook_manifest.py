"""The Outlook add-in's manifests, written for the add-in origin this install serves.

Outlook loads every page, script and icon of the add-in from the URLs in its manifest, and the
agent serves them at https://localhost:<ingress.addin_port>/addin/ (addin.py). The port is a
setting (config.toml or, winning over it, managed policy), so the manifest an admin uploads
must name the same port, or Outlook cannot load the add-in and — with the send mode Block —
nobody can send. `postseal outlook manifest` writes them from this module.

addins/outlook/manifest.xml and manifest.json are the templates: written for the default
origin (TEMPLATE_ORIGIN) and checked as they are by tests/addins/test_outlook_manifests.py.
Rendering replaces that origin, then proves the result: every URL in it (XML attributes and
text, JSON strings, except XML namespaces and the JSON `$schema`) must be under the new
origin's /addin/. A URL the templates gained that does not follow the origin (a hard-coded
host, another port) fails the render instead of reaching Outlook.

Only https://localhost:<port> is an origin the add-in can have: the agent listens on
loopback only, Office requires HTTPS, and the add-in's own code accepts no other
(web/agent.mjs agentOrigin). No <AppDomains> is needed (see the XML template's comment).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET

OUTLOOK = Path(__file__).resolve().parents[2] / "addins" / "outlook"
TEMPLATE_PORT = 8743  # agent/config.py IngressConfig.addin_port's default; the templates use it
TEMPLATE_ORIGIN = f"https://localhost:{TEMPLATE_PORT}"
FORMATS = ("xml", "json", "zip")
_ORIGIN = re.compile(r"https://localhost:(\d{1,5})")


class ManifestError(Exception):
    """The manifest cannot be written as asked; the text says what and where."""


def origin_for(port: int) -> str:
    if port == 0:
        raise ManifestError(
            "the add-in origin is off (ingress.addin_port = 0): set a port, or do not deploy the Outlook add-in"
        )
    if not 0 < port < 65536:
        raise ManifestError(f"ingress.addin_port {port} is not a TCP port (1-65535)")
    return f"https://localhost:{port}"


def parse_origin(text: str) -> str:
    found = _ORIGIN.fullmatch(text.rstrip("/"))
    if not found:
        raise ManifestError(
            f"{text!r} is not an add-in origin: it must be https://localhost:<port>, where the agent serves the add-in"
        )
    return origin_for(int(found.group(1)))


def _xml_urls(data: bytes) -> Iterator[str]:
    try:
        root = SafeET.fromstring(data)
    except ParseError as exc:
        raise ManifestError(f"manifest.xml is not well-formed XML: {exc}") from None
    for element in root.iter():
        for text in [*element.attrib.values(), element.text or ""]:
            if "://" in text:  # namespaces live in tags, not in attributes or text
                yield text.strip()


def _json_urls(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_urls(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _json_urls(v, key)
    elif isinstance(value, str) and "://" in value and key != "$schema":
        yield value


def _check(urls: Iterator[str], origin: str, name: str) -> None:
    stray = sorted({url for url in urls if not url.startswith(f"{origin}/addin/")})
    if stray:
        raise ManifestError(
            f"{name}: {', '.join(stray)} would not follow the add-in origin {origin}; "
            "only URLs under /addin/ on the origin are allowed"
        )


def _template(name: str, folder: Path) -> str:
    path = folder / name
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot be read ({exc})") from None


def render_xml(origin: str, folder: Path = OUTLOOK) -> bytes:
    """manifest.xml with every URL on `origin`."""
    text = _template("manifest.xml", folder)
    _check(_xml_urls(text.encode()), TEMPLATE_ORIGIN, str(folder / "manifest.xml"))
    data = text.replace(f"{TEMPLATE_ORIGIN}/", f"{origin}/").encode()
    _check(_xml_urls(data), origin, "manifest.xml")
    return data


def render_json(origin: str, folder: Path = OUTLOOK) -> bytes:
    """The unified manifest.json with every URL on `origin`."""
    text = _template("manifest.json", folder)
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"{folder / 'manifest.json'}: not JSON ({exc})") from None
    _check(_json_urls(manifest), TEMPLATE_ORIGIN, str(folder / "manifest.json"))
    data = text.replace(f"{TEMPLATE_ORIGIN}/", f"{origin}/").encode()
    _check(_json_urls(json.loads(data)), origin, "manifest.json")
    return data


def render_zip(origin: str, folder: Path = OUTLOOK) -> bytes:
    """What the Microsoft 365 admin center takes for a unified manifest: manifest.json and the
    two icons it names, at those paths."""
    data = render_json(origin, folder)
    icons = json.loads(data).get("icons", {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("manifest.json", (1980, 1, 1, 0, 0, 0)), data)
        for name in (icons.get("color"), icons.get("outline")):
            path = folder / str(name)
            if not name or not path.is_file():
                raise ManifestError(f"{folder / 'manifest.json'}: icon {name!r} is not a file next to it")
            zf.writestr(zipfile.ZipInfo(str(name), (1980, 1, 1, 0, 0, 0)), path.read_bytes())
    return out.getvalue()


def render(kind: str, origin: str, folder: Path = OUTLOOK) -> bytes:
    if kind not in FORMATS:
        raise ManifestError(f"unknown manifest format {kind!r}: use {', '.join(FORMATS)}")
    return {"xml": render_xml, "json": render_json, "zip": render_zip}[kind](origin, folder)
