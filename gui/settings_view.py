"""Settings: the relay and the portal as the agent uses them, and start at login.

What managed policy (MDM) fixes is shown locked, with "Managed by your organization", and
cannot be changed here (DESIGN.md invariant 5). The agent reads its settings from
config.toml at start; the local API offers no way to write them yet, so the view shows
them, says where they live, and opens that file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui import autostart, icons
from gui.agent_client import AgentConfig
from gui.message_bar import MessageBar
from gui.tray_app import TrayApp

MANAGED = "Managed by your organization"

# (section, key, label, how a value is shown)
FIELDS = {
    "Outgoing mail server (relay)": [
        ("relay", "host", "Server", str),
        ("relay", "port", "Port", str),
        ("relay", "starttls", "STARTTLS", lambda v: {"off": "Off", "opportunistic": "When offered",
                                                     "required": "Required"}.get(v, str(v))),
        ("relay", "username", "User name", lambda v: v or "(none)"),
        ("relay", "password", "Password", lambda v: "set" if v else "(none)"),
    ],
    "Secure portal": [
        ("portal", "url", "Portal address", str),
        ("portal", "embedded", "Served by this computer", lambda v: "Yes" if v else "No (external portal)"),
    ],
    "Held messages": [
        ("policy", "allow_release", "Release after review", lambda v: "Allowed" if v else "Not allowed"),
    ],
}


class LockTag(QWidget):
    """A lock icon and the words: colour and icon are never the only signal."""

    def __init__(self, parent: QWidget, label: str) -> None:
        super().__init__(parent)
        self.icon = QLabel(self)
        self.text = QLabel(MANAGED, self)
        self.setAccessibleName(f"{label}: {MANAGED}")
        self.setToolTip(MANAGED)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.icon)
        row.addWidget(self.text)
        self.apply_icons()

    def apply_icons(self) -> None:
        self.icon.setPixmap(icons.pixmap("action-lock", 16))


class SettingsView(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.bar = MessageBar(self)
        self.fields: dict[str, QLineEdit] = {}
        self.locks: dict[str, LockTag] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        for title, fields in FIELDS.items():
            group = QGroupBox(title, self)
            form = QFormLayout(group)
            for section, key, label, _ in fields:
                edit = QLineEdit(group)
                edit.setReadOnly(True)
                edit.setAccessibleName(label)
                lock = LockTag(group, label)
                lock.hide()
                row = QHBoxLayout()
                row.addWidget(edit, 1)
                row.addWidget(lock)
                caption = QLabel(f"{label}:", group)
                caption.setBuddy(edit)
                form.addRow(caption, row)
                self.fields[f"{section}.{key}"] = edit
                self.locks[f"{section}.{key}"] = lock
            layout.addWidget(group)

        computer = QGroupBox("This computer", self)
        self.start_at_login = QCheckBox("&Start Postseal when I log in", computer)
        self.start_at_login.setAccessibleName("Start Postseal when I log in")
        self.start_at_login.setChecked(autostart.enabled())
        self.start_at_login.toggled.connect(self._set_autostart)
        QVBoxLayout(computer).addWidget(self.start_at_login)
        layout.addWidget(computer)

        self.source = QLabel(self)
        self.source.setWordWrap(True)
        self.source.setAccessibleName("Where the settings live")
        self.open_button = QPushButton(icons.icon("action-settings"), "&Open settings file", self)
        self.open_button.setAccessibleName("Open the agent's settings file")
        self.open_button.clicked.connect(self.open_source)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(self.open_button)
        layout.addLayout(source_row)
        layout.addStretch(1)

        app.config_changed.connect(self.show_config)
        if app.config is not None:
            self.show_config(app.config)
        else:
            self.source.setText("Waiting for the agent…")

    def apply_icons(self) -> None:
        self.open_button.setIcon(icons.icon("action-settings"))
        for lock in self.locks.values():
            lock.apply_icons()
        if self.app.config is not None:
            self.show_config(self.app.config)

    def show_config(self, config: AgentConfig) -> None:
        for fields in FIELDS.values():
            for section, key, _label, shown in fields:
                name = f"{section}.{key}"
                edit, lock = self.fields[name], self.locks[name]
                edit.setText(shown(config.value(section, key, "")))
                locked = config.is_locked(section, key)
                edit.setEnabled(not locked)
                edit.setToolTip(MANAGED if locked else "")
                edit.setAccessibleDescription(MANAGED if locked else "")
                lock.setVisible(locked)
        managed = sorted(config.locked)
        words = (f"Settings are read from {config.source} when the agent starts. To change one that is not "
                 "managed, edit that file and restart the agent.")
        if managed:
            words += f" {len(managed)} setting{'s' * (len(managed) != 1)} {MANAGED[0].lower() + MANAGED[1:]}."
        self.source.setText(words)
        self.open_button.setEnabled(bool(config.source))

    def open_source(self) -> None:
        source = self.app.config.source if self.app.config else ""
        if source and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(source)))):
            self.bar.error(f"No program opened {source}; open it with a text editor.")

    def _set_autostart(self, on: bool) -> None:
        try:
            autostart.set_enabled(on)
        except OSError as exc:
            self.start_at_login.blockSignals(True)
            self.start_at_login.setChecked(not on)
            self.start_at_login.blockSignals(False)
            self.bar.error(f"Could not change start at login: {exc.strerror or exc}. Check your home folder's permissions.")
            return
        self.bar.show_message("Postseal will start when you log in." if on else "Postseal will not start at login.", "ok")
