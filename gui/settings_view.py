"""Settings: the organization's name and mail domains, the relay and the portal as the agent
uses them, the accounts mail leaves through (accounts_box.py), and start at login. It is also
the first-run page: while the agent's set-up checks find something missing (no portal
address patients can open, no domains), a note on top says what, and the tray opens this view
once at start (tray.py); what IT set is shown locked, so only the rest is asked.

Two pages, each a scrolled column that ends where its buttons are: "Organization and mail
server" (what Apply saves, with Revert and Apply at its end, so nothing below them looks
covered by them), and "Accounts and this computer" (sign-in, the desktop programs' outgoing
server, start at login: each takes effect at once, so that page has no Apply). The fields
and their locks live in settings_fields.py, the desktop programs' box in desktop_mail_box.py.

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
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent.api.client import AgentConfig
from gui import autostart, icons
from gui.accounts_box import AccountsBox
from gui.agent_gate import allow
from gui.desktop_mail_box import DesktopMailBox
from gui.errors import explain
from gui.message_bar import MessageBar
from gui.settings_fields import FIELDS, MANAGED, SHOWN, LockTag
from gui.settings_fields import editor as field_editor
from gui.tray_app import TrayApp

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


def readable_path(path: str) -> str:
    """A path in the user's home folder as `~/…`: shorter, and the same on every clinic computer."""
    try:
        return f"~/{Path(path).relative_to(Path.home()).as_posix()}" if path else path
    except ValueError:
        return path


class SettingsView(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.bar = MessageBar(self)
        self.fields: dict[str, QWidget] = {}
        self.kinds: dict[str, str] = {}
        self.locks: dict[str, LockTag] = {}
        self.saving = False
        self._shown: AgentConfig | None = None  # the config the fields were last filled from
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.bar)
        self.first_run = QLabel(self)
        self.first_run.setWordWrap(True)
        self.first_run.setAccessibleName("What is left to set up")
        self.first_run.setObjectName("firstRun")
        self.first_run.setMargin(6)
        self.first_run.hide()
        layout.addWidget(self.first_run)
        self.pages = QTabWidget(self)
        self.pages.setAccessibleName("Settings pages")
        layout.addWidget(self.pages, 1)
        mail, mail_layout = self._page("Organization and mail server")
        for title, fields in FIELDS.items():
            group = QGroupBox(title, mail)
            form = QFormLayout(group)
            for section, key, label, kind in fields:
                name = f"{section}.{key}"
                editor = field_editor(group, kind)
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
            mail_layout.addWidget(group)
        self.source = QLabel(mail)
        self.source.setWordWrap(True)
        self.source.setAccessibleName("Where the settings live")
        self.open_button = QPushButton(icons.icon("action-settings"), "&Open settings file", mail)
        self.open_button.setAccessibleName("Open the agent's settings file")
        self.open_button.clicked.connect(self.open_source)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(self.open_button)
        mail_layout.addLayout(source_row)
        # The end of the page: what Apply saves is everything above it, and only that.
        self.apply_button = QPushButton(icons.icon("action-save"), "&Apply", mail)
        self.apply_button.setAccessibleName("Save the changed settings")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button = QPushButton("Re&vert", mail)
        self.revert_button.setAccessibleName("Undo the changes not yet saved")
        self.revert_button.clicked.connect(self.revert)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        mail_layout.addLayout(buttons)
        mail_layout.addStretch(1)

        other, other_layout = self._page("Accounts and this computer")
        at_once = QLabel("Changes on this page take effect at once: there is nothing to apply.", other)
        at_once.setWordWrap(True)
        other_layout.addWidget(at_once)
        self.accounts = AccountsBox(app, self.bar, other)
        other_layout.addWidget(self.accounts)
        self.desktop = DesktopMailBox(other)
        other_layout.addWidget(self.desktop)
        computer = QGroupBox("This computer", other)
        self.start_at_login = QCheckBox("&Start Postseal when I log in", computer)
        self.start_at_login.setAccessibleName("Start Postseal when I log in")
        self.start_at_login.setChecked(autostart.enabled())
        self.start_at_login.toggled.connect(self._set_autostart)
        QVBoxLayout(computer).addWidget(self.start_at_login)
        other_layout.addWidget(computer)
        other_layout.addStretch(1)

        self._update_buttons()
        app.setup_changed.connect(self.show_setup)
        app.config_changed.connect(self.show_config)
        app.connection_changed.connect(self._update_buttons)  # Apply needs the agent
        app.config_changed.connect(
            lambda _config: self.app.call(
                self,
                lambda client: client.ingress_credentials(),
                self.desktop.show_credentials,
                self.desktop.unavailable,
            )
        )
        if app.config is not None:
            self.show_config(app.config)
        else:
            self.source.setText("Waiting for the agent…")

    def _page(self, title: str) -> tuple[QWidget, QVBoxLayout]:
        """A page that scrolls on a small screen (its buttons stay at its end)."""
        page = QWidget(self)
        scroll = QScrollArea(self)
        scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages.addTab(scroll, title)
        return page, QVBoxLayout(page)

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

    def _edited(self, config: AgentConfig) -> dict[str, Any]:
        """The fields whose entry differs from `config` and may be changed: name → entry."""
        out: dict[str, Any] = {}
        for name, kind in self.kinds.items():
            section, key = name.split(".", 1)
            if kind == "shown" or config.is_locked(section, key):
                continue
            value = self._entered(name)
            if value if kind == "password" else value != config.value(section, key, ""):
                out[name] = value
        return out

    def changes(self) -> dict[str, dict[str, Any]]:
        """What the user changed and may change, as PATCH /v1/config wants it."""
        config = self.app.config
        out: dict[str, dict[str, Any]] = {}
        for name, value in (self._edited(config) if config is not None else {}).items():
            section, key = name.split(".", 1)
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

    def show_config(self, config: AgentConfig, keep_edits: bool = True) -> None:
        """Show `config`. What the user typed and has not applied stays (the agent coming back
        or a refresh reloads the config; before, it wiped the edit), unless IT now locks the
        field, or the user reverts."""
        if self.saving:
            return
        kept = self._edited(self._shown) if keep_edits and self._shown is not None else {}
        self._shown = config
        self._loading = True
        try:
            for name in self.kinds:
                section, key = name.split(".", 1)
                editor, lock = self.fields[name], self.locks[name]
                locked = config.is_locked(section, key)
                if name not in kept or locked:
                    self._put(name, config.value(section, key, ""))
                editor.setEnabled(not locked)
                editor.setToolTip(MANAGED if locked else "")
                editor.setAccessibleDescription(MANAGED if locked else "")
                lock.setVisible(locked)
        finally:
            self._loading = False
        pending = config.pending.get("portal.url") if config.pending else None
        if pending and not config.is_locked("portal", "url") and "portal.url" not in kept:
            self._loading = True
            self.fields["portal.url"].setText(pending)
            self._loading = False
        managed = sorted(config.locked)
        words = (
            f"Saved in {readable_path(config.source)}. Policy, outbox and audit settings are for your IT team; "
            "they change that file or the managed policy."
        )
        if pending:
            words += f" The portal address {pending} is used after Postseal restarts."
        if managed:
            words += f" {len(managed)} setting{'s' * (len(managed) != 1)} {MANAGED[0].lower() + MANAGED[1:]}."
        self.source.setText(words)
        self.open_button.setEnabled(bool(config.source))
        self._update_buttons()

    def show_setup(self, problems: list[dict]) -> None:
        """The first-run note: one line per thing left to do, hidden when nothing is."""
        lines = [
            _FIRST_RUN_WORDS.get(str(p.get("code")), str(p.get("message", ""))) for p in problems if p.get("warn", True)
        ]
        self.first_run.setVisible(bool(lines))
        self.first_run.setText(
            f"<b>{FIRST_RUN}</b><br>" + "<br>".join(html.escape(line) for line in lines) if lines else ""
        )

    def revert(self) -> None:
        if self.app.config is not None:
            self.show_config(self.app.config, keep_edits=False)
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
        self._shown = None  # applied: the config that comes back shows what was saved, as saved
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
            self.bar.error(
                f"Could not change start at login: {exc.strerror or exc}. Check your home folder's permissions."
            )
            return
        self.bar.show_message(
            "Postseal will start when you log in." if on else "Postseal will not start at login.", "ok"
        )
