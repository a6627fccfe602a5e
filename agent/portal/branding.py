"""The clinic's face on the portal: its name, logo, colours and how a patient reaches it.

A patient who is asked for a code must be able to tell who is asking: the portal page, the
code mail and the notice mail all carry the clinic's name and its support contact.

The page stays static HTML under a strict Content-Security-Policy (no inline style or
script): the branding reaches it as data, never as markup. GET /api/v1/branding gives the
name and the contact as JSON, which portal.js writes with textContent; GET /static/brand.css
is generated from the two colours (validated as #RRGGBB here, so nothing else can reach the
style sheet); GET /static/logo serves the logo, read once when the branding is made.

Configured in portal.toml's [branding] table (read by the portal's config loader, which calls
Branding.from_mapping); every key is optional, and the default is neutral ("Secure message",
the portal's own blue, no logo, no contact).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_LOGO = 512 * 1024  # a logo, not a photo: a page that opens on a phone
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_EMAIL = re.compile(r"^[^\s@<>\"]+@[^\s@<>\"]+\.[^\s@<>\"]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{2,30}$")
_KEYS = ("name", "logo", "primary_color", "accent_color", "support_email", "support_phone", "support_url")
DEFAULT_PRIMARY = "#0b5cad"
DEFAULT_ACCENT = "#f2a900"


@dataclass(frozen=True)
class Logo:
    data: bytes = field(repr=False)
    content_type: str  # image/png or image/svg+xml


@dataclass(frozen=True)
class Branding:
    name: str = ""  # the clinic as patients know it; "" = neutral
    logo: Logo | None = None
    primary_color: str = DEFAULT_PRIMARY  # the header and the buttons
    accent_color: str = DEFAULT_ACCENT  # the focus ring and the header's underline
    support_email: str = ""
    support_phone: str = ""
    support_url: str = ""  # https only

    @classmethod
    def from_mapping(cls, d: dict, where: str = "branding", base: Path | None = None) -> Branding:
        """A Branding from a [branding] table; a ValueError of one line, "{where}.{key}: what is
        wrong" (where: "/etc/postseal/portal.toml: branding"). A relative logo path is taken
        from `base` (the config file's folder)."""
        if not isinstance(d, dict):
            raise ValueError(f"{where}: must be a table of keys ({', '.join(_KEYS)})")
        for key, value in d.items():
            if key not in _KEYS:
                raise ValueError(f"{where}.{key}: unknown key (known: {', '.join(_KEYS)})")
            if not isinstance(value, str):
                raise ValueError(f"{where}.{key}: must be text, not {type(value).__name__}")
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise ValueError(f"{where}.{key}: must not hold control characters")
        text = {k: d.get(k, "").strip() for k in _KEYS}
        if len(text["name"]) > 120:
            raise ValueError(f"{where}.name: over 120 characters; use the name patients know the clinic by")
        for key, default in (("primary_color", DEFAULT_PRIMARY), ("accent_color", DEFAULT_ACCENT)):
            text[key] = text[key] or default
            if not _COLOUR.match(text[key]):
                raise ValueError(f"{where}.{key}: must be a colour written #RRGGBB (like #0b5cad), not {text[key]!r}")
        if text["support_email"] and not _EMAIL.match(text["support_email"]):
            raise ValueError(f"{where}.support_email: must be an e-mail address like help@clinic.example")
        if text["support_phone"] and not _PHONE.match(text["support_phone"]):
            raise ValueError(f"{where}.support_phone: must be a phone number (digits, spaces, + ( ) - .)")
        if text["support_url"] and not re.match(r"^https://[^\s/?#]+\.[^\s]*$", text["support_url"]):
            raise ValueError(f"{where}.support_url: must be an https:// address")
        logo = read_logo(text["logo"], where, base) if text["logo"] else None
        return cls(
            text["name"],
            logo,
            text["primary_color"].lower(),
            text["accent_color"].lower(),
            text["support_email"],
            text["support_phone"],
            text["support_url"],
        )

    @property
    def title(self) -> str:
        return self.name or "Secure message"

    def public(self) -> dict[str, Any]:
        """What the page shows and the agents' notices carry (GET /api/v1/branding)."""
        return {
            "name": self.name,
            "logo": "/static/logo" if self.logo else "",
            "primary_color": self.primary_color,
            "accent_color": self.accent_color,
            "support": {"email": self.support_email, "phone": self.support_phone, "url": self.support_url},
        }

    def css(self) -> str:
        """/static/brand.css: the colours, with a header text colour that keeps contrast."""
        ink = readable_ink(self.primary_color)
        # Links are text on white: the brand colour when it reads there, else the portal's blue.
        link = self.primary_color if ink == "#ffffff" else DEFAULT_PRIMARY
        return (
            f":root {{ --brand: {self.primary_color}; --brand-ink: {ink}; --accent: {self.accent_color};"
            f" --link: {link}; }}\n"
            "header, button { background: var(--brand); color: var(--brand-ink); }\n"
            "header { border-bottom: 4px solid var(--accent); }\n"
            "a { color: var(--link); }\n"
            ":focus-visible { outline-color: var(--accent); }\n"
        )

    def contact_line(self) -> str:
        """ "Questions? Valley Clinic: 555-0100, help@valley.example, https://…" for a mail, or ""."""
        ways = [w for w in (self.support_phone, self.support_email, self.support_url) if w]
        if not ways:
            return ""
        return f"Questions? Contact {self.name or 'the sender'}: {', '.join(ways)}."


DEFAULT = Branding()


def friendly_day(unix: float) -> str:
    """ "Tuesday 15 December 2026": a date a patient reads at a glance (never 2026-12-15, which
    half the world reads in another order). In this machine's time zone; the page shows dates
    in the browser's own language and time zone (portal.js)."""
    moment = time.localtime(unix)
    return f"{time.strftime('%A', moment)} {moment.tm_mday} {time.strftime('%B %Y', moment)}"


def read_logo(path_text: str, where: str, base: Path | None) -> Logo:
    path = Path(path_text).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{where}.logo: {path} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_LOGO:
        raise ValueError(f"{where}.logo: {path} is {len(data) // 1024} KB; a logo must be under {MAX_LOGO // 1024} KB")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Logo(data, "image/png")
    if b"<svg" in data[:4096] and path.suffix.lower() == ".svg":
        return Logo(data, "image/svg+xml")
    raise ValueError(f"{where}.logo: {path} is neither a PNG nor an SVG file")


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of #RRGGBB."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def readable_ink(background: str) -> str:
    """White or near-black, whichever contrasts more with `background` (WCAG contrast ratio):
    a clinic that picks a pale brand colour still gets a header one can read."""
    lum = _luminance(background)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance("#1b1f24") + 0.05)
    return "#ffffff" if on_white >= on_dark else "#1b1f24"
