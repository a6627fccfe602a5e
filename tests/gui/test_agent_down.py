"""While the agent is down, and after it is back: what the window says, what it lets a person
click, and which messages it takes back. A real agent, stopped and started again."""

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from agent.api.client import AgentClient
from gui.agent_gate import NEEDS_AGENT
from gui.errors import NOT_RUNNING
from gui.settings_view import SAVED_PORTAL
from gui.status import Tone
from tests.conftest import SAMPLES
from tests.gui.conftest import wait_for_tone


def dropped_key_accepted(keys) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/tmp/referrals-lakeside.asc")])
    event = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(keys, event)
    return event.isAccepted()


def held_message(qtbot, live_agent, make_tray):
    running = live_agent.start()
    tray = make_tray()
    ident = AgentClient(running.api_url, running.token).submit((SAMPLES / "05-disability-form-ssn.eml").read_bytes()).id
    wait_for_tone(qtbot, tray, Tone.ATTENTION)
    qtbot.waitUntil(lambda: tray.app.outbox.message(ident) is not None and tray.app.config is not None)
    tray.window.show_view("outbox")
    assert tray.window.outbox.select(ident)
    return tray


def test_no_agent_says_mail_cannot_be_sent_until_it_runs_not_that_it_goes_unprotected(qtbot, make_tray):
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    window = tray.window
    for words in (window.banner.text.text(), window.status_text.text(), tray.icon.icon.toolTip()):
        assert "mail cannot be sent until it runs" in words.lower() or "cannot be sent until the agent runs" in words
        assert "not being protected" not in words


def test_the_status_line_does_not_send_the_user_to_the_view_they_are_in(qtbot, fake_agent, make_tray):
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.ATTENTION)  # the fake agent holds one message
    window = tray.window
    window.show_view("outbox")
    assert window.status_text.text() == (
        "1 message held. Select a message marked “Held for review” to see why, and what you can do about it."
    )
    window.show_view("keys")
    assert window.status_text.text() == "1 message held. Open the outbox to see why, and what you can do about it."
    assert tray.icon.detail_action.text() == "Open the outbox to see why, and what you can do about it."


def test_actions_are_off_while_the_agent_is_down_and_back_with_it(qtbot, live_agent, make_tray):
    tray = held_message(qtbot, live_agent, make_tray)
    window = tray.window
    outbox, keys, settings, audit = window.outbox, window.keys, window.settings, window.audit
    assert outbox.release_button.isEnabled() and keys.create_button.isEnabled()
    live_agent.stop()
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    off = [
        outbox.release_button,
        outbox.retry_button,
        keys.create_button,
        keys.import_button,
        keys.import_own_button,
        audit.verify_button,
        audit.csv_button,
        window.replies.refresh_button,
    ]
    for button in off:
        assert not button.isEnabled(), button.text()
    assert outbox.release_button.toolTip() == NEEDS_AGENT
    settings.fields["organization.name"].setText("Valley Family Clinic, Main Street")
    assert not settings.apply_button.isEnabled() and settings.apply_button.toolTip() == NEEDS_AGENT
    assert settings.revert_button.isEnabled()  # undoing an edit needs nobody
    outbox.select(tray.app.outbox.messages()[0].id)  # a new selection does not turn them back on
    assert not outbox.release_button.isEnabled()
    assert not dropped_key_accepted(keys)  # nor does a key file dragged onto Keys

    shown = tray.app.config
    live_agent.start()
    wait_for_tone(qtbot, tray, Tone.ATTENTION)
    qtbot.waitUntil(lambda: outbox.release_button.isEnabled())
    qtbot.waitUntil(lambda: tray.app.config is not shown)  # the agent's config, loaded again on its return
    # ... keeps what the clinician typed and had not applied (it once wiped it: Apply went grey)
    assert settings.fields["organization.name"].text() == "Valley Family Clinic, Main Street"
    assert keys.create_button.isEnabled() and audit.verify_button.isEnabled() and settings.apply_button.isEnabled()
    assert outbox.release_button.toolTip() == ""
    assert dropped_key_accepted(keys)


def test_what_went_wrong_while_the_agent_was_down_is_cleared_when_it_is_back(qtbot, live_agent, make_tray):
    live_agent.start()
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    window, audit, settings = tray.window, tray.window.audit, tray.window.settings
    window.show_view("settings")
    qtbot.waitUntil(lambda: settings.shown("portal.url").startswith("http://127.0.0.1:"))
    settings.fields["portal.url"].setText("https://portal.valleyclinic.example")
    settings.apply_button.click()
    qtbot.waitUntil(lambda: settings.bar.text.text() == SAVED_PORTAL)  # "restart Postseal to use it"
    assert not settings.bar.isHidden()
    window.show_view("audit")
    live_agent.stop()
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    QTest.keySequence(window, QKeySequence(QKeySequence.StandardKey.Refresh))  # F5: everything fails
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == NOT_RUNNING)
    QTest.keyClicks(audit.recipient, "lakeside")  # the audit filter asks the agent again
    qtbot.waitUntil(lambda: audit.bar.isVisibleTo(window) and audit.bar.kind == "error")
    assert audit.bar.text.text() == NOT_RUNNING

    live_agent.start()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    qtbot.waitUntil(lambda: audit.bar.isHidden())
    assert settings.bar.isHidden() and settings.bar.text.text() == ""  # restarted: the request to restart is done
    assert window.statusBar().currentMessage() == ""
    assert not window.banner.isVisibleTo(window)
    assert window.status_text.text().startswith("Protected.")
