"""The one window: outbox, secure replies, keys, audit history and settings as tabs, with the agent's
connection state on top (and a button to start it when it is not running)."""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui import icons
from gui.audit_view import AuditView
from gui.keys_view import KeysView
from gui.outbox_view import OutboxView
from gui.replies_view import RepliesView
from gui.settings_view import SettingsView
from gui.status import Tone, TrayStatus
from gui.tray_app import TrayApp

VIEWS = ("outbox", "replies", "keys", "audit", "settings")


class ConnectionBanner(QFrame):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        self.setStyleSheet("#connectionBanner { border: 1px solid #c62828; border-left: 4px solid #c62828; }")
        self.icon = QLabel(self)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Agent connection")
        self.start_button = QPushButton(icons.icon("action-start"), "&Start the agent", self)
        self.start_button.setAccessibleName("Start the agent")
        self.start_button.clicked.connect(app.start_agent)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.icon)
        row.addWidget(self.text, 1)
        row.addWidget(self.start_button)
        self.apply_icons()

    def apply_icons(self) -> None:
        self.icon.setPixmap(icons.pixmap("tray-stopped", 24))
        self.start_button.setIcon(icons.icon("action-start"))


class MainWindow(QMainWindow):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.setWindowTitle("Postseal")
        self.setAccessibleName("Postseal")
        self.resize(1040, 660)
        self.banner = ConnectionBanner(app, self)
        self.outbox = OutboxView(app, self)
        self.replies = RepliesView(app, self)
        self.keys = KeysView(app, self)
        self.audit = AuditView(app, self)
        self.settings = SettingsView(app, self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Postseal views")
        self._tab_icons = ("action-outbox", "action-replies", "action-keys", "action-audit", "action-settings")
        for view, icon, title in zip(
            (self.outbox, self.replies, self.keys, self.audit, self.settings),
            self._tab_icons,
            ("Outbox", "Secure replies", "Keys", "Audit history", "Settings"),
            strict=True,
        ):
            self.tabs.addTab(view, icons.icon(icon), title)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.status_text = QLabel(self)
        self.status_text.setAccessibleName("Postseal status")
        self.statusBar().addWidget(self.status_text, 1)
        for number in range(len(VIEWS)):
            QShortcut(QKeySequence(f"Ctrl+{number + 1}"), self, lambda n=number: self.tabs.setCurrentIndex(n))
        QShortcut(QKeySequence.StandardKey.Refresh, self, app.refresh)
        self.tabs.currentChanged.connect(self._tab_changed)
        app.status_changed.connect(self.show_status)
        app.connection_changed.connect(lambda *_: self.show_status(app.status))
        app.connection_changed.connect(self._agent_changed)
        app.failed.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.show_status(app.status)

    def show_view(self, name: str) -> None:
        self.tabs.setCurrentIndex(VIEWS.index(name))
        self.show()
        self.raise_()
        self.activateWindow()

    def _tab_changed(self, index: int) -> None:
        self.show_status(self.app.status)  # its words depend on the view that is open
        if VIEWS[index] == "replies":
            self.replies.reload()
        if VIEWS[index] == "audit" and self.audit.model.total is None and not self.audit.model.loading:
            self.audit.reload()

    def show_status(self, status: TrayStatus) -> None:
        stopped = status.tone == Tone.STOPPED
        self.banner.setVisible(stopped)
        self.banner.text.setText(status.detail if not self.app.launching else "Starting the agent…")
        self.banner.start_button.setEnabled(not self.app.launching)
        self.status_text.setText(f"{status.title}. {status.detail_in(self.current_view())}")

    def _agent_changed(self, connected: bool, _problem: str = "") -> None:
        """Back after a restart: what the bars said before is about an agent that is gone (an
        error saying "not running", "restart Postseal to use the new portal address", a check
        of a log that has moved on), and a failed refresh in the status bar, so all of it goes."""
        if not connected:
            return
        self.statusBar().clearMessage()
        for view in (self.outbox, self.replies, self.keys, self.audit, self.settings):
            view.bar.clear()
        self.audit.verify_result.clear()

    def current_view(self) -> str:
        """The view the status bar sits under (it is only seen with the window)."""
        return VIEWS[self.tabs.currentIndex()]

    def apply_icons(self) -> None:
        for index, icon in enumerate(self._tab_icons):
            self.tabs.setTabIcon(index, icons.icon(icon))
        self.banner.apply_icons()
        for view in (self.outbox, self.replies, self.keys, self.audit, self.settings):
            view.apply_icons()

    def closeEvent(self, event: QCloseEvent) -> None:
        # With a tray, closing the window only hides it: the tray stays, and so does the app.
        if QSystemTrayIcon.isSystemTrayAvailable():
            event.ignore()
            self.hide()
        else:
            super().closeEvent(event)
