"""Each window drawn with real data from a real agent, saved as PNG.

Into this test's temporary folder (proving every view renders, with something on it);
`make screenshots` writes them to docs/screenshots under Xvfb instead (tests/screenshots.py).
"""

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from agent.api.client import AgentClient
from gui import icons, theme
from gui.proof_dialog import ProofDialog
from gui.status import Tone, TrayStatus
from gui.tray_icon import status_icon
from tests.conftest import SAMPLES
from tests.gui.conftest import wait_for_tone
from tests.screenshots import check_screenshot, screenshot_folder

pytestmark = pytest.mark.screenshots

STATES = (
    TrayStatus(Tone.PROTECTED, "Protected", ""), TrayStatus(Tone.SENDING, "Sending 3", "", 3),
    TrayStatus(Tone.OFFLINE, "Offline, 4 waiting", "", 4), TrayStatus(Tone.ATTENTION, "1 message held", ""),
    TrayStatus(Tone.STOPPED, "Agent not running", ""),
)


def save(image: QImage | QPixmap, folder: Path, name: str) -> Path:
    path = folder / name
    image = image.toImage() if isinstance(image, QPixmap) else image
    assert image.save(str(path)), path
    return check_screenshot(path, min_width=200, min_height=100)


def tray_states_image() -> QImage:
    """The five tray icons with the words the menu shows, as a person sees them side by side."""
    width, row = 300, 44
    image = QImage(width, row * len(STATES) + 8, QImage.Format.Format_ARGB32)
    image.fill(QApplication.palette().window().color())
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPointSize(11)
    painter.setFont(font)
    painter.setPen(QApplication.palette().windowText().color())
    for n, status in enumerate(STATES):
        top = 4 + n * row
        painter.drawPixmap(QPoint(8, top + 4), status_icon(status).pixmap(32, 32))
        painter.drawText(52, top, width - 60, row, int(Qt.AlignmentFlag.AlignVCenter), status.title)
    painter.end()
    return image


def test_screenshots_of_each_window(qtbot, qapp, live_agent, make_tray, partner, tmp_path):
    folder = screenshot_folder(tmp_path)
    # The organization fixes the relay (as MDM would): the settings show it locked.
    from agent.demo_world import free_port
    from tests.smime_pki import Pki

    pki = Pki(tmp_path / "pki")
    running = live_agent.start(managed={"relay": {"host": "127.0.0.1", "starttls": "opportunistic"}},
                               ingress={"smtp_port": free_port()}, smime={"trusted_ca_files": [str(pki.ca_file)]})
    client = AgentClient(running.api_url, running.token)
    client.import_key(partner.public_key().encode())
    client.import_key(pki.person("claims@harborbilling.example", crl=False).pem())  # a partner's S/MIME certificate
    client.generate_key("dr.chen@valleyclinic.example", "Dr. Emily Chen")
    ids = [client.submit(p.read_bytes()).id for p in sorted(SAMPLES.glob("*.eml"))]
    for ident in ids:
        client.wait(ident, 20)
    tray = make_tray()
    window = tray.window
    window.resize(1180, 700)
    wait_for_tone(qtbot, tray, Tone.ATTENTION)
    qtbot.waitUntil(lambda: tray.app.outbox.rowCount() == len(ids) and tray.app.config is not None
                    and len(tray.app.keys) == 3)
    held = next(m for m in tray.app.outbox.messages() if m.held)
    window.show_view("outbox")
    window.outbox.select(held.id)
    saved = [save(window.grab(), folder, "tray-outbox.png")]

    care = next(m for m in tray.app.outbox.messages() if len(m.recipients) == 3)
    window.outbox.select(care.id)
    proof = ProofDialog(care, window)
    proof.resize(720, 430)
    proof.show()
    saved.append(save(proof.grab(), folder, "tray-proof.png"))
    proof.close()

    window.show_view("keys")
    saved.append(save(window.grab(), folder, "tray-keys.png"))
    window.show_view("audit")
    qtbot.waitUntil(lambda: window.audit.model.total is not None and not window.audit.model.loading)
    window.audit.table.selectRow(2)
    window.audit.verify_button.click()
    qtbot.waitUntil(lambda: window.audit.verify_result.kind == "ok")
    saved.append(save(window.grab(), folder, "tray-audit.png"))
    window.audit.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.audit.chart.series is not None)
    saved.append(save(window.grab(), folder, "tray-activity.png"))
    window.show_view("settings")
    assert window.settings.locks["relay.host"].isVisibleTo(window.settings)
    qtbot.waitUntil(lambda: window.settings.desktop.values["port"].text() == str(running.smtp_port))
    saved.append(save(window.grab(), folder, "tray-settings.png"))

    menu = tray.icon.menu
    menu.adjustSize()
    saved.append(save(menu.grab(), folder, "tray-menu.png"))
    saved.append(save(tray_states_image(), folder, "tray-states.png"))

    theme.apply(qapp, dark=True)
    window.apply_icons()
    QApplication.processEvents()  # palette changes reach the widgets as events
    window.show_view("outbox")
    window.outbox.select(held.id)
    saved.append(save(window.grab(), folder, "tray-outbox-dark.png"))
    theme.apply(qapp, dark=False)
    pki.close()
    icons.forget()
    assert QColor(QImage(str(saved[-1])).pixel(5, 5)).lightness() < 80  # the dark one is dark
    assert len(saved) == 9


def test_screenshot_of_the_first_run_page(qtbot, live_agent, make_tray, tmp_path):
    folder = screenshot_folder(tmp_path)
    # A computer just installed: IT fixed the relay; the domains and the portal address are left.
    live_agent.start(managed={"relay": {"host": "smtp.valleyclinic.example", "starttls": "required"}},
                     organization={"internal_domains": []}, portal={"allow_test_url": False})
    tray = make_tray(show=False)
    qtbot.waitUntil(lambda: tray.window.isVisible() and tray.window.settings.first_run.isVisibleTo(tray.window),
                    timeout=10_000)
    tray.window.resize(1180, 760)
    qtbot.wait(200)
    save(tray.window.grab(), folder, "tray-first-run.png")
