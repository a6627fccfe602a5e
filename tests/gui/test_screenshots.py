"""Each window drawn with real data from a real agent, saved as PNG.

Into this test's temporary folder (proving every view renders, with something on it);
`make screenshots` writes them to docs/screenshots under Xvfb instead (tests/screenshots.py).
"""

import tempfile
from collections.abc import Iterator
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
    TrayStatus(Tone.PROTECTED, "Protected", ""),
    TrayStatus(Tone.SENDING, "Sending 3", "", 3),
    TrayStatus(Tone.OFFLINE, "Offline, 4 waiting", "", 4),
    TrayStatus(Tone.ATTENTION, "1 message held", ""),
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


# What a clinic's computer would show in Settings: its own relay and portal, no test folder
# and no port picked for a test run. The agent is restarted on this configuration once the
# mail for the pictures has been delivered (through the test relay, with the test CA).
CLEAN_RELAY = {"host": "smtp.valleyclinic.example", "starttls": "required"}  # fixed by IT (managed policy)
CLEAN = {
    "relay": {"port": 587, "ca_file": "", "username": "dr.chen"},
    "portal": {"url": "https://portal.valleyclinic.example", "embedded": False, "allow_test_url": False},
}


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the agent keeps its data on a clinician's Linux computer, under a home folder of
    this test's own: Settings shows it as ~/.local/share/postseal, not as a test folder. A short
    folder in /tmp: gpg's socket paths under pytest's own would be too long."""
    with tempfile.TemporaryDirectory(prefix="ps-") as folder:
        monkeypatch.setenv("HOME", folder)
        path = Path(folder) / ".local" / "share" / "postseal"
        path.mkdir(mode=0o700, parents=True)
        yield path


def usual_port(port: int) -> int:
    """The product's default port when it is free here (the picture shows what a new install
    shows), else any free one: a picture is not worth a failed run."""
    import socket

    from agent.demo_world import free_port

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the agent's server does
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


def themed(qapp, tray, dark: bool) -> str:
    """Switch the theme as the OS would; returns the file-name suffix."""
    theme.apply(qapp, dark=dark)
    tray.window.apply_icons()
    tray.icon.apply_icons()
    QApplication.processEvents()  # palette changes reach the widgets as events
    return "-dark" if dark else ""


def test_screenshots_of_each_window(qtbot, qapp, live_agent, make_tray, partner, tmp_path):
    folder = screenshot_folder(tmp_path)
    # The organization fixes the relay (as MDM would): the settings show it locked.
    from agent.demo_world import free_port
    from tests.smime_pki import Pki

    pki = Pki(tmp_path / "pki")
    running = live_agent.start(
        managed={"relay": {"host": "127.0.0.1", "starttls": "opportunistic"}},
        ingress={"smtp_port": free_port()},
        smime={"trusted_ca_files": [str(pki.ca_file)]},
    )
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
    qtbot.waitUntil(
        lambda: tray.app.outbox.rowCount() == len(ids) and tray.app.config is not None and len(tray.app.keys) == 3
    )
    held = next(m for m in tray.app.outbox.messages() if m.held)
    care = next(m for m in tray.app.outbox.messages() if len(m.recipients) == 3)
    saved = []
    for dark in (False, True):
        suffix = themed(qapp, tray, dark)
        window.show_view("outbox")
        window.outbox.select(held.id)
        saved.append(save(window.grab(), folder, f"tray-outbox{suffix}.png"))

        window.outbox.select(care.id)
        proof = ProofDialog(care, window)
        proof.show()
        QApplication.processEvents()  # laid out at its own size before it is taken
        saved.append(save(proof.grab(), folder, f"tray-proof{suffix}.png"))
        proof.close()

        window.show_view("keys")
        saved.append(save(window.grab(), folder, f"tray-keys{suffix}.png"))
        window.show_view("audit")
        window.audit.tabs.setCurrentIndex(0)
        qtbot.waitUntil(lambda: window.audit.model.total is not None and not window.audit.model.loading)
        window.audit.table.selectRow(2)
        window.audit.verify_button.click()
        qtbot.waitUntil(lambda: window.audit.verify_result.kind == "ok")
        saved.append(save(window.grab(), folder, f"tray-audit{suffix}.png"))
        window.audit.tabs.setCurrentIndex(1)
        qtbot.waitUntil(lambda: window.audit.chart.series is not None)
        saved.append(save(window.grab(), folder, f"tray-activity{suffix}.png"))

        menu = tray.icon.menu
        menu.adjustSize()
        saved.append(save(menu.grab(), folder, f"tray-menu{suffix}.png"))
        saved.append(save(tray_states_image(), folder, f"tray-states{suffix}.png"))

    # Settings, from the clinic's own configuration
    themed(qapp, tray, False)
    live_agent.stop()
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    live_agent.start(managed={"relay": CLEAN_RELAY}, ingress={"smtp_port": free_port()}, **CLEAN)
    qtbot.waitUntil(
        lambda: (
            tray.app.connected
            and tray.app.config is not None
            and tray.app.config.value("relay", "host", "") == CLEAN_RELAY["host"]
        ),
        timeout=10_000,
    )
    window.show_view("settings")
    settings = window.settings
    qtbot.waitUntil(lambda: settings.shown("relay.host") == CLEAN_RELAY["host"])
    assert settings.locks["relay.host"].isVisibleTo(settings)
    for dark in (False, True):
        suffix = themed(qapp, tray, dark)
        shot = save(window.grab(), folder, f"tray-settings{suffix}.png")
        saved.append(shot)
    for name in ("relay.ca_file", "relay.host", "portal.url"):
        assert "pytest" not in settings.shown(name) and "127.0.0.1" not in settings.shown(name)
    assert settings.source.text().startswith("Saved in ~/.local/share/postseal/config.toml.")

    themed(qapp, tray, False)
    pki.close()
    icons.forget()
    dark_shots = [p for p in saved if p.stem.endswith("-dark")]
    for shot in dark_shots:  # the dark ones are dark
        assert QColor(QImage(str(shot)).pixel(5, 5)).lightness() < 80, shot.name
    assert len(saved) == 16 and len(dark_shots) == 8


def test_screenshot_of_the_first_run_page(qtbot, qapp, live_agent, make_tray, tmp_path):
    folder = screenshot_folder(tmp_path)
    # A computer just installed: IT fixed the relay; the domains and the portal address are left.
    live_agent.start(
        managed={"relay": CLEAN_RELAY},
        organization={"internal_domains": []},
        relay=CLEAN["relay"],
        portal={"url": f"http://127.0.0.1:{usual_port(8025)}", "allow_test_url": False},
    )
    tray = make_tray(show=False)
    qtbot.waitUntil(
        lambda: tray.window.isVisible() and tray.window.settings.first_run.isVisibleTo(tray.window), timeout=10_000
    )
    tray.window.resize(1180, 760)
    qtbot.wait(200)
    settings = tray.window.settings
    qtbot.waitUntil(lambda: settings.source.text().startswith("Saved in ~/.local/share/postseal/config.toml."))
    assert settings.shown("relay.ca_file") == "" and settings.shown("relay.port") == "587"
    for dark in (False, True):
        suffix = themed(qapp, tray, dark)
        save(tray.window.grab(), folder, f"tray-first-run{suffix}.png")
    themed(qapp, tray, False)
