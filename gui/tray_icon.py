"""The tray icon: its picture, tooltip and menu say the same state, and held messages and
failures arrive as notifications that say why and what to do."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from gui import icons
from gui.status import Tone, TrayStatus
from gui.tray_app import Notification, TrayApp

_LEVEL_ICON = {
    "info": QSystemTrayIcon.MessageIcon.Information,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
    "error": QSystemTrayIcon.MessageIcon.Critical,
}


def status_icon(status: TrayStatus) -> QIcon:
    return icons.icon(f"tray-{status.tone}", badge=status.count if status.tone in (Tone.SENDING, Tone.OFFLINE) else 0)


class TrayIcon(QObject):
    open_view = Signal(str)  # "outbox" | "replies" | "keys" | "audit" | "settings"
    open_message = Signal(str)  # an outbox id, from a clicked notification
    quit_requested = Signal()
    notification_shown = Signal(object)  # Notification, as shown (tests, and platforms without tray)

    def __init__(self, app: TrayApp, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.setAccessibleName("Postseal menu")
        # The state in words heads the menu, in bold, and opens the outbox; the sentence
        # under it is plain text (disabled: nothing to click).
        self.title_action = self.menu.addAction("")
        bold = self.title_action.font()
        bold.setBold(True)
        self.title_action.setFont(bold)
        self.title_action.triggered.connect(lambda: self.open_view.emit("outbox"))
        self.detail_action = self.menu.addAction("")
        self.detail_action.setEnabled(False)
        self.menu.addSeparator()
        self.view_actions: dict[str, QAction] = {}
        for name, text, icon in (
            ("outbox", "Open &outbox", "action-outbox"),
            ("replies", "Secure &replies", "action-replies"),
            ("keys", "&Keys", "action-keys"),
            ("audit", "&Audit history", "action-audit"),
            ("settings", "&Settings", "action-settings"),
        ):
            action = self.menu.addAction(icons.icon(icon), text)
            action.triggered.connect(lambda _=False, n=name: self.open_view.emit(n))
            self.view_actions[name] = action
        self.menu.addSeparator()
        self.start_action = self.menu.addAction(icons.icon("action-start"), "S&tart the agent")
        self.start_action.triggered.connect(app.start_agent)
        self.quit_action = self.menu.addAction(icons.icon("action-quit"), "&Quit Postseal")
        self.quit_action.triggered.connect(self.quit_requested.emit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self._message_clicked)
        self._last: Notification | None = None
        app.status_changed.connect(self.show_status)
        app.notified.connect(self.notify)
        self.show_status(app.status)

    def show(self) -> None:
        self.icon.show()

    def show_status(self, status: TrayStatus) -> None:
        self.icon.setIcon(status_icon(status))
        self.icon.setToolTip(status.tooltip)
        self.title_action.setText(status.title)
        self.title_action.setIcon(status_icon(status))
        self.detail_action.setText(status.detail)
        self.start_action.setVisible(status.tone == Tone.STOPPED and not self.app.launching)

    def notify(self, notification: Notification) -> None:
        self._last = notification
        self.icon.showMessage(
            notification.title,
            notification.text,
            _LEVEL_ICON.get(notification.level, QSystemTrayIcon.MessageIcon.Information),
            15_000,
        )
        self.notification_shown.emit(notification)

    def apply_icons(self) -> None:
        for name, icon in (
            ("outbox", "action-outbox"),
            ("replies", "action-replies"),
            ("keys", "action-keys"),
            ("audit", "action-audit"),
            ("settings", "action-settings"),
        ):
            self.view_actions[name].setIcon(icons.icon(icon))
        self.start_action.setIcon(icons.icon("action-start"))
        self.quit_action.setIcon(icons.icon("action-quit"))
        self.show_status(self.app.status)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_view.emit("outbox")

    def _message_clicked(self) -> None:
        if self._last and self._last.view:
            self.open_view.emit(self._last.view)
        elif self._last and self._last.message_id:
            self.open_message.emit(self._last.message_id)
        else:
            self.open_view.emit("outbox")
