"""`postseal tray`: the system-tray app. It talks to the agent only through the local API
(agent/api/client.py) and starts the agent when it is not running.

    python -m gui [--home DIR] [--no-start-agent] [--show]   (gui/launch.py: checks first)
    python -m gui.tray [--home DIR] [--no-start-agent] [--show]
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from agent.api.client import default_home
from gui import launch, theme
from gui.main_window import MainWindow
from gui.tray_app import TrayApp
from gui.tray_icon import TrayIcon

log = logging.getLogger(__name__)


@dataclass
class Tray:
    app: TrayApp
    window: MainWindow
    icon: TrayIcon

    def close(self) -> None:
        self.app.shutdown()
        self.icon.icon.hide()
        self.window.deleteLater()
        self.icon.menu.deleteLater()


def build(home: Path, autostart: bool = True) -> Tray:
    """The app, its window and its tray icon, wired; nothing started yet."""
    app = TrayApp(home, autostart)
    window = MainWindow(app)
    icon = TrayIcon(app)
    icon.open_view.connect(window.show_view)
    icon.open_message.connect(lambda ident: (window.show_view("outbox"), window.outbox.select(ident)))
    icon.quit_requested.connect(QApplication.quit)
    app.setup_needed.connect(lambda: window.show_view("settings"))  # the first-run page
    return Tray(app, window, icon)


def main(argv: list[str] | None = None) -> int:
    args = launch.parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    home = args.home or default_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)

    qt = QApplication.instance() or QApplication([sys.argv[0]])
    qt.setApplicationName("Postseal")
    qt.setApplicationDisplayName("Postseal")
    qt.setDesktopFileName("postseal-tray")
    qt.setQuitOnLastWindowClosed(False)

    lock = QLockFile(str(home / "tray.lock"))
    lock.setStaleLockTime(0)
    if not lock.tryLock(100):
        print(f"postseal: the tray app is already running for {home}", file=sys.stderr)
        return 1
    # A bug in a slot must cost one action, not the app: log it and carry on.
    sys.excepthook = lambda kind, value, tb: log.error("unexpected error", exc_info=(kind, value, tb))

    tray = build(home, autostart=not args.no_start_agent)
    theme.follow_os(qt, lambda dark: (tray.window.apply_icons(), tray.icon.apply_icons()))
    tray.window.apply_icons()
    tray.icon.apply_icons()
    has_tray = QSystemTrayIcon.isSystemTrayAvailable()
    if has_tray:
        tray.icon.show()
    if args.show or not has_tray:
        # Without a system tray (some Linux desktops) the window is the app, and closing it quits.
        qt.setQuitOnLastWindowClosed(not has_tray)
        tray.window.show_view("outbox")
    tray.app.start()
    try:
        return qt.exec()
    finally:
        tray.close()
        lock.unlock()


if __name__ == "__main__":
    sys.exit(main())
