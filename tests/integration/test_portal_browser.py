"""The portal in a real browser (headless Chromium): the recipient proves they read their
mailbox with a one-time code, the page decrypts with the key from the link, saves an
attachment (a receipt in the audit), and sends a secure reply with a file that reaches the
sender (kept in the agent for the tray, as they have no S/MIME identity). Without the code nothing is
served; five wrong codes lock it; an expired or revoked message says so."""

from __future__ import annotations

import base64
import re
import shutil
import time
import urllib.error
import urllib.request

import pytest

from agent.api.client import AgentClient
from tests.conftest import SAMPLES, SENDER, run_cli
from tests.screenshots import check_screenshot, screenshot_folder

playwright_sync = pytest.importorskip("playwright.sync_api", reason="pip install -e .[test] brings playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`")
PATIENT = "maria.gonzalez@mailbox.example"


@pytest.fixture
def sent(start_agent, sink, home):
    running = start_agent(sink.port, portal={"poll_seconds": 1})
    running.pipeline.pgp.generate(SENDER)  # the clinician's own key: secure replies are encrypted to it
    assert run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=home).returncode == 0
    [notice] = sink.received
    text = notice.message.get_body(("plain",)).get_content()
    return running, re.search(r"(http://\S+/m/\S+#\S+)", text).group(1)


@pytest.fixture
def browser(tmp_path):
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def code_from(sink, after: int) -> str:
    assert sink.wait_for(after + 1, timeout=20), "no code e-mail arrived"
    mail = sink.received[after]
    assert mail.recipients == (PATIENT,) and "Your code for the secure message" in str(mail.message["Subject"])
    body = mail.message.get_body(("plain",)).get_content()
    assert "metformin" not in body  # the code e-mail says nothing of the message
    return re.search(r"Your code is (\d{6})", body).group(1)


def enter_code(page, sink, until: str = "#message") -> None:
    """What the recipient does on the verify step: ask for the code, read it, type it."""
    before = len(sink.received)
    page.locator("#send-code").click()
    page.locator("#status.ok").wait_for()
    page.locator("#code").fill(code_from(sink, before))
    page.locator("#open").click()
    page.locator(until).wait_for()


def open_with_code(browser, link: str, sink, viewport=None, until: str = "#message"):
    page = browser.new_page(viewport=viewport or {"width": 1000, "height": 800})
    page.goto(link)
    page.locator("#verify").wait_for()
    enter_code(page, sink, until)
    return page


@pytest.mark.screenshots
def test_the_recipient_opens_it_with_a_code_saves_the_file_and_replies_securely(sent, sink, browser, tmp_path):
    running, link = sent
    shots = screenshot_folder(tmp_path)
    notice = browser.new_page(viewport={"width": 760, "height": 420})
    [mail] = [r for r in sink.received if r.recipients == (PATIENT,)]
    notice.set_content(mail.message.get_body(("html",)).get_content())  # the notice as a mail program shows it
    assert "metformin" not in notice.content() and "code that we e-mail" in notice.content()
    notice.screenshot(path=str(shots / "portal-notice.png"))
    check_screenshot(shots / "portal-notice.png")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(link)
    page.locator("#verify").wait_for()
    assert "m•••@mailbox.example" in page.locator("#verify-text").inner_text()
    page.locator("#brand-name", has_text="Valley Family Clinic").wait_for()  # who is asking for the code
    assert "metformin" not in page.content()  # nothing before the code
    page.screenshot(path=str(shots / "portal-verify.png"), full_page=True)
    check_screenshot(shots / "portal-verify.png")
    enter_code(page, sink)
    assert "increase metformin to 1000 mg twice daily" in page.locator("#text").inner_text()
    assert page.locator("#subject").inner_text() == "Your visit on November 23"
    assert page.locator("#expires").inner_text()  # the recipient sees until when
    page.screenshot(path=str(shots / "portal-message.png"), full_page=True)
    check_screenshot(shots / "portal-message.png")

    lab = tmp_path / "home-readings.csv"
    lab.write_text("date,glucose\n2026-11-30,142\n")
    page.locator("#reply-text").fill("Thank you. My readings since the visit are attached.")
    page.locator("#reply-files").set_input_files(str(lab))
    page.locator("#send-reply").click()
    page.locator("#reply-status.ok").wait_for()

    # The agent collects the reply; the sender has no S/MIME identity here, so it is kept in the
    # agent and read in the tray (tests/integration/test_portal_replies.py: the S/MIME way).
    client = AgentClient(running.api_url, running.token)
    deadline = time.monotonic() + 30
    while not (kept := [r for r in client.replies() if r["state"] == "delivered"]):
        assert time.monotonic() < deadline, "the reply never reached the sender"
        time.sleep(0.2)
    assert kept[0]["method"] == "kept" and kept[0]["from"] == PATIENT
    assert kept[0]["subject"] == "Re: Your visit on November 23"
    reply = client.reply(kept[0]["id"])
    assert "My readings since the visit are attached." in reply["text"]
    [file] = reply["attachments"]
    assert file["filename"] == "home-readings.csv" and base64.b64decode(file["data"]).decode() == lab.read_text()
    assert not [r for r in sink.received if r.recipients == (SENDER,)]  # nothing mailed that no program opens
    kinds = [r["event"] for r in AgentClient(running.api_url, running.token).audit()]
    assert "portal_code_sent" in kinds and "portal_opened" in kinds and "portal_reply" in kinds


def test_without_the_code_nothing_is_served_and_five_wrong_codes_lock_it(sent, sink, browser):
    running, link = sent
    base = link.split("#")[0].replace("/m/", "/api/v1/messages/")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/blob", timeout=10)
    assert refused.value.code == 401  # the link (key) alone does not get the ciphertext
    page = browser.new_page()
    page.goto(link)
    page.locator("#verify").wait_for()
    page.locator("#send-code").click()
    page.locator("#status.ok").wait_for()
    expected = ["4 tries left", "3 tries left", "2 tries left", "1 try left", "locked for 10 minutes"]
    for attempt, words in enumerate(expected):
        page.locator("#code").fill("000000" if attempt % 2 else "999999")
        page.locator("#open").click()
        page.locator("#status", has_text=words).wait_for()
    page.locator("#code").fill("123456")
    page.locator("#open").click()
    page.locator(
        "#status", has_text="more minute"
    ).wait_for()  # a locator, not a string eval: the page's CSP forbids eval
    assert page.locator("#message").is_hidden()
    client = AgentClient(running.api_url, running.token)
    deadline = time.monotonic() + 20  # receipts reach the audit at the next sync
    while "portal_locked" not in [r["event"] for r in client.audit()]:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_a_revoked_message_says_so_and_a_damaged_link_opens_nothing(sent, sink, browser):
    running, link = sent
    base, key = link.split("#")
    damaged = base + "#" + ("A" if key[0] != "A" else "B") + key[1:]
    page = open_with_code(browser, damaged, sink, until="#status.error")
    assert "could not be decrypted" in page.locator("#status").inner_text() and "metformin" not in page.content()
    client = AgentClient(running.api_url, running.token)
    [message] = client.outbox()
    client.revoke(message["id"])
    page = browser.new_page()
    page.goto(link)
    page.locator("#status", has_text="withdrew").wait_for()
    assert page.locator("#verify").is_hidden()


@pytest.mark.screenshots
def test_on_a_phone_the_page_is_one_readable_column(sent, sink, browser, tmp_path):
    running, link = sent
    page = open_with_code(browser, link, sink, viewport={"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    shot = screenshot_folder(tmp_path) / "portal-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    check_screenshot(shot, min_width=390)
    # Every control has a label a screen reader reads.
    for control in ("#reply-text", "#reply-files"):
        assert page.locator(f"label[for='{control[1:]}']").count() == 1


def test_a_saved_attachment_is_receipted_by_its_place_and_its_name_is_stored_nowhere(
    start_agent, sink, home, browser, tmp_path
):
    from email.message import EmailMessage

    running = start_agent(sink.port, portal={"poll_seconds": 1})
    name = "Gonzalez_Maria_MRN-4471982_labs.txt"
    message = EmailMessage()
    message["From"], message["To"] = SENDER, PATIENT
    message["Subject"], message["Message-ID"] = "Your results", "<named-receipt@valleyclinic.example>"
    message.set_content("Your results are attached.")
    message.add_attachment(b"A1c 7.9%\n", maintype="text", subtype="plain", filename=name)
    path = tmp_path / "named.eml"
    path.write_bytes(message.as_bytes())
    assert run_cli("send", str(path), "--wait", home=home).returncode == 0
    [notice] = sink.received
    link = re.search(r"(http://\S+/m/\S+#\S+)", notice.message.get_body(("plain",)).get_content()).group(1)
    page = open_with_code(browser, link, sink)
    with page.expect_download() as saved:
        page.get_by_text(name).click()
    assert saved.value.suggested_filename == name  # the recipient still gets the file by its name
    client = AgentClient(running.api_url, running.token)
    deadline = time.monotonic() + 20
    while not (receipts := [r for r in client.audit() if r["event"] == "portal_downloaded"]):
        assert time.monotonic() < deadline, "the receipt never reached the audit"
        time.sleep(0.2)
    assert receipts[0]["detail"] == "attachment 1"
    # A page (or anyone with the session) that still sends a name is refused, and nothing is stored.
    api = link.split("#")[0].replace("/m/", "/api/v1/messages/")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    request = urllib.request.Request(
        f"{api}/receipt",
        method="POST",
        data=b'{"event": "download", "name": "x.pdf"}',
        headers={"Content-Type": "application/json", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    assert b"Gonzalez_Maria" not in stored and b"4471982" not in stored


LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 112 40" width="112" height="40">
<path d="M12 6h10v10h10v10H22v10H12V26H2V16h10z" fill="#1f6f5c"/>
<text x="38" y="27" font-family="sans-serif" font-size="17" font-weight="700" fill="#1f6f5c">Valley</text></svg>"""


@pytest.mark.screenshots
def test_the_portal_page_wears_the_clinics_branding(browser, tmp_path):
    """A standalone portal with the full branding (name, logo, colours, support contact): the
    page shows them under its strict CSP (nothing blocked), and the dates read as dates."""
    from agent.portal.branding import Branding
    from agent.portal.server import create_app
    from agent.portal.store import SqlitePortalStore
    from agent.protect.portal import b64url, seal

    (tmp_path / "logo.svg").write_text(LOGO_SVG)
    branding = Branding.from_mapping(
        {
            "name": "Valley Family Clinic",
            "logo": "logo.svg",
            "primary_color": "#1f6f5c",
            "accent_color": "#f2a900",
            "support_phone": "+1 555 0100",
            "support_email": "help@valleyclinic.example",
            "support_url": "https://valleyclinic.example/contact",
        },
        "test [branding]",
        base=tmp_path,
    )
    store = SqlitePortalStore(tmp_path / "portal")
    ident = b64url(b"branded-message!")
    key, blob = seal(
        {
            "format": "postseal-portal-v1",
            "from": "Dr. Emily Chen <dr.chen@valleyclinic.example>",
            "to": PATIENT,
            "cc": "",
            "date": "Mon, 07 Dec 2026 09:30:00 +0000",
            "subject": "Your lab results",
            "text": "Your A1c is back to 6.9%. See you in March.",
            "attachments": [],
        },
        ident,
    )
    store.put(ident, blob, "dr.chen@valleyclinic.example", PATIENT, time.mktime((2026, 12, 15, 12, 0, 0, 0, 0, -1)))
    codes: list[str] = []
    port, stop = serve_in_thread(
        create_app(store, "token", mailer=lambda sealed, code: codes.append(code), branding=branding)
    )
    try:
        page = browser.new_page(viewport={"width": 1000, "height": 760}, locale="en-GB", timezone_id="Europe/London")
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"http://127.0.0.1:{port}/m/{ident}#{b64url(key)}")
        page.locator("#verify").wait_for()
        page.locator("#support").wait_for()
        assert page.locator("#brand-name").inner_text() == "Valley Family Clinic"
        assert page.title() == "Secure message from Valley Family Clinic"
        assert page.locator("#brand-logo").evaluate("img => img.complete && img.naturalWidth > 0")
        # The reader's own locale writes the date (en-GB: "Tuesday, 15 December 2026"), never an ISO one.
        assert page.locator("#expiry-note").inner_text() == "You can open it until Tuesday, 15 December 2026."
        support = page.locator("#support").inner_text()
        assert "Contact Valley Family Clinic" in support and "+1 555 0100" in support
        assert page.locator("#support a[href='tel:+15550100']").count() == 1
        assert page.locator("header").evaluate("h => getComputedStyle(h).backgroundColor") == "rgb(31, 111, 92)"
        shots = screenshot_folder(tmp_path)
        page.screenshot(path=str(shots / "portal-branded.png"), full_page=True)
        check_screenshot(shots / "portal-branded.png")
        page.locator("#send-code").click()
        page.locator("#status.ok").wait_for()
        page.locator("#code").fill(codes[-1])
        page.locator("#open").click()
        page.locator("#message").wait_for()
        assert page.locator("#date").inner_text().startswith("Monday, 7 December 2026")  # and the time
        assert page.locator("#expires").inner_text() == "Tuesday, 15 December 2026"
        page.screenshot(path=str(shots / "portal-branded-message.png"), full_page=True)
        check_screenshot(shots / "portal-branded-message.png")
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the branded page scrolls sideways on a phone ({width}px)"
        page.screenshot(path=str(shots / "portal-branded-phone.png"))
        check_screenshot(shots / "portal-branded-phone.png", min_width=390)
        assert blocked == []  # the branding needed no exception to the page's CSP
    finally:
        stop()
        store.close()


def serve_in_thread(app) -> tuple[int, callable]:
    """The app on a free port, on an event loop in a thread of its own (Playwright's sync API
    holds this thread's loop)."""
    import asyncio
    import threading

    from aiohttp import web

    from agent.demo_world import free_port

    port, ready, held = free_port(), threading.Event(), {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        held["loop"] = loop
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(20), "the portal did not start"

    def stop() -> None:
        held["loop"].call_soon_threadsafe(held["loop"].stop)
        thread.join(20)

    return port, stop
