"""The Outlook task pane, served by a real agent over HTTPS from its per-install CA, in
headless Chromium: the browser trusts that CA the way the installer makes the system trust
it (an NSS database, as Chrome on Linux reads), Office.js is a stand-in with the documented
shapes, and the pane shows what Send would do — without storing, queueing or stamping."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import free_port
from agent.runtime import AgentThread
from tests.addins.sentences import SAYS, SMIME_PARTNER
from tests.conftest import make_config
from tests.plain_text import assert_plain
from tests.screenshots import check_screenshot, screenshot_folder

playwright_sync = pytest.importorskip("playwright.sync_api", reason="pip install -e .[test] brings playwright")

REPO = Path(__file__).resolve().parents[2]
OFFICE_STAND_IN = (Path(__file__).resolve().parent / "outlook" / "office-browser.js").read_text()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CERTUTIL = shutil.which("certutil")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CERTUTIL is None, reason="chromium and certutil (libnss3-tools) are installed by `make test`"
)

HELD_DRAFT = {
    "from": "dr.chen@valleyclinic.example",
    "to": ["records@statedisability.example"],
    "subject": "Disability form",
    "body": "<p>Patient SSN: 512-44-8721, DOB 03/14/1958. Please process the claim.</p>",
}
MIXED_DRAFT = {
    "from": "dr.chen@valleyclinic.example",
    "to": ["nurse.kim@valleyclinic.example", "jordan.miles@familymail.example"],
    "cc": ["claims@harborbilling.example"],
    "subject": "Follow-up",
    "body": "<p>Your follow-up visit is on Friday at 10:00.</p>",
}
EVERY_METHOD_DRAFT = {**MIXED_DRAFT, "to": list(SAYS), "cc": [], "subject": "Referral follow-up"}


def trust_in_nss(home: Path, ca_file: Path) -> None:
    """What the installer does on Linux for Chrome: the CA into the user's NSS database."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([CERTUTIL, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(
        [CERTUTIL, "-A", "-d", f"sql:{nssdb}", "-n", "Postseal local CA", "-t", "C,,", "-i", str(ca_file)], check=True
    )


@pytest.fixture
def browser_for(tmp_path):
    """A Chromium whose $HOME (and so its NSS trust store) is a fresh folder."""
    opened = []

    def launch(trusted_ca: Path | None):
        fake_home = tmp_path / f"user-{len(opened)}"
        fake_home.mkdir()
        if trusted_ca:
            trust_in_nss(fake_home, trusted_ca)
        pw = playwright_sync.sync_playwright().start()
        context = pw.chromium.launch_persistent_context(
            str(fake_home / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            env={"HOME": str(fake_home), "PATH": "/usr/bin:/bin"},
            args=["--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            viewport={"width": 340, "height": 640},
        )
        context.set_default_timeout(30_000)
        # The CDN is not reachable here: serve the Office.js stand-in in its place.
        context.route(
            "https://appsforoffice.microsoft.com/**",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=OFFICE_STAND_IN),
        )
        opened.append((pw, context))
        return context

    yield launch
    for pw, context in opened:
        context.close()
        pw.stop()


@pytest.fixture
def agent(start_agent, sink, home, pki, partner):
    """An agent that knows one partner's OpenPGP key and another's S/MIME certificate."""
    running = start_agent(
        sink.port, ingress={"addin_port": free_port()}, smime={"trusted_ca_files": [str(pki.ca_file)]}
    )
    running.ca_file = home / "tls" / "local-ca.pem"
    client = AgentClient(running.api_url, running.token)
    client.import_key(partner.public_key().encode())
    client.import_key(pki.person(SMIME_PARTNER).pem())
    return running


def open_pane(context, agent, draft: dict):
    page = context.new_page()
    page.add_init_script(f"window.POSTSEAL_TEST_DRAFT = {json.dumps(draft)};")
    page.goto(f"{agent.addin_url}/addin/taskpane.html")
    page.locator("body:not([data-state=loading])").wait_for()
    assert_plain(page.locator("body").inner_text(), "the task pane")  # every text it shows, as shown
    return page


def sentences(page) -> dict[str, str]:
    """Each recipient's line as shown: address → sentence."""
    rows = page.locator(".recipient")
    return {
        rows.nth(i).locator(".address").inner_text(): rows.nth(i).locator(".says").inner_text()
        for i in range(rows.count())
    }


@pytest.mark.screenshots
def test_the_pane_shows_a_hold_with_its_reason_and_stores_nothing(browser_for, agent, tmp_path):
    page = open_pane(browser_for(agent.ca_file), agent, HELD_DRAFT)
    assert page.locator("#decision").inner_text() == "Held for review"
    assert "Social Security number" in page.locator("#message").inner_text()
    findings = page.locator("#findings").inner_text()
    assert "Social Security number: 1" in findings and "Date of birth: 1" in findings
    assert "512-44-8721" not in page.content()  # types, never values
    assert page.locator("#message").inner_text() == (
        "This message contains a Social Security number and is going outside the organization. Remove the "
        "number, or ask your privacy officer to release the message."
    )
    assert page.locator("#recipients-title").inner_text() == "How each recipient will get it once it can leave"
    assert sentences(page) == {"records@statedisability.example": SAYS["jordan.miles@familymail.example"]}
    shot = screenshot_folder(tmp_path) / "outlook-taskpane-held.png"
    page.screenshot(path=str(shot), full_page=True)
    check_screenshot(shot)
    client = AgentClient(agent.api_url, agent.token)
    assert client.outbox() == [] and not [r for r in client.audit() if r.get("event") == "stamped"]


@pytest.mark.screenshots
def test_the_pane_says_one_plain_sentence_per_recipient_for_each_method(browser_for, agent, tmp_path):
    page = open_pane(browser_for(agent.ca_file), agent, EVERY_METHOD_DRAFT)
    assert page.locator("#decision").inner_text() == "Postseal will send it protected"
    assert page.locator("#message").inner_text() == ("Encrypted or through the secure portal, as each recipient needs.")
    assert sentences(page) == SAYS
    shot = screenshot_folder(tmp_path) / "outlook-taskpane.png"
    page.screenshot(path=str(shot), full_page=True)
    check_screenshot(shot)
    assert AgentClient(agent.api_url, agent.token).outbox() == []


def test_the_pane_says_outlook_sends_mail_for_colleagues_and_required_partners(browser_for, agent):
    draft = {**MIXED_DRAFT, "to": ["nurse.kim@valleyclinic.example"], "cc": ["claims@harborbilling.example"]}
    page = open_pane(browser_for(agent.ca_file), agent, draft)
    assert page.locator("#decision").inner_text() == "Outlook will send it"
    assert page.locator("#message").inner_text() == (
        "Your mail program sends it: every recipient is inside your organization or reached over a verified "
        "encrypted connection."
    )
    assert sentences(page) == {a: SAYS[a] for a in ("nurse.kim@valleyclinic.example", "claims@harborbilling.example")}


def test_mail_held_until_it_finishes_the_set_up_says_so_without_its_settings(browser_for, start_agent, sink, home):
    # A portal address no patient can open holds portal mail (agent/readiness.py); IT's line
    # names the setting, the clinician's does not.
    running = start_agent(sink.port, ingress={"addin_port": free_port()}, portal={"allow_test_url": False})
    page = open_pane(browser_for(home / "tls" / "local-ca.pem"), running, {**MIXED_DRAFT, "cc": []})
    assert page.locator("#decision").inner_text() == "Held for review"
    assert page.locator("#message").inner_text() == (
        "Your IT team has not finished setting up the secure portal, so mail that goes through it waits until they do."
    )
    # Send stops with the same words, and says who can let it go.
    options, _ = press_send(page.context, running, {**MIXED_DRAFT, "cc": []})
    assert options["allowEvent"] is False and "until your IT team has fixed this" in options["errorMessage"]
    assert_plain(options["errorMessage"], "the Smart Alert")


def test_the_pane_is_refused_where_the_local_ca_is_not_trusted(browser_for, agent):
    page = browser_for(None).new_page()
    with pytest.raises(playwright_sync.Error, match="ERR_CERT_AUTHORITY_INVALID"):
        page.goto(f"{agent.addin_url}/addin/taskpane.html")


def test_the_pane_says_what_to_do_when_the_agent_stops(browser_for, sink, ca, home):
    config = make_config(sink.port, ca, ingress={"addin_port": free_port()})
    (home / "config.toml").write_text(config_mod.to_toml(config))
    thread = AgentThread(home, config)
    try:
        running = thread.start()
        page = open_pane(browser_for(home / "tls" / "local-ca.pem"), running, MIXED_DRAFT)
        assert page.locator("#decision").inner_text() == "Postseal will send it protected"
    finally:
        thread.stop()
    page.click("#recheck")
    page.locator("body[data-state=error]").wait_for()
    assert page.locator("#decision").inner_text() == "Postseal cannot check this draft"
    assert page.locator("#message").inner_text() == (
        "Postseal is not running. Start Postseal from the Start menu (or its icon in the system tray or menu bar), "
        "then press Send again."
    )
    assert_plain(page.locator("body").inner_text(), "the task pane")
    assert page.locator("#recipients-section").is_hidden()  # no stale plan beside the error


def press_send(context, agent, draft: dict) -> tuple[dict, dict]:
    """Load the event page (commands.html) from the agent and run the OnMessageSend handler
    it registered, as Outlook would: the options it completes with, and the headers it set."""
    page = context.new_page()
    page.add_init_script(f"window.POSTSEAL_TEST_DRAFT = {json.dumps(draft)};")
    page.goto(f"{agent.addin_url}/addin/commands.html")
    page.locator("html").wait_for()
    options = page.evaluate("""() => new Promise((resolve, reject) => {
        const started = Date.now();
        (function wait() {
          const handler = window.POSTSEAL_TEST_HANDLERS.onMessageSendHandler;
          if (handler) return handler({ type: "olkMessageSend", completed: resolve });
          if (Date.now() - started > 20000) return reject(new Error("the handler was never associated"));
          setTimeout(wait, 50);
        })();
      })""")
    return options, page.evaluate("() => window.POSTSEAL_TEST_HEADERS")


def test_send_in_outlook_stamps_an_internal_message_with_a_stamp_that_verifies(browser_for, agent, sink):
    internal = {**MIXED_DRAFT, "to": ["nurse.kim@valleyclinic.example"], "cc": []}
    options, headers = press_send(browser_for(agent.ca_file), agent, internal)
    assert options == {"allowEvent": True}
    message = (
        f"From: {internal['from']}\r\nTo: nurse.kim@valleyclinic.example\r\nSubject: {internal['subject']}\r\n"
        f"X-Postseal-Verdict: {headers['X-Postseal-Verdict']}\r\n\r\nbody\r\n"
    ).encode()
    client = AgentClient(agent.api_url, agent.token)
    assert client.verify_stamp(message, None)["valid"]
    assert sink.received == [] and client.outbox() == []  # Outlook sends it, not the agent


def test_send_in_outlook_with_an_ssn_is_stopped_and_the_message_waits_held(browser_for, agent, sink):
    options, headers = press_send(browser_for(agent.ca_file), agent, HELD_DRAFT)
    assert options["allowEvent"] is False and "Social Security number" in options["errorMessage"]
    assert_plain(options["errorMessage"], "the Smart Alert")
    assert headers == {}
    [held] = AgentClient(agent.api_url, agent.token).outbox()
    assert held["state"] == "held" and sink.received == []  # nothing left, by either road


def test_send_in_outlook_to_a_portal_recipient_is_sent_by_the_agent_not_outlook(browser_for, agent, sink):
    portal = {**MIXED_DRAFT, "to": ["jordan.miles@familymail.example"], "cc": []}
    options, headers = press_send(browser_for(agent.ca_file), agent, portal)
    assert options["allowEvent"] is False and "does not send its own copy" in options["errorMessage"]
    assert "through the secure portal" in options["errorMessage"]
    assert_plain(options["errorMessage"], "the Smart Alert")
    assert headers == {}
    assert sink.wait_for(1, timeout=60) and sink.received[0].recipients == ("jordan.miles@familymail.example",)
