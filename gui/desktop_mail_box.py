"""What Thunderbird, Apple Mail or Outlook with an IMAP account put as outgoing server: the
agent's local SMTP submission, shown in Settings with its password hidden until asked for."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


class DesktopMailBox(QGroupBox):
    """What Thunderbird, Apple Mail or Outlook with an IMAP account put as outgoing server
    (the local SMTP submission). The password is hidden until asked for, and copyable."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Desktop mail programs (outgoing server)", parent)
        form = QFormLayout(self)
        self.values: dict[str, QLabel] = {}
        for key, label in (("host", "Server"), ("port", "Port"), ("security", "Security"), ("username", "User name")):
            value = QLabel("—", self)
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
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
        self.show_button.toggled.connect(
            lambda on: self.password.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        )
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
        self.note.setText(
            "Mail sent this way is checked and protected like mail from Outlook or Gmail. "
            f"If your mail program asks about the certificate, it is {creds.get('ca_file', '')}."
        )

    def unavailable(self, exc: BaseException | None) -> None:
        for value in self.values.values():
            value.setText("—")
        self.password.clear()
        for widget in (self.password, self.show_button, self.copy_button):
            widget.setEnabled(False)
        self.note.setText(
            "Switched off on this computer by your IT team."
            if getattr(exc, "code", "") == "smtp_off"
            else "Shown when the agent is running."
        )

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.password.text())
