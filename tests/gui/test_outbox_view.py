"""The outbox window against a real agent and a real SMTP sink: live list, search and
filter, and each action a person can take on a message."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from agent.api.client import AgentClient
from agent.demo_world import SmtpSink
from gui.dialogs import ReleaseDialog
from gui.outbox_model import PROGRESS, RECIPIENTS, STATE
from gui.proof_dialog import ProofDialog
from gui.status import Tone
from tests.conftest import SAMPLES
from tests.gui.conftest import wait_for_tone


def submit(running, *names: str) -> list[str]:
    client = AgentClient(running.api_url, running.token)
    return [client.submit((SAMPLES / name).read_bytes()).id for name in names]


def settled(tray, ident: str, state: str):
    def check() -> bool:
        message = tray.app.outbox.message(ident)
        # the full record, not only the state an event announced ahead of it
        return (
            message is not None
            and message.state == state
            and (state != "delivered" or all(r.proof for r in message.recipients))
        )

    return check


def open_outbox(qtbot, tray, ident: str, state: str):
    qtbot.waitUntil(settled(tray, ident, state), timeout=15_000)
    view = tray.window.outbox
    tray.window.show_view("outbox")
    assert view.select(ident)
    return view


def visible_subjects(view) -> list[str]:
    return [view.proxy.index(row, 1).data() for row in range(view.proxy.rowCount())]


def test_a_delivered_message_appears_live_with_method_state_and_progress(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    (ident,) = submit(running, "06-care-team-update.eml")
    view = open_outbox(qtbot, tray, ident, "delivered")
    row = view.proxy.mapFromSource(tray.app.outbox.index(tray.app.outbox.row_of(ident), 0)).row()
    assert view.proxy.index(row, 1).data() == "Care team update: Robert Alvarez"  # the subject, shown here only
    assert view.proxy.index(row, STATE).data() == "Delivered"
    assert view.proxy.index(row, PROGRESS).data() == "3 of 3 delivered"
    assert view.proxy.index(row, RECIPIENTS).data() == (
        "referrals@lakesidecardiology.example via secure portal; nurse.patel@valleyclinic.example inside "
        "the organization; sam.okafor@northside-health.example via secure portal"
    )
    assert [view.recipients.item(r, 0).text() for r in range(3)] == [
        "secure portal",
        "inside the organization",
        "secure portal",
    ]
    assert not view.recipients.item(0, 0).icon().isNull()


def test_search_and_filter_narrow_the_list(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    ids = submit(running, "01-internal-note.eml", "02-referral-lab-results.eml", "05-disability-form-ssn.eml")
    qtbot.waitUntil(
        lambda: all(
            tray.app.outbox.message(i) and tray.app.outbox.message(i).state in ("delivered", "held") for i in ids
        ),
        timeout=15_000,
    )
    view = tray.window.outbox
    qtbot.keyClicks(view.search, "lakeside")
    assert visible_subjects(view) == ["Referral: Robert Alvarez, atrial fibrillation"]
    view.search.clear()
    view.kind.setCurrentText("Held for review")
    assert visible_subjects(view) == ["Disability form for Robert Alvarez"]
    view.kind.setCurrentText("All messages")
    assert len(visible_subjects(view)) == 3


def test_release_after_review_sends_the_held_message_and_records_the_note(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    (ident,) = submit(running, "05-disability-form-ssn.eml")
    view = open_outbox(qtbot, tray, ident, "held")
    assert "Social Security number" in view.detail.text()
    assert view.release_button.isEnabled() and not view.retry_button.isEnabled()
    qtbot.mouseClick(view.release_button, Qt.MouseButton.LeftButton)
    dialog = view.findChild(ReleaseDialog)
    assert not dialog.release.isEnabled()  # a reviewer must say why
    qtbot.keyClicks(dialog.note, "Patient asked for the form to be sent; SSN required by the agency")
    qtbot.mouseClick(dialog.release, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.bar.kind == "ok")
    assert view.bar.text.text() == "Released after review: 1 recipient will now get it as planned."
    qtbot.waitUntil(settled(tray, ident, "delivered"), timeout=15_000)
    assert sink.to("records@statedisability.example")
    released = [r for r in AgentClient(running.api_url, running.token).audit() if r["event"] == "released"]
    assert "SSN required by the agency" in released[0]["reason"]


def test_send_via_portal_instead_reroutes_a_deferred_tls_copy(qtbot, start_agent, make_tray):
    with SmtpSink() as plain_relay:  # no STARTTLS: a TLS-only copy must wait, never go in clear
        running = start_agent(plain_relay.port)
        tray = make_tray()
        (ident,) = submit(running, "04-billing-claim-tls.eml")
        view = open_outbox(qtbot, tray, ident, "deferred")
        assert view.retry_button.isEnabled() and view.portal_button.isEnabled()
        qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.bar.kind != "")
        assert view.bar.text.text() in (
            "Trying 1 recipient again now.",
            "Nothing to retry: no recipient of this message is waiting for another try.",
        )
        qtbot.waitUntil(settled(tray, ident, "deferred"), timeout=15_000)
        view.select(ident)
        qtbot.mouseClick(view.portal_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.bar.text.text().startswith("1 recipient will get a secure portal message"))
        qtbot.waitUntil(lambda: tray.app.outbox.message(ident).recipients[0].method == "portal", timeout=15_000)
        qtbot.waitUntil(settled(tray, ident, "delivered"), timeout=15_000)
        assert plain_relay.to("claims@harborbilling.example")


def test_revoke_asks_first_then_portal_copies_can_no_longer_be_opened(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    (ident,) = submit(running, "03-patient-followup.eml")
    view = open_outbox(qtbot, tray, ident, "delivered")
    assert view.revoke_button.isEnabled()
    qtbot.mouseClick(view.revoke_button, Qt.MouseButton.LeftButton)
    box = view.findChild(QMessageBox)
    assert "cannot be undone" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert view.bar.kind == ""  # cancelled: nothing happened
    qtbot.mouseClick(view.revoke_button, Qt.MouseButton.LeftButton)
    box = [b for b in view.findChildren(QMessageBox) if b.isVisible()][0]
    next(b for b in box.buttons() if b.text() == "Revoke").click()
    qtbot.waitUntil(lambda: view.bar.kind == "ok")
    assert view.bar.text.text() == "Revoked: 1 portal copy can no longer be opened."
    qtbot.waitUntil(lambda: (tray.app.outbox.message(ident).recipients[0].proof or {}).get("revoked") is not None)
    view.select(ident)
    assert not view.revoke_button.isEnabled()
    assert view.recipients.item(0, 3).text().startswith("portal copy revoked")


def test_delivery_proof_shows_how_each_copy_left(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    (ident,) = submit(running, "04-billing-claim-tls.eml")
    view = open_outbox(qtbot, tray, ident, "delivered")
    qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter on a message opens its proof
    dialog = view.findChild(ProofDialog)
    text = dialog.text.toPlainText()
    assert "claims@harborbilling.example: Delivered, via verified TLS" in text
    assert "TLS version: TLSv1.3" in text and "Verified server: 127.0.0.1 (certificate verified)" in text
    assert "Relay's reply: 250 " in text


def test_an_action_the_agent_refuses_says_why_in_one_line(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    (ident,) = submit(running, "01-internal-note.eml")
    view = open_outbox(qtbot, tray, ident, "delivered")
    view.retry()  # the button is disabled; the agent must still refuse a stale click politely
    qtbot.waitUntil(lambda: view.bar.kind == "error")
    assert view.bar.text.text() == "Nothing to retry: no recipient of this message is waiting for another try."


def test_a_delivered_recipient_reads_how_it_went_in_plain_words(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    (ident,) = submit(running, "03-patient-followup.eml")
    view = open_outbox(qtbot, tray, ident, "delivered")
    planned = AgentClient(running.api_url, running.token).message(ident)["plan"]["recipients"][0]["says"]
    details = view.recipients.item(0, 3).text()
    # The sentence the add-ins showed before sending, not the relay's "250 2.0.0 Ok: queued as …"
    # (that stays in the delivery proof).
    assert details == planned and details.startswith("Goes to the secure portal") and "250" not in details
