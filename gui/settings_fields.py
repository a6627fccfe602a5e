"""The editable settings and how each is shown: the fields, their editors, and the lock a
setting managed by the organization carries (DESIGN.md invariant 5)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

from gui import icons

MANAGED = "Managed by your organization"
STARTTLS = {"required": "Required", "opportunistic": "When offered", "off": "Off"}

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
    "Held messages": [("policy", "allow_release", "Release after review", "shown")],
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


def editor(parent: QWidget, kind: str) -> QWidget:
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
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        return label
    edit = QLineEdit(parent)
    if kind == "password":
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit
