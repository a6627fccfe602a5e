"""Every dialog a person opens from the window is wide enough for its text: a sentence reads
in a few lines, not in a narrow column, and nothing needs scrolling sideways. Opened with the
window's own buttons, against a real agent."""

import math

from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox

from agent.api.client import AgentClient
from gui.dialogs import CreateKeyDialog, ReleaseDialog
from gui.proof_dialog import ProofDialog
from gui.status import Tone
from tests.conftest import SAMPLES
from tests.gui.conftest import wait_for_tone


def opened(qtbot, kind: type) -> QDialog:
    found: list[QDialog] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown)
    return found[0]


def assert_readable(dialog: QDialog) -> None:
    QApplication.processEvents()
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width()
    for label in dialog.findChildren(QLabel):
        if not label.text() or not label.isVisible() or label.pixmap() is not None and not label.pixmap().isNull():
            continue
        if label.wordWrap():
            lines = math.ceil(label.heightForWidth(label.width()) / label.fontMetrics().lineSpacing())
            assert lines <= 3, f"{lines} lines in {label.width()} px: {label.text()!r}"
        else:
            assert label.fontMetrics().horizontalAdvance(label.text().replace("&", "")) <= label.width(), label.text()


def test_each_dialog_is_wide_enough_for_its_text(qtbot, start_agent, sink, partner, make_tray):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token)
    client.import_key(partner.public_key().encode())
    held = client.submit((SAMPLES / "05-disability-form-ssn.eml").read_bytes()).id
    care = client.submit((SAMPLES / "06-care-team-update.eml").read_bytes()).id
    client.wait(care, 20)
    tray = make_tray()
    window = tray.window
    window.resize(1040, 660)
    wait_for_tone(qtbot, tray, Tone.ATTENTION)
    qtbot.waitUntil(
        lambda: (
            (m := tray.app.outbox.message(care)) is not None
            and m.can_revoke
            and all(r.proof for r in m.recipients)
            and len(tray.app.keys) == 1
        )
    )
    outbox = window.outbox
    window.show_view("outbox")

    outbox.select(held)
    outbox.release_button.click()
    release = opened(qtbot, ReleaseDialog)
    assert "Social Security number" in release.findChildren(QLabel)[0].text()
    assert_readable(release)
    release.reject()

    outbox.select(care)
    outbox.revoke_button.click()
    question = opened(qtbot, QMessageBox)
    assert "no longer be able to open this message" in question.text()
    assert_readable(question)
    question.reject()

    outbox.proof_button.click()
    proof = opened(qtbot, ProofDialog)
    QApplication.processEvents()
    assert proof.text.horizontalScrollBar().maximum() == 0  # every line whole, nothing to scroll sideways for
    assert proof.width() <= proof.screen().availableGeometry().width()
    proof.reject()

    window.show_view("keys")
    window.keys.table.selectRow(0)
    window.keys.remove_button.click()
    question = opened(qtbot, QMessageBox)
    assert "referrals@lakesidecardiology.example" in question.text()
    assert_readable(question)
    question.reject()

    window.keys.create_button.click()
    create = opened(qtbot, CreateKeyDialog)
    assert_readable(create)
    create.reject()
