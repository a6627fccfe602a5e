"""The Gmail extension, unpacked, in headless Chromium, against a Gmail stand-in served at
https://mail.google.com/ and a real agent reached through the real native messaging host.
Past 400 lines: one browser session per test over one shared stand-in.

What it proves: Send (button, Ctrl+Enter, inline reply, pop-out) is stopped until the agent
has answered; "Gmail" sends what the agent allows; a held message does not leave and waits in
the agent's outbox; agent down or changed markup stops the send with a banner that says why.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.api.client import AgentClient
from agent.ingress import native_manifest
from tests.addins.sentences import SAYS, SMIME_PARTNER
from tests.plain_text import assert_plain
from tests.screenshots import check_screenshot, screenshot_folder

playwright_sync = pytest.importorskip("playwright.sync_api", reason="pip install -e .[test] brings playwright")

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "addins" / "gmail"
FIXTURE = Path(__file__).resolve().parent / "gmail" / "fixture.html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXTENSION_ID = "npopaobmgdpnkgmgoeplckklppifdhok"  # README.md "Extension ID"
WAIT_MS = 45_000

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`")


def extension_id(manifest_key: str) -> str:
    """Chrome's rule: the first 32 hex digits of SHA-256 over the DER public key, 0-f → a-p."""
    digest = hashlib.sha256(base64.b64decode(manifest_key)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


class GmailStandIn:
    """HTTPS server for the fixture page; records what "Gmail" sent and discarded."""

    def __init__(self, folder: Path) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.google.com")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("mail.google.com")]), critical=False)
            .sign(key, hashes.SHA256())
        )
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # Chromium trusts this one key for the test and nothing else (--ignore-certificate-errors-spki-list).
        self.spki_hash = base64.b64encode(hashlib.sha256(spki).digest()).decode()
        self.sent: list[dict] = []
        self.discarded: list[dict] = []
        page = FIXTURE.read_bytes()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def do_POST(self) -> None:  # noqa: N802
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                {"/sent": stand_in.sent, "/discarded": stand_in.discarded}[self.path].append(data)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory) -> Iterator[GmailStandIn]:
    server = GmailStandIn(tmp_path_factory.mktemp("gmail-tls"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def host_target(tmp_path_factory) -> Path:
    """The file naming the POSTSEAL_HOME the registered native host uses (set per test)."""
    return tmp_path_factory.mktemp("host") / "postseal-home"


@pytest.fixture(scope="module")
def browser(tmp_path_factory, stand_in, host_target):
    profile = tmp_path_factory.mktemp("chromium-profile")
    wrapper = profile.parent / "postseal-native-host"
    # The installed console script, told which POSTSEAL_HOME this test uses.
    wrapper.write_text(
        "#!/bin/sh\n"
        f'POSTSEAL_HOME="$(cat {host_target})" export POSTSEAL_HOME\n'
        f'exec {native_manifest.host_executable()} "$@"\n'
    )
    wrapper.chmod(0o755)
    # Chromium also reads host manifests from <user-data-dir>/NativeMessagingHosts; the file
    # is the one `postseal extension register` writes.
    native_manifest.register(("chromium",), executable=wrapper, folder=profile / "NativeMessagingHosts")
    with playwright_sync.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            ignore_default_args=["--disable-extensions"],
            args=[
                f"--disable-extensions-except={EXTENSION}",
                f"--load-extension={EXTENSION}",
                f"--host-resolver-rules=MAP mail.google.com 127.0.0.1:{stand_in.port}",
                f"--ignore-certificate-errors-spki-list={stand_in.spki_hash}",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
            ],
            viewport={"width": 1100, "height": 760},
        )
        context.set_default_timeout(WAIT_MS)
        worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
        context.worker_url = worker.url
        yield context
        context.close()


@pytest.fixture
def gmail(browser, stand_in, host_target, home):
    """A fresh Gmail tab; the native host talks to this test's POSTSEAL_HOME."""
    home.mkdir(exist_ok=True)
    host_target.write_text(str(home))
    stand_in.sent.clear()
    stand_in.discarded.clear()
    page = browser.new_page()
    yield page
    page.close()


@pytest.fixture
def agent(start_agent, sink, pki, partner) -> AgentClient:
    """An agent that knows one partner's OpenPGP key and another's S/MIME certificate."""
    running = start_agent(sink.port, smime={"trusted_ca_files": [str(pki.ca_file)]})
    client = AgentClient(running.api_url, running.token, timeout=30)
    client.import_key(partner.public_key().encode())
    client.import_key(pki.person(SMIME_PARTNER).pem())
    return client


def postseal_text(page) -> str:
    """Everything Postseal shows on the page (banners and notes), checked for jargon."""
    text = "\n".join(page.locator(".postseal-banner, .postseal-toast").all_inner_texts())
    assert_plain(text, "the Gmail banner")
    return text


def note_lines(page) -> dict[str, str]:
    """The note shown once a message has gone: address → its sentence."""
    lines = page.locator(".postseal-toast li").all_inner_texts()
    return dict(line.split(": ", 1) for line in lines)


def open_compose(page, query: str = ""):
    page.goto(f"https://mail.google.com/mail/u/0/{query}")
    page.click("#compose")
    compose = page.locator("#dock div.M9").last
    compose.locator("[aria-label='Message Body']").wait_for()
    return compose


def write(compose, to: str, subject: str, body: str) -> None:
    compose.locator("[aria-label='To recipients']").fill(to)
    compose.locator("input[name=subjectbox]").fill(subject)
    compose.locator("[aria-label='Message Body']").fill(body)


def wait_for(page, predicate, what: str) -> None:
    """Poll server-side state from the page's event loop (no sleeps in the test)."""
    deadline = 90
    for _ in range(deadline * 10):
        if predicate():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never happened: {what}")


def test_the_extension_loads_with_its_documented_id(browser):
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    assert extension_id(manifest["key"]) == EXTENSION_ID
    assert browser.worker_url.startswith(f"chrome-extension://{EXTENSION_ID}/")
    host = native_manifest.host_manifest(Path("/opt/postseal/postseal-native-host"))
    assert host["allowed_origins"] == [f"chrome-extension://{EXTENSION_ID}/"]
    assert native_manifest.EXTENSION_ID == EXTENSION_ID
    assert EXTENSION_ID in (EXTENSION / "README.md").read_text()


def test_an_internal_message_is_checked_then_sent_by_gmail(gmail, agent, stand_in):
    compose = open_compose(gmail)
    write(compose, "nurse.kim@valleyclinic.example", "Rota for December", "See you Monday.")
    compose.locator("div[role=button].aoO").click()
    assert gmail.evaluate("window.gmailSends") == 0  # the click never reached "Gmail"
    wait_for(gmail, lambda: stand_in.sent, "Gmail sends the allowed message")
    [sent] = stand_in.sent
    assert sent["to"] == ["nurse.kim@valleyclinic.example"] and sent["subject"] == "Rota for December"
    stamped = [r for r in agent.audit() if r.get("event") == "stamped"]
    assert len(stamped) == 1 and stamped[0]["sender"] == "dr.chen@valleyclinic.example"  # the agent was asked
    assert agent.outbox() == []
    note = gmail.locator(".postseal-toast", has_text="Checked by Postseal and sent")
    note.wait_for()
    postseal_text(gmail)
    assert note_lines(gmail) == {"nurse.kim@valleyclinic.example": SAYS["nurse.kim@valleyclinic.example"]}


@pytest.mark.screenshots
def test_a_message_the_agent_sends_says_one_plain_sentence_per_recipient(gmail, agent, stand_in, tmp_path):
    compose = open_compose(gmail)
    write(compose, ", ".join(SAYS), "Referral follow-up", "Your follow-up visit is on Friday at 10:00.")
    compose.locator("div[role=button].aoO").click()
    gmail.locator(".postseal-toast", has_text="Sent protected by Postseal").wait_for()
    postseal_text(gmail)
    assert note_lines(gmail) == SAYS
    wait_for(gmail, lambda: stand_in.discarded, "Gmail's draft is discarded")
    shot = screenshot_folder(tmp_path) / "gmail-sent.png"
    gmail.screenshot(path=str(shot))
    check_screenshot(shot)
    assert stand_in.sent == [] and gmail.evaluate("window.gmailSends") == 0


def test_scheduled_send_is_turned_off_in_plain_words(gmail, stand_in):
    compose = open_compose(gmail)
    write(compose, "nurse.kim@valleyclinic.example", "Rota", "See you Monday.")
    compose.locator("[aria-label='More send options']").click()
    compose.locator(".postseal-banner", has_text="Scheduled send is off").wait_for()
    postseal_text(gmail)
    assert gmail.evaluate("window.gmailSends") == 0


@pytest.mark.screenshots
def test_a_held_message_does_not_leave_and_waits_in_the_outbox(gmail, agent, stand_in, tmp_path):
    compose = open_compose(gmail)
    write(
        compose,
        "records@statedisability.example",
        "Disability form",
        "Patient SSN: 512-44-8721, DOB 03/14/1958. Please process the claim.",
    )
    compose.locator("[aria-label='Message Body']").press("Control+Enter")
    banner = compose.locator(".postseal-banner.postseal-held")
    banner.wait_for()
    assert "Social Security number" in banner.inner_text() and "Held" in banner.inner_text()
    assert postseal_text(gmail) == (
        "Held for review: not sent\nThis message contains a Social Security number and is going "
        "outside the organization. Remove the number, or ask your privacy officer to release the message. "
        "Postseal keeps it until your privacy officer releases it; you can close this draft.\n×"
    )
    assert gmail.evaluate("window.gmailSends") == 0 and stand_in.sent == []
    [held] = agent.outbox()
    assert held["state"] == "held"
    shot = screenshot_folder(tmp_path) / "gmail-held.png"
    gmail.screenshot(path=str(shot))
    check_screenshot(shot)
    # Pressing Send again asks again and is stopped again: nothing leaves until released.
    compose.locator("div[role=button].aoO").click()
    compose.locator(".postseal-banner.postseal-held").wait_for()
    assert gmail.evaluate("window.gmailSends") == 0 and len(agent.outbox()) == 1


def test_inline_reply_and_pop_out_go_through_the_agent_too(gmail, agent, stand_in):
    gmail.goto("https://mail.google.com/mail/u/0/#inbox/thread")
    gmail.click("#reply")
    reply = gmail.locator("td.Bu div.M9")
    reply.locator("[aria-label='Message Body']").fill("Swapped Tuesday with Sam.")
    reply.locator("[aria-label='Message Body']").press("Control+Enter")
    wait_for(gmail, lambda: stand_in.sent, "the inline reply is sent")
    assert stand_in.sent[0]["via"] == "button"  # released by the extension after the agent allowed it

    with browser_page(gmail) as popout:
        compose = popout.locator("div.M9")
        compose.locator("[aria-label='Message Body']").wait_for()
        write(compose, "billing@valleyclinic.example", "Invoice 2291", "Paid in full.")
        compose.locator("div[role=button].aoO").click()
        wait_for(popout, lambda: len(stand_in.sent) == 2, "the pop-out compose is sent")
    assert stand_in.sent[1]["subject"] == "Invoice 2291" and "view=cm" in stand_in.sent[1]["page"]
    assert len([r for r in agent.audit() if r.get("event") == "stamped"]) == 2


class browser_page:  # noqa: N801 - reads as a phrase in `with`
    """The pop-out window Gmail's page opens."""

    def __init__(self, page) -> None:
        self.page = page

    def __enter__(self):
        with self.page.context.expect_page() as info:
            self.page.click("#popout")
        self.popout = info.value
        self.popout.wait_for_load_state()
        return self.popout

    def __exit__(self, *exc) -> None:
        self.popout.close()


def test_a_message_the_agent_sends_itself_closes_the_compose(gmail, agent, stand_in, sink):
    compose = open_compose(gmail)
    write(compose, "jordan.miles@familymail.example", "Your follow-up", "Your follow-up visit is on Friday.")
    compose.locator("div[role=button].aoO").click()
    gmail.locator(".postseal-toast", has_text="Sent protected by Postseal").wait_for()
    wait_for(gmail, lambda: stand_in.discarded, "Gmail's draft is discarded")
    assert stand_in.sent == [] and gmail.evaluate("window.gmailSends") == 0
    [entry] = agent.outbox()
    assert agent.wait(entry["id"])["state"] == "delivered" and sink.received  # the portal notice


def test_agent_not_running_stops_the_send_and_says_what_to_do(gmail, stand_in):
    compose = open_compose(gmail)
    write(compose, "nurse.kim@valleyclinic.example", "Rota", "See you Monday.")
    compose.locator("div[role=button].aoO").click()
    banner = compose.locator(".postseal-banner.postseal-error")
    banner.wait_for()
    assert "Postseal is not running" in banner.inner_text() and "start it from the tray" in banner.inner_text()
    postseal_text(gmail)
    assert gmail.evaluate("window.gmailSends") == 0 and stand_in.sent == []


def test_changed_markup_fails_closed(gmail, agent, stand_in):
    compose = open_compose(gmail, "?markup=changed")
    write(compose, "nurse.kim@valleyclinic.example", "Rota", "See you Monday.")
    banner = compose.locator(".postseal-banner", has_text="Postseal cannot check this message")
    banner.wait_for()
    assert "Gmail has changed its page" in banner.inner_text() and "ask your IT team" in banner.inner_text()
    assert "the Send button not found" in banner.get_attribute("data-postseal-why")  # for IT, not shown
    postseal_text(gmail)
    compose.locator("div[role=button].zzSend").click()
    compose.locator("[aria-label='Message Body']").press("Control+Enter")
    compose.locator("div[role=button].zzSend").press("Enter")
    assert gmail.evaluate("window.gmailSends") == 0
    assert stand_in.sent == [] and agent.outbox() == []


def test_phi_deep_in_a_large_attachment_is_found_after_the_trip_in_chunks(gmail, agent, stand_in, tmp_path):
    # 3 MB of roster, the one SSN on its last line: the draft is ~4 MB of JSON, which the
    # extension sends in 512 KB chunks (PROTOCOL.md) and the host puts back together; the
    # hold proves the whole file made the trip.
    rows = "".join(f"{i},Clinic shift,Room {i % 40}\n" for i in range(120_000))
    roster = tmp_path / "roster.csv"
    roster.write_text("id,shift,room\n" + rows + "999999,Patient SSN 512-44-8721,Room 9\n")
    assert roster.stat().st_size > 3_000_000
    compose = open_compose(gmail)
    write(compose, "records@statedisability.example", "Roster", "Roster attached.")
    compose.locator("input[type=file]").set_input_files(str(roster))
    compose.locator("div.dL", has_text="roster.csv").wait_for()
    compose.locator("div[role=button].aoO").click()
    banner = compose.locator(".postseal-banner.postseal-held")
    banner.wait_for()
    assert "Social Security number" in banner.inner_text()
    assert gmail.evaluate("window.gmailSends") == 0 and stand_in.sent == []
    [held] = agent.outbox()
    assert held["state"] == "held"


def test_an_attachment_gmail_does_not_hand_over_blocks_the_send(gmail, agent, stand_in):
    compose = open_compose(gmail, "?forwarded=1")
    write(compose, "nurse.kim@valleyclinic.example", "Fwd: scan", "See the scan.")
    compose.locator("div[role=button].aoO").click()
    banner = compose.locator(".postseal-banner.postseal-error")
    banner.wait_for()
    assert "scan-from-drive.pdf" in banner.inner_text() and "Blocked" in banner.inner_text()
    postseal_text(gmail)
    assert gmail.evaluate("window.gmailSends") == 0 and stand_in.sent == [] and agent.outbox() == []
