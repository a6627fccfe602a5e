"""Settings: the organization's name and mail domains, the relay and the portal as the agent
uses them, the accounts mail leaves through (accounts_box.py), and start at login. It is also
the first-run page: while the agent's set-up checks find something missing (no portal
address patients can open, no domains), a note on top says what, and the tray opens this view
once at start (tray.py); what IT set is shown locked, so only the rest is asked.

One view, just over 400 lines: its sections (organization, relay, portal, start at login) share
the locked/editable handling and one save; the accounts section already lives in accounts_box.py.

The organization, the relay and the portal address are edited here and saved through the agent's local API
(PATCH /v1/config), which validates them and writes config.toml atomically: a new relay or
new domains are used for the next message; a new portal address after Postseal restarts. Everything else
(policy, outbox, audit) is for IT and is shown, not edited. What managed policy (MDM) fixes
is shown locked, with "Managed by your organization", and cannot be changed here (DESIGN.md
invariant 5; the agent refuses it too). The relay password is never shown or sent back:
the field stays empty, and only what the user types replaces it."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agent.api.client import AgentConfig
from gui import autostart, icons
from gui.accounts_box import AccountsBox
from gui.agent_gate import allow
from gui.errors import explain
from gui.message_bar import MessageBar
from gui.tray_app import TrayApp

MANAGED = "Managed by your organization"
STARTTLS = {"required": "Required", "opportunistic": "When offered", "off": "Off"}
SAVED_RELAY = "Saved. The new settings are used for the next message."
SAVED_PORTAL = "Saved. Restart Postseal to use the new portal address."
# The first-run page is this view with a note on top: what the agent's set-up checks
# (GET /v1/health "problems") say still holds mail or is missing, until nothing is.
FIRST_RUN = "Finish setting up Postseal on this computer."
_FIRST_RUN_WORDS = {
    "portal_url_unreachable": "Enter your organization's secure portal address (https://…): "
                              "until then, mail for patients without a key is held.",
    "no_internal_domains": "Enter your organization's mail domains, so colleagues are not treated as outside.",
    "relay_unencrypted": "Set STARTTLS to Required, so mail to the relay is always encrypted.",
    "managed_policy_invalid": "Your organization's policy could not be read, so no mail is sent. Tell your IT team.",
}

# (section, key, label, kind): "text", "domains" (a list, comma-separated), "port", "starttls",
# "password" are editable;
# "shown" is a read-only value rendered by the function in SHOWN.
FIELDS = {
    "Your organization": [
        ("organization", "name", "Name, as patients know it", "text"),
        ("organization", "internal_domains", "Mail domains (comma-separated)", "domains"),
    ],
    "Outgoing mail server (relay)": [
        ("relay", "host", "Server", "text"),
        ("relay", "port", "Port", "port"),
        ("relay", "starttls", "STARTTLS", "starttls"),
        ("relay", "username", "User name", "text"),
        ("relay", "password", "Password", "password"),
        ("relay", "ca_file", "Extra CA certificates (file)", "text"),
    ],
    "Secure portal": [
        ("portal", "url", "Portal address", "text"),
        ("portal", "embedded", "Served by this computer", "shown"),
    ],
    "Held messages": [
        ("policy", "allow_release", "Release after review", "shown"),
    ],
}
SHOWN = {
    "portal.embedded": lambda v: "Yes" if v else "No (external portal)",
    "policy.allow_release": lambda v: "Allowed" if v else "Not allowed",
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


def _editor(parent: QWidget, kind: str) -> QWidget:
    if kind == "port":
        spin = QSpinBox(parent)
        spin.setRange(1, 65535)
        return spin
    if kind == "starttls":
        combo = QComboBox(parent)
        for value, words in STARTTLS.items():
            combo.addItem(words, value)
        return combo
    if kind == "shown":  # a value for IT: words, not a box that looks editable
        label = QLabel(parent)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        return label
    edit = QLineEdit(parent)
    if kind == "password":
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class DesktopMailBox(QGroupBox):
    """What Thunderbird, Apple Mail or Outlook with an IMAP account put as outgoing server
    (the local SMTP submission). The password is hidden until asked for, and copyable."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Desktop mail programs (outgoing server)", parent)
        form = QFormLayout(self)
        self.values: dict[str, QLabel] = {}
        for key, label in (("host", "Server"), ("port", "Port"), ("security", "Security"), ("username", "User name")):
            value = QLabel("—", self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
            value.setAccessibleName(label)
            form.addRow(f"{label}:", value)
            self.values[key] = value
        self.password = QLineEdit(self)
        self.password.setReadOnly(True)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password for the outgoing server")
        self.show_button = QPushButton("Sho&w", self)
        self.show_button.setCheckable(True)
        self.show_button.setAccessibleName("Show the password")
        self.show_button.toggled.connect(lambda on: self.password.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password))
        self.copy_button = QPushButton("&Copy", self)
        self.copy_button.setAccessibleName("Copy the password")
        self.copy_button.clicked.connect(self._copy)
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(self.show_button)
        row.addWidget(self.copy_button)
        form.addRow("Password:", row)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.unavailable(None)

    def show_credentials(self, creds: dict) -> None:
        for key, value in self.values.items():
            value.setText(str(creds.get(key, "")))
        self.password.setText(creds.get("password", ""))
        for widget in (self.password, self.show_button, self.copy_button):
            widget.setEnabled(True)
        self.note.setText("Mail sent this way is checked and protected like mail from Outlook or Gmail. "
                          f"If your mail program asks about the certificate, it is {creds.get('ca_file', '')}.")

    def unavailable(self, exc: BaseException | None) -> None:
        for value in self.values.values():
            value.setText("—")
        self.password.clear()
        for widget in (self.password, self.show_button, self.copy_button):
            widget.setEnabled(False)
        self.note.setText("Switched off on this computer (ingress.smtp_port = 0)."
                          if getattr(exc, "code", "") == "smtp_off" else "Shown when the agent is running.")

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.password.text())


class SettingsView(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.bar = MessageBar(self)
        self.fields: dict[str, QWidget] = {}
        self.kinds: dict[str, str] = {}
        self.locks: dict[str, LockTag] = {}
        self.saving = False
        self._loading = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        self.first_run = QLabel(self)
        self.first_run.setWordWrap(True)
        self.first_run.setAccessibleName("What is left to set up")
        self.first_run.setObjectName("firstRun")
        self.first_run.hide()
        layout.addWidget(self.first_run)
        for title, fields in FIELDS.items():
            group = QGroupBox(title, self)
            form = QFormLayout(group)
            for section, key, label, kind in fields:
                name = f"{section}.{key}"
                editor = _editor(group, kind)
                editor.setAccessibleName(label)
                self._on_change(editor)
                lock = LockTag(group, label)
                lock.hide()
                row = QHBoxLayout()
                row.addWidget(editor, 1)
                row.addWidget(lock)
                caption = QLabel(f"{label}:", group)
                caption.setBuddy(editor)
                form.addRow(caption, row)
                self.fields[name], self.kinds[name], self.locks[name] = editor, kind, lock
            layout.addWidget(group)

        self.apply_button = QPushButton(icons.icon("action-save"), "&Apply", self)
        self.apply_button.setAccessibleName("Save the changed settings")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button = QPushButton("Re&vert", self)
        self.revert_button.setAccessibleName("Undo the changes not yet saved")
        self.revert_button.clicked.connect(self.revert)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        layout.addLayout(buttons)

        self.desktop = DesktopMailBox(self)
        layout.addWidget(self.desktop)
        self.accounts = AccountsBox(app, self.bar, self)
        layout.addWidget(self.accounts)

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

        self._update_buttons()
        app.setup_changed.connect(self.show_setup)
        app.config_changed.connect(self.show_config)
        app.connection_changed.connect(self._update_buttons)  # Apply needs the agent
        app.config_changed.connect(lambda _config: self.app.call(
            self, lambda client: client.ingress_credentials(), self.desktop.show_credentials, self.desktop.unavailable))
        if app.config is not None:
            self.show_config(app.config)
        else:
            self.source.setText("Waiting for the agent…")

    # --- editors ---------------------------------------------------------------------------
    def _on_change(self, editor: QWidget) -> None:
        if isinstance(editor, QSpinBox):
            editor.valueChanged.connect(self._update_buttons)
        elif isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(self._update_buttons)
        elif isinstance(editor, QLineEdit):
            editor.textChanged.connect(self._update_buttons)

    def shown(self, name: str) -> str:
        """What the field shows, in words (tests and screen readers read the same)."""
        editor = self.fields[name]
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QSpinBox):
            return str(editor.value())
        return editor.text()

    def _entered(self, name: str) -> Any:
        editor = self.fields[name]
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QSpinBox):
            return editor.value()
        if self.kinds[name] == "domains":
            return [d.strip().lower() for d in editor.text().replace(";", ",").split(",") if d.strip()]
        return editor.text().strip()

    def _put(self, name: str, value: Any) -> None:
        editor, kind = self.fields[name], self.kinds[name]
        if kind == "port":
            editor.setValue(int(value or 25))
        elif kind == "starttls":
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif kind == "password":
            editor.clear()  # never shown; the agent sends "***" when one is set
            editor.setPlaceholderText("(set — type to replace)" if value else "(none)")
        elif kind == "shown":
            editor.setText(SHOWN[name](value))
        elif kind == "domains":
            editor.setText(", ".join(value or []))
        else:
            editor.setText("" if value is None else str(value))

    def changes(self) -> dict[str, dict[str, Any]]:
        """What the user changed and may change, as PATCH /v1/config wants it."""
        config = self.app.config
        if config is None:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for name, kind in self.kinds.items():
            section, key = name.split(".", 1)
            if kind == "shown" or config.is_locked(section, key):
                continue
            value = self._entered(name)
            if kind == "password":
                if value:
                    out.setdefault(section, {})[key] = value
                continue
            if value != config.value(section, key, ""):
                out.setdefault(section, {})[key] = value
        return out

    def _update_buttons(self, *_: Any) -> None:
        if self._loading:
            return
        dirty = bool(self.changes())
        allow(self.apply_button, dirty and not self.saving, self.app.connected)
        self.revert_button.setEnabled(dirty and not self.saving)

    # --- showing and saving ----------------------------------------------------------------
    def apply_icons(self) -> None:
        self.open_button.setIcon(icons.icon("action-settings"))
        self.apply_button.setIcon(icons.icon("action-save"))
        for lock in self.locks.values():
            lock.apply_icons()

    def show_config(self, config: AgentConfig) -> None:
        if self.saving:
            return
        self._loading = True
        try:
            for name in self.kinds:
                section, key = name.split(".", 1)
                editor, lock = self.fields[name], self.locks[name]
                self._put(name, config.value(section, key, ""))
                locked = config.is_locked(section, key)
                editor.setEnabled(not locked)
                editor.setToolTip(MANAGED if locked else "")
                editor.setAccessibleDescription(MANAGED if locked else "")
                lock.setVisible(locked)
        finally:
            self._loading = False
        pending = config.pending.get("portal.url") if config.pending else None
        if pending and not config.is_locked("portal", "url"):
            self._loading = True
            self.fields["portal.url"].setText(pending)
            self._loading = False
        managed = sorted(config.locked)
        words = (f"Saved in {config.source}. Policy, outbox and audit settings are for your IT team; "
                 "they change that file or the managed policy.")
        if pending:
            words += f" The portal address {pending} is used after Postseal restarts."
        if managed:
            words += f" {len(managed)} setting{'s' * (len(managed) != 1)} {MANAGED[0].lower() + MANAGED[1:]}."
        self.source.setText(words)
        self.open_button.setEnabled(bool(config.source))
        self._update_buttons()

    def show_setup(self, problems: list[dict]) -> None:
        """The first-run note: one line per thing left to do, hidden when nothing is."""
        lines = [_FIRST_RUN_WORDS.get(str(p.get("code")), str(p.get("message", ""))) for p in problems
                 if p.get("warn", True)]
        self.first_run.setVisible(bool(lines))
        self.first_run.setText(f"<b>{FIRST_RUN}</b><br>" + "<br>".join(html.escape(line) for line in lines)
                               if lines else "")

    def revert(self) -> None:
        if self.app.config is not None:
            self.show_config(self.app.config)
        self.bar.clear()

    def apply(self) -> None:
        changes = self.changes()
        if not changes or self.saving:
            return
        self.saving = True
        self._update_buttons()
        self.bar.show_message("Saving…", "info")
        self.app.call(self, lambda client: client.update_config(changes), self._saved, self._save_failed)

    def _saved(self, answer: dict[str, Any]) -> None:
        self.saving = False
        self.bar.show_message(SAVED_PORTAL if answer.get("restart_required") else SAVED_RELAY, "ok")
        self.app.refresh_config()
        self.app.refresh_health()  # the first-run note follows what is still missing

    def _save_failed(self, exc: BaseException) -> None:
        self.saving = False
        self._update_buttons()
        self.bar.error(f"Not saved: {explain(exc)}")

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

