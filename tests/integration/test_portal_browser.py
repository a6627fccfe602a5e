"""The portal in a real browser (headless Chromium): the recipient proves they read their
mailbox with a one-time code, the page decrypts with the key from the link, saves an
attachment (a receipt in the audit), and sends a secure reply with a file that reaches the
sender encrypted to their own key (opened with plain gpg). Without the code nothing is
served; five wrong codes lock it; an expired or revoked message says so."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from email import message_from_string, policy
from pathlib import Path

import pytest

from agent import secret_store
from agent.api.client import AgentClient
from agent.keys.pgp_store import PASSPHRASE
from tests.conftest import SAMPLES, SENDER, run_cli

playwright_sync = pytest.importorskip("playwright.sync_api", reason="pip install -e .[test] brings playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
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
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-first-run", "--disable-background-networking",
                                           "--disable-component-update", "--disable-sync"])
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


def test_the_recipient_opens_it_with_a_code_saves_the_file_and_replies_securely(sent, sink, browser, tmp_path):
    running, link = sent
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    notice = browser.new_page(viewport={"width": 760, "height": 420})
    [mail] = [r for r in sink.received if r.recipients == (PATIENT,)]
    notice.set_content(mail.message.get_body(("html",)).get_content())  # the notice as a mail program shows it
    assert "metformin" not in notice.content() and "code that we e-mail" in notice.content()
    notice.screenshot(path=str(SCREENSHOTS / "portal-notice.png"))
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(link)
    page.locator("#verify").wait_for()
    assert "m•••@mailbox.example" in page.locator("#verify-text").inner_text()
    assert "metformin" not in page.content()  # nothing before the code
    page.screenshot(path=str(SCREENSHOTS / "portal-verify.png"), full_page=True)
    enter_code(page, sink)
    assert "increase metformin to 1000 mg twice daily" in page.locator("#text").inner_text()
    assert page.locator("#subject").inner_text() == "Your visit on November 23"
    assert page.locator("#expires").inner_text()  # the recipient sees until when
    page.screenshot(path=str(SCREENSHOTS / "portal-message.png"), full_page=True)

    lab = tmp_path / "home-readings.csv"
    lab.write_text("date,glucose\n2026-11-30,142\n")
    page.locator("#reply-text").fill("Thank you. My readings since the visit are attached.")
    page.locator("#reply-files").set_input_files(str(lab))
    page.locator("#send-reply").click()
    page.locator("#reply-status.ok").wait_for()

    # The agent collects the reply and hands it to the sender, encrypted to their own key.
    deadline = time.monotonic() + 30
    while not [r for r in sink.received if r.recipients == (SENDER,)]:
        assert time.monotonic() < deadline, "the reply never reached the sender"
        time.sleep(0.2)
    [reply] = [r for r in sink.received if r.recipients == (SENDER,)]
    assert b"My readings" not in reply.data and reply.message.get_content_type() == "multipart/encrypted"
    armored = next(p for p in reply.message.walk() if p.get_content_type() == "application/octet-stream")
    gnupg_home = running.pipeline.pgp.home  # the clinician's keyring; plain gpg opens it with its passphrase
    passphrase = secret_store.get_or_create(running.pipeline.home, PASSPHRASE).hex()
    opened = subprocess.run(["gpg", "--homedir", str(gnupg_home), "--batch", "--pinentry-mode", "loopback",
                             "--passphrase", passphrase, "--decrypt"],
                            input=armored.get_payload(decode=True), capture_output=True, check=True).stdout.decode()
    inner = message_from_string(opened, policy=policy.default)
    assert "My readings since the visit are attached." in inner.get_body(("plain",)).get_content()
    [file] = list(inner.iter_attachments())
    assert file.get_filename() == "home-readings.csv" and file.get_content() == lab.read_text()
    assert inner["Reply-To"] == PATIENT and inner["Subject"] == "Re: Your visit on November 23"
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
    page.wait_for_function("document.getElementById('status').textContent.includes('locked until')")
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
    page.wait_for_function("document.getElementById('status').textContent.includes('withdrew')")
    assert page.locator("#verify").is_hidden()


def test_on_a_phone_the_page_is_one_readable_column(sent, sink, browser):
    running, link = sent
    page = open_with_code(browser, link, sink, viewport={"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(SCREENSHOTS / "portal-phone.png"), full_page=True)
    # Every control has a label a screen reader reads.
    for control in ("#reply-text", "#reply-files"):
        assert page.locator(f"label[for='{control[1:]}']").count() == 1


def test_a_saved_attachment_is_receipted_by_its_place_and_its_name_is_stored_nowhere(start_agent, sink, home, browser,
                                                                                      tmp_path):
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
    request = urllib.request.Request(f"{api}/receipt", method="POST", data=b'{"event": "download", "name": "x.pdf"}',
                                     headers={"Content-Type": "application/json",
                                              "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    assert b"Gonzalez_Maria" not in stored and b"4471982" not in stored
