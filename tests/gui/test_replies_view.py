"""Secure replies in the tray, against a real agent and its embedded portal: a recipient
replies through the portal (over HTTP, as the page does), the clinician has no S/MIME
identity, so the reply is kept in the agent; the tray lists it, shows its text, and saves
its file where the clinician chooses, byte for byte."""

from PySide6.QtCore import Qt

from gui import file_dialogs
from gui.status import Tone
from tests.conftest import SAMPLES, run_cli
from tests.gui.conftest import wait_for_tone
from tests.portal_reply import ORIGINAL_SUBJECT, PATIENT, reply_through_portal

TEXT = "The swelling went down. Here is the photo you asked for."
FILE = "ankle.jpg"
DATA = b"\xff\xd8\xff\xe0 ankle photo \x00\xff"


def test_a_kept_reply_is_listed_read_and_its_file_saved(
    qtbot, start_agent, sink, make_tray, home, monkeypatch, tmp_path
):
    start_agent(sink.port, portal={"poll_seconds": 1})
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    tray.window.show_view("replies")
    view = tray.window.replies
    qtbot.waitUntil(lambda: view.empty.isVisible())
    assert "No secure replies yet" in view.empty.text() and not view.save_button.isVisible()

    assert run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=home).returncode == 0
    with qtbot.waitSignal(tray.app.notified, timeout=30_000, check_params_cb=lambda n: n.view == "replies") as told:
        reply_through_portal(sink, TEXT, FILE, DATA)
    assert told.args[0].title == "Secure reply" and TEXT not in told.args[0].text  # no content in a notification

    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    assert not view.empty.isVisible()
    assert [view.table.item(0, c).text() for c in range(2)] == [PATIENT, f"Re: {ORIGINAL_SUBJECT}"]
    assert view.table.item(0, 3).text() == "No: read it here"
    view.table.selectRow(0)
    qtbot.waitUntil(lambda: TEXT in view.text.toPlainText(), timeout=10_000)
    assert f"From {PATIENT}" in view.heading.text()
    assert view.files.count() == 1 and view.files.item(0).text().startswith(FILE)

    target = tmp_path / "saved.jpg"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *a: target)
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.bar.kind == "ok", timeout=10_000)
    assert target.read_bytes() == DATA
