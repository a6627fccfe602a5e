"""Keys: the user's own OpenPGP key, and the keys of the partners mail is encrypted to."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agent.api.client import ApiError
from agent.api.keyring import KeyEntry
from gui import file_dialogs, icons
from gui.agent_gate import allow
from gui.dialogs import CreateKeyDialog, confirm
from gui.errors import explain
from gui.message_bar import MessageBar
from gui.tray_app import TrayApp

MAX_KEY_FILE = 1024 * 1024  # a public key is a few KB; anything this big is not one
KEY_FILES = (
    "Keys and certificates (*.asc *.gpg *.pgp *.key *.pub *.pem *.cer *.crt *.der *.p7b *.p7c *.p12 *.pfx *.eml);;"
    "All files (*)"
)
IDENTITY_SUFFIXES = (".p12", ".pfx")  # an S/MIME identity: the certificate with its private key


def read_key_file(path: Path) -> bytes:
    """The bytes of a key file, or ValueError saying why it cannot be one (worker thread)."""
    size = path.stat().st_size
    if size > MAX_KEY_FILE:
        raise ValueError(
            f"“{path.name}” is {size // 1024} KB: far too big to be an OpenPGP key. "
            "Ask for the public key as an .asc file."
        )
    if size == 0:
        raise ValueError(f"“{path.name}” is empty. Ask for the public key as an .asc file.")
    return path.read_bytes()


def _table(parent: QWidget, name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


class KeysView(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.setAcceptDrops(True)
        self.bar = MessageBar(self)

        own = QGroupBox("Your keys and certificates", self)
        self.own_warning = QLabel(own)
        self.own_warning.setWordWrap(True)
        self.own_warning.setAccessibleName("Key warning")
        self.own_warning.hide()
        self.own_table = _table(own, "Your keys", ["Address", "Fingerprint", "Validity", "Kind"])
        self.own_table.setMaximumHeight(self.own_table.fontMetrics().height() * 7)
        self.create_button = self._button("&Create a key…", "action-create", "Create your OpenPGP key", self.create_key)
        self.import_own_button = self._button(
            "I&mport your key…", "action-import", "Import your own key from a file", self.import_file
        )
        self.export_button = self._button(
            "E&xport public key…", "action-export", "Export the public part of your key to a file", self.export_public
        )
        self.renew_button = self._button(
            "Re&new key", "action-retry", "Renew your key for two more years", self.renew_selected
        )
        own_buttons = QHBoxLayout()
        for button in (self.create_button, self.import_own_button, self.export_button, self.renew_button):
            own_buttons.addWidget(button)
        own_buttons.addStretch(1)
        own_layout = QVBoxLayout(own)
        own_layout.addWidget(self.own_warning)
        own_layout.addWidget(self.own_table)
        own_layout.addLayout(own_buttons)

        partners = QGroupBox("Recipients' keys and certificates", self)
        hint = QLabel(
            "Drop a partner's OpenPGP key (.asc), S/MIME certificate (.pem, .cer, .p7b) or a signed "
            "message they sent (.eml) anywhere here, or choose Import.",
            partners,
        )
        hint.setWordWrap(True)
        self.table = _table(partners, "Recipients' keys", ["Address", "Fingerprint", "Validity", "Kind"])
        self.import_button = self._button(
            "&Import key file…", "action-import", "Import a recipient's key from a file", self.import_file
        )
        self.remove_button = self._button(
            "&Remove", "action-remove", "Remove the selected recipient key", self.remove_selected
        )
        partner_buttons = QHBoxLayout()
        partner_buttons.addWidget(self.import_button)
        partner_buttons.addWidget(self.remove_button)
        partner_buttons.addStretch(1)
        partner_layout = QVBoxLayout(partners)
        partner_layout.addWidget(hint)
        partner_layout.addWidget(self.table, 1)
        partner_layout.addLayout(partner_buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(own)
        layout.addWidget(partners, 1)

        self.keys: list[KeyEntry] = []
        self.generating = False
        self.table.itemSelectionChanged.connect(self._enable)
        self.own_table.itemSelectionChanged.connect(self._enable)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.remove_selected)
        app.keys_changed.connect(self.show_keys)
        app.connection_changed.connect(self._agent_changed)  # a bound slot: disconnected with the view
        self.show_keys(app.keys)

    def _button(self, text: str, icon: str, name: str, slot) -> QPushButton:
        button = QPushButton(icons.icon(icon), text, self)
        button.setAccessibleName(name)
        button.setProperty("icon_name", icon)
        button.clicked.connect(slot)
        return button

    def apply_icons(self) -> None:
        for button in self.findChildren(QPushButton):
            if button.property("icon_name"):
                button.setIcon(icons.icon(button.property("icon_name")))

    # --- showing ----------------------------------------------------------------------------
    def own_keys(self) -> list[KeyEntry]:
        return [k for k in self.keys if k.secret]

    def partner_keys(self) -> list[KeyEntry]:
        return [k for k in self.keys if not k.secret]

    def show_keys(self, keys: list[KeyEntry]) -> None:
        self.keys = list(keys)
        for table, entries in ((self.own_table, self.own_keys()), (self.table, self.partner_keys())):
            table.setRowCount(len(entries))
            for row, key in enumerate(entries):
                validity = QTableWidgetItem(key.validity())
                if not key.usable or key.expiring():
                    validity.setIcon(icons.icon("note-warning" if key.usable else "note-error"))
                kind = QTableWidgetItem("S/MIME certificate" if key.kind == "smime" else "OpenPGP key")
                for column, item in enumerate(
                    (QTableWidgetItem(key.who), QTableWidgetItem(key.grouped_fingerprint), validity, kind)
                ):
                    item.setData(Qt.ItemDataRole.UserRole, key.fingerprint)
                    item.setToolTip(item.text())
                    table.setItem(row, column, item)
            table.resizeColumnsToContents()
        warnings = [k.warning() for k in self.own_keys() if k.warning()]
        self.own_warning.setText(" ".join(warnings))
        self.own_warning.setVisible(bool(warnings))
        self.own_warning.setStyleSheet("color: #d97706; font-weight: bold;" if warnings else "")
        self._enable()

    def _agent_changed(self, *_: object) -> None:
        self._enable()

    def _enable(self) -> None:
        up = self.app.connected
        allow(self.create_button, not self.generating, up)
        for button in (self.import_own_button, self.import_button):
            allow(button, True, up)
        allow(self.export_button, bool(self.own_keys()), up)
        chosen = self.chosen_own()
        # An S/MIME certificate is renewed by whoever issued it; a revoked key never comes back.
        allow(self.renew_button, chosen is not None and chosen.kind == "pgp" and not chosen.revoked, up)
        allow(self.remove_button, self.selected_partner() is not None, up)

    def chosen_own(self) -> KeyEntry | None:
        """The selected one of the user's own keys, else the first."""
        own = self.own_keys()
        row = self.own_table.currentRow()
        return own[row] if 0 <= row < len(own) else (own[0] if own else None)

    def selected_partner(self) -> KeyEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        fingerprint = rows[0].data(Qt.ItemDataRole.UserRole)
        return next((k for k in self.partner_keys() if k.fingerprint == fingerprint), None)

    # --- acting -------------------------------------------------------------------------------
    def create_key(self) -> None:
        # The address mail goes out from is the likely one; the user can change it.
        sender = next((m.sender for m in self.app.outbox.messages() if m.sender), "")
        dialog = CreateKeyDialog(self, sender)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.generate(dialog.email.text().strip(), dialog.name.text().strip()))
        dialog.open()

    def generate(self, email: str, name: str) -> None:
        self.bar.show_message(f"Creating a key for {email}…", "info")
        self.generating = True
        self._enable()

        def done(fingerprint: str) -> None:
            self.generating = False
            self._enable()
            self.bar.show_message(
                f"Your key for {email} is ready ({fingerprint[-16:]}). "
                "Send partners its public part: Export public key.",
                "ok",
            )
            self.app.refresh_keys()

        def failed(exc: BaseException) -> None:
            self.generating = False
            self._enable()
            self.bar.error(explain(exc))

        self.app.call(self, lambda c: c.generate_key(email, name), done, failed)

    def import_file(self) -> None:
        path = file_dialogs.open_file(self, "Import a key or certificate", KEY_FILES)
        if path:
            self.import_paths([path])

    def ask_password(self, path: Path) -> str | None:
        """The password of a .p12 file (None: the user cancelled)."""
        text, ok = QInputDialog.getText(
            self, "Import your S/MIME certificate", f"Password for “{path.name}”:", QLineEdit.EchoMode.Password
        )
        return text if ok else None

    def ask_passphrase(self, path: Path) -> str | None:
        """The passphrase an OpenPGP secret key came with (None: the user cancelled)."""
        text, ok = QInputDialog.getText(
            self,
            "Import your OpenPGP key",
            f"“{path.name}” is protected by a passphrase. Enter it, and Postseal "
            "protects the key with its own from then on:",
            QLineEdit.EchoMode.Password,
        )
        return text if ok else None

    def import_paths(self, paths: list[Path]) -> None:
        for path in paths:
            password = None
            if path.suffix.lower() in IDENTITY_SUFFIXES:
                password = self.ask_password(path)
                if password is None:
                    continue
            self._import(path, password)

    def _import(self, path: Path, password: str | None) -> None:
        self.bar.show_message(f"Importing “{path.name}”…", "info")
        self.app.call(
            self,
            lambda c: c.import_key(read_key_file(path), password),
            lambda fprs: self._imported(path, fprs),
            lambda exc: self._import_failed(path, exc, password),
        )

    def _imported(self, path: Path, fingerprints: list[str]) -> None:
        count = len(fingerprints)
        self.bar.show_message(
            f"Imported {count} key{'s' * (count != 1)} from “{path.name}”: {', '.join(f[-16:] for f in fingerprints)}.",
            "ok",
        )
        self.app.refresh_keys()

    def _import_failed(self, path: Path, exc: BaseException, password: str | None = None) -> None:
        if isinstance(exc, ApiError) and exc.code == "needs_passphrase" and password is None:
            passphrase = self.ask_passphrase(path)
            if passphrase is not None:
                self._import(path, passphrase)
                return
        if isinstance(exc, ValueError):
            self.bar.error(str(exc))
        elif isinstance(exc, OSError):
            self.bar.error(f"Could not read “{path.name}”: {exc.strerror or exc}. Check the file and try again.")
        else:
            self.bar.error(f"Could not import “{path.name}”: {explain(exc)}")

    def export_public(self) -> None:
        key = self.chosen_own()
        if key is None:
            self.bar.error("You have no key yet. Create one first.")
            return
        smime = key.kind == "smime"
        suggested = f"{(key.emails or (key.fingerprint,))[0]}{'.pem' if smime else '.asc'}"
        path = file_dialogs.save_file(
            self,
            "Export your certificate" if smime else "Export your public key",
            suggested,
            "S/MIME certificate (*.pem)" if smime else "OpenPGP public key (*.asc)",
        )
        if not path:
            return

        def write(c) -> Path:
            path.write_text(c.public_key(key.fingerprint), encoding="ascii")
            return path

        self.app.call(
            self,
            write,
            lambda p: self.bar.show_message(
                f"Your public key is in {p}. Send this file to partners; it holds nothing secret.", "ok"
            ),
            self._error,
        )

    def renew_selected(self) -> None:
        key = self.chosen_own()
        if key is None or key.kind != "pgp" or key.revoked:
            return
        self.renew_button.setEnabled(False)

        def done(expires: int) -> None:
            day = time.strftime("%Y-%m-%d", time.localtime(expires))
            self.bar.show_message(
                f"Your key for {key.who} is now valid until {day}. Send partners its public part "
                "again (Export public key) so their copy shows the new date.",
                "ok",
            )
            self.app.refresh_keys()

        def failed(exc: BaseException) -> None:
            self._enable()
            self._error(exc)

        self.app.call(self, lambda c: c.renew_key(key.fingerprint), done, failed)

    def remove_selected(self) -> None:
        key = self.selected_partner()
        if key is None:
            return
        confirm(
            self,
            "Remove key",
            f"Remove the key of {key.who} ({key.fingerprint[-16:]})? Mail to them will "
            "go by another method (usually the secure portal) until you import a key again.",
            "Remove",
            lambda: self.app.call(self, lambda c: c.delete_key(key.fingerprint), self._removed, self._error),
        )

    def _removed(self, fingerprint: str) -> None:
        self.bar.show_message(f"Removed key {fingerprint[-16:]}.", "ok")
        self.app.refresh_keys()

    def _error(self, exc: BaseException) -> None:
        self.bar.error(explain(exc))

    # --- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.app.connected and event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)
