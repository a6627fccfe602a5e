"""The keys view against a real agent's keyring (real gpg): own key, partners' keys, and
what a bad file dropped on it does."""

import subprocess
import warnings

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from gui import file_dialogs
from gui.dialogs import CreateKeyDialog
from gui.status import Tone
from tests.gui.conftest import wait_for_tone
from tests.integration.test_own_key_protection import secret_key_file


def keys_view(qtbot, tray):
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    tray.window.show_view("keys")
    return tray.window.keys


def drop(view, *paths) -> bool:
    """What the window system delivers when files are dropped on the view."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    with warnings.catch_warnings():  # PySide6 6.12 flags this constructor; Qt itself still uses it
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            QPointF(20, 20).toPoint(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    QApplication.sendEvent(view, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(
        view,
        QDropEvent(
            QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        ),
    )
    return True


def test_create_own_key_then_export_its_public_part(qtbot, start_agent, sink, make_tray, monkeypatch, tmp_path):
    start_agent(sink.port)
    view = keys_view(qtbot, make_tray())
    assert not view.export_button.isEnabled() and not view.renew_button.isEnabled()
    qtbot.mouseClick(view.create_button, Qt.MouseButton.LeftButton)
    dialog = view.findChild(CreateKeyDialog)
    qtbot.keyClicks(dialog.name, "Dr. Emily Chen")
    qtbot.keyClicks(dialog.email, "dr.chen@valleyclinic.example")
    qtbot.mouseClick(dialog.create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.own_table.rowCount() == 1, timeout=20_000)
    assert view.own_table.item(0, 0).text() == "dr.chen@valleyclinic.example"
    assert view.own_table.item(0, 2).text().startswith("Valid until ")
    assert len(view.own_table.item(0, 1).text().split()) == 10  # 40 hex digits in groups of four

    target = tmp_path / "my-key.asc"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *a: target)
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.bar.text.text().startswith(f"Your public key is in {target}"))
    exported = target.read_text()
    assert exported.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----") and "PRIVATE" not in exported


def test_import_a_partner_key_by_file_see_its_validity_then_remove_it(
    qtbot, start_agent, sink, make_tray, partner, monkeypatch, tmp_path
):
    start_agent(sink.port)
    view = keys_view(qtbot, make_tray())
    key_file = tmp_path / "lakeside.asc"
    key_file.write_text(partner.public_key())
    monkeypatch.setattr(file_dialogs, "open_file", lambda *a: key_file)
    qtbot.mouseClick(view.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    assert view.bar.text.text().startswith("Imported 1 key from “lakeside.asc”")
    assert view.table.item(0, 0).text() == "referrals@lakesidecardiology.example"
    assert view.table.item(0, 2).text().startswith("Valid")

    view.table.selectRow(0)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    box = next(b for b in view.findChildren(QMessageBox) if b.isVisible())
    assert "referrals@lakesidecardiology.example" in box.text()
    next(b for b in box.buttons() if b.text() == "Remove").click()
    qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=10_000)


def test_a_key_file_dropped_on_the_view_is_imported(qtbot, start_agent, sink, make_tray, partner, tmp_path):
    start_agent(sink.port)
    view = keys_view(qtbot, make_tray())
    key_file = tmp_path / "partner.asc"
    key_file.write_text(partner.public_key())
    assert drop(view, key_file)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)


def test_a_corrupt_key_file_dropped_says_what_happened_and_how_to_fix_it(qtbot, start_agent, sink, make_tray, tmp_path):
    start_agent(sink.port)
    view = keys_view(qtbot, make_tray())
    corrupt = tmp_path / "broken.asc"
    corrupt.write_text(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGVZ!!not base64!!\n-----END PGP PUBLIC KEY BLOCK-----\n"
    )
    assert drop(view, corrupt)
    qtbot.waitUntil(lambda: view.bar.kind == "error", timeout=10_000)
    text = view.bar.text.text()
    assert text.startswith("Could not import “broken.asc”: That file is not an OpenPGP key the agent can use")
    assert text.endswith("Ask for the public key as an .asc file and import that.")
    assert "\n" not in text and view.table.rowCount() == 0

    huge = tmp_path / "scan.pdf"
    huge.write_bytes(b"%PDF" + b"0" * 2_000_000)
    assert drop(view, huge)
    qtbot.waitUntil(lambda: "too big to be an OpenPGP key" in view.bar.text.text())
    assert drop(view, tmp_path / "gone.asc")
    qtbot.waitUntil(lambda: view.bar.text.text().startswith("Could not read “gone.asc”"))


def test_an_own_key_about_to_expire_is_flagged_in_keys_view_and_tray(qtbot, start_agent, sink, make_tray, home):
    start_agent(sink.port)
    subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home / "gnupg"),
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Dr. Emily Chen <dr.chen@valleyclinic.example>",
            "future-default",
            "default",
            "10d",
        ],
        check=True,
        capture_output=True,
    )
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.ATTENTION)
    assert tray.app.status.title == "Your key needs attention"
    view = tray.window.keys
    assert view.own_warning.isVisibleTo(view)
    assert "expires in 9 days" in view.own_warning.text() or "expires in 10 days" in view.own_warning.text()
    assert "Renew it (Renew key)" in view.own_warning.text()

    assert view.renew_button.isEnabled()
    qtbot.mouseClick(view.renew_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "is now valid until" in view.bar.text.text(), timeout=20_000)
    qtbot.waitUntil(lambda: not view.own_warning.isVisibleTo(view), timeout=10_000)
    assert view.own_table.item(0, 2).text().startswith("Valid until ")
    wait_for_tone(qtbot, tray, Tone.PROTECTED)  # nothing needs attention any more


def test_smime_certificates_and_an_own_p12_are_imported_and_an_expiring_one_warns(
    qtbot, start_agent, sink, make_tray, tmp_path
):
    from tests.smime_pki import Pki

    pki = Pki(tmp_path / "pki")
    try:
        start_agent(sink.port, smime={"trusted_ca_files": [str(pki.ca_file)]})
        tray = make_tray()
        view = keys_view(qtbot, tray)
        partner = pki.person("referrals@lakesidecardiology.example")
        cert = tmp_path / "partner.cer"
        cert.write_bytes(partner.pem())
        assert drop(view, cert)
        qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
        assert view.table.item(0, 0).text() == "referrals@lakesidecardiology.example"
        assert view.table.item(0, 2).text().startswith("Valid until")
        view.table.selectRow(0)
        view.remove_selected()  # a confirmation first; the certificate goes only on "Remove"
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        next(b for b in box.buttons() if b.text() == "Remove").click()
        qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=10_000)
        assert drop(view, cert)  # and back, for what follows
        qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
        me = pki.person("dr.chen@valleyclinic.example", days=10)  # renewal due
        p12 = tmp_path / "me.p12"
        p12.write_bytes(me.p12(b"s3cret", pki.ca))
        view.ask_password = lambda path: "wrong"
        assert drop(view, p12)
        qtbot.waitUntil(lambda: view.bar.kind == "error", timeout=10_000)
        assert "wrong password" in view.bar.text.text()
        view.ask_password = lambda path: "s3cret"
        assert drop(view, p12)
        qtbot.waitUntil(lambda: view.own_table.rowCount() == 1, timeout=10_000)
        wait_for_tone(qtbot, tray, Tone.ATTENTION)
        assert "Your S/MIME certificate for dr.chen@valleyclinic.example expires in" in tray.app.status.detail
    finally:
        pki.close()


def test_an_own_openpgp_key_with_a_passphrase_is_imported_after_asking_for_it(qtbot, start_agent, sink, make_tray):
    start_agent(sink.port)
    fingerprint, key_file = secret_key_file("correct horse battery")
    view = keys_view(qtbot, make_tray())
    asked = []
    view.ask_passphrase = lambda path: asked.append(path.name) or "correct horse battery"
    assert drop(view, key_file)
    qtbot.waitUntil(lambda: view.bar.text.text().startswith("Imported 1 key"), timeout=20_000)
    assert asked == [key_file.name]
    qtbot.waitUntil(lambda: view.own_table.rowCount() == 1, timeout=10_000)
    assert fingerprint[-16:] in view.bar.text.text()
