"""The clinic's branding: read from a [branding] table with one line naming a wrong key,
served to the page as JSON, a generated style sheet and a logo (under the page's strict CSP),
and carried by the code mail and the notice mail, so a patient can tell who is asking."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
import zlib
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from agent import system_mail
from agent.demo_world import free_port
from agent.portal.branding import DEFAULT, Branding, friendly_day, readable_ink
from agent.portal.server import create_app
from agent.portal.store import SqlitePortalStore
from agent.protect.portal import PortalClient, PortalProtector, notice

VALLEY = {
    "name": "Valley Family Clinic",
    "primary_color": "#1F6F5C",
    "accent_color": "#f2a900",
    "support_email": "help@valleyclinic.example",
    "support_phone": "+1 555 0100",
    "support_url": "https://valleyclinic.example/contact",
}


def png(width: int = 4, height: int = 2) -> bytes:
    """A real PNG (RGB, one filter byte per row), made with zlib as the format says."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\x1f\x6f\x5c" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_full_branding_is_read_and_colours_are_kept_lowercase(tmp_path: Path):
    (tmp_path / "logo.png").write_bytes(png())
    branding = Branding.from_mapping({**VALLEY, "logo": "logo.png"}, base=tmp_path)
    assert branding.name == "Valley Family Clinic" and branding.primary_color == "#1f6f5c"
    assert branding.logo.content_type == "image/png" and branding.logo.data == png()
    assert branding.public() == {
        "name": "Valley Family Clinic",
        "logo": "/static/logo",
        "primary_color": "#1f6f5c",
        "accent_color": "#f2a900",
        "support": {
            "email": "help@valleyclinic.example",
            "phone": "+1 555 0100",
            "url": "https://valleyclinic.example/contact",
        },
    }
    assert branding.contact_line() == (
        "Questions? Contact Valley Family Clinic: +1 555 0100, "
        "help@valleyclinic.example, https://valleyclinic.example/contact."
    )


def test_the_default_is_neutral():
    assert Branding.from_mapping({}) == DEFAULT
    assert DEFAULT.name == "" and DEFAULT.logo is None and DEFAULT.contact_line() == ""
    assert DEFAULT.public()["support"] == {"email": "", "phone": "", "url": ""}


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"colour": "#ffffff"}, "colour: unknown key"),
        ({"primary_color": "blue"}, "primary_color: must be a colour written #RRGGBB"),
        ({"accent_color": "#fff"}, "accent_color: must be a colour written #RRGGBB"),
        ({"primary_color": "#0b5cad; } body { display: none"}, "primary_color: must be a colour"),
        ({"support_email": "help at clinic"}, "support_email: must be an e-mail address"),
        ({"support_phone": "call us"}, "support_phone: must be a phone number"),
        ({"support_url": "http://valleyclinic.example"}, "support_url: must be an https:// address"),
        ({"support_url": "javascript:alert(1)"}, "support_url: must be an https:// address"),
        ({"name": 42}, "name: must be text"),
        ({"name": "Valley\nClinic"}, "name: must not hold control characters"),
        ({"name": "V" * 121}, "name: over 120 characters"),
        ({"logo": "missing.png"}, "logo: .*missing.png cannot be read"),
    ],
)
def test_a_wrong_key_is_one_line_naming_where_and_the_key(table, named, tmp_path):
    with pytest.raises(ValueError, match=rf"^/etc/postseal/portal.toml: branding\.{named}") as refused:
        Branding.from_mapping(table, "/etc/postseal/portal.toml: branding", base=tmp_path)
    assert "\n" not in str(refused.value)


def test_a_logo_is_a_png_or_an_svg_of_at_most_512_kb(tmp_path: Path):
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>')
    assert Branding.from_mapping({"logo": str(tmp_path / "logo.svg")}).logo.content_type == "image/svg+xml"
    (tmp_path / "logo.gif").write_bytes(b"GIF89a" + b"\0" * 20)
    with pytest.raises(ValueError, match="neither a PNG nor an SVG"):
        Branding.from_mapping({"logo": str(tmp_path / "logo.gif")})
    (tmp_path / "big.png").write_bytes(png() + b"\0" * 600_000)
    with pytest.raises(ValueError, match="must be under 512 KB"):
        Branding.from_mapping({"logo": str(tmp_path / "big.png")})


def test_the_style_sheet_keeps_the_header_readable_on_any_brand_colour():
    assert readable_ink("#0b5cad") == "#ffffff" and readable_ink("#ffe680") == "#1b1f24"
    pale = Branding.from_mapping({"primary_color": "#ffe680"}).css()
    assert "--brand: #ffe680" in pale and "--brand-ink: #1b1f24" in pale and "--link: #0b5cad" in pale
    assert "--brand-ink: #ffffff" in Branding.from_mapping(VALLEY).css()


def test_dates_are_written_for_people():
    when = time.mktime((2026, 12, 15, 12, 0, 0, 0, 0, -1))
    assert friendly_day(when) == "Tuesday 15 December 2026"


def test_the_code_mail_names_the_clinic_and_how_to_reach_it():
    raw = system_mail.code_mail(
        "dr.chen@valleyclinic.example", "maria@mailbox.example", "123456", "Org name", Branding.from_mapping(VALLEY)
    )
    mail = message_from_bytes(raw, policy=policy.default)
    body = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "Your code for the secure message from Valley Family Clinic"
    assert "Valley Family Clinic secure messages" in mail["From"]
    assert "Your code is 123456" in body and "+1 555 0100" in body and "help@valleyclinic.example" in body
    plain = message_from_bytes(
        system_mail.code_mail("a@b.example", "c@d.example", "654321", "Org name"), policy=policy.default
    )
    assert plain["Subject"] == "Your code for the secure message from Org name"  # no branding: the org's name


def run_portal(app: web.Application) -> tuple[str, callable]:
    """The app on a free port in a thread of its own (PortalClient is synchronous)."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    port = free_port()
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()

    return f"http://127.0.0.1:{port}", stop


def test_the_notice_carries_the_portals_branding_and_a_friendly_date(tmp_path: Path):
    store = SqlitePortalStore(tmp_path / "portal")
    url, stop = run_portal(create_app(store, "token", branding=Branding.from_mapping(VALLEY)))
    try:
        protector = PortalProtector(PortalClient(url, "token"), "Org name")
        branding = protector.branding()
        message = EmailMessage()
        message["From"], message["Subject"] = "Dr. Chen <dr.chen@valleyclinic.example>", "Labs"
        expires = time.mktime((2026, 12, 15, 12, 0, 0, 0, 0, -1))
        raw = notice(
            message,
            "dr.chen@valleyclinic.example",
            "maria@mailbox.example",
            f"{url}/m/x#k",
            "Org name",
            expires,
            branding,
        )
    finally:
        stop()
        store.close()
    mail = message_from_bytes(raw, policy=policy.default)
    text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    assert mail["Subject"] == "Secure message from Valley Family Clinic"
    assert "through Valley Family Clinic" in text and "until Tuesday 15 December 2026" in text
    assert "Questions? Contact Valley Family Clinic: +1 555 0100" in text and "help@valleyclinic.example" in html
    assert "background:#1f6f5c;color:#ffffff" in html  # the button in the clinic's colour


def test_a_portal_that_cannot_say_its_branding_leaves_the_organizations_name(tmp_path: Path):
    protector = PortalProtector(PortalClient(f"http://127.0.0.1:{free_port()}", "token", timeout=2), "Org name")
    assert protector.branding() == Branding(name="Org name")


def test_the_page_gets_the_branding_as_json_a_style_sheet_and_a_sandboxed_logo(tmp_path: Path):
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    store = SqlitePortalStore(tmp_path / "portal")
    branding = Branding.from_mapping({**VALLEY, "logo": str(tmp_path / "logo.svg")})

    async def fetch() -> dict:
        runner = web.AppRunner(create_app(store, "token", branding=branding))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        out = {}
        try:
            async with aiohttp.ClientSession() as session:
                for path in ("/api/v1/branding", "/static/brand.css", "/static/logo", "/m/a-message-0123456789"):
                    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                        out[path] = (
                            response.status,
                            response.content_type,
                            await response.text(),
                            response.headers["Content-Security-Policy"],
                        )
        finally:
            await runner.cleanup()
        return out

    got = asyncio.run(fetch())
    store.close()
    assert (
        got["/api/v1/branding"][:2] == (200, "application/json")
        and "Valley Family Clinic" in got["/api/v1/branding"][2]
    )
    assert got["/static/brand.css"][:2] == (200, "text/css") and "--brand: #1f6f5c" in got["/static/brand.css"][2]
    status, kind, _, csp = got["/static/logo"]
    assert (status, kind) == (200, "image/svg+xml") and "sandbox" in csp and "script-src" not in csp
    page, page_csp = got["/m/a-message-0123456789"][2], got["/m/a-message-0123456789"][3]
    assert '<link rel="stylesheet" href="/static/brand.css">' in page and "style=" not in page
    assert "script-src 'self'" in page_csp and "unsafe-inline" not in page_csp  # the page's CSP stays strict
