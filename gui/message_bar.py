"""One line at the top of a view: what happened and what to do, with an icon by kind."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from gui import icons

_LOOK = {
    "info": ("note-info", "#1565c0"),
    "ok": ("note-ok", "#2e7d32"),
    "warning": ("note-warning", "#d97706"),
    "error": ("note-error", "#c62828"),
}


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.kind = ""
        self._icon = QLabel(self)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.text.setAccessibleName("Message")
        close = QPushButton("Dismiss", self)
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        name, color = _LOOK.get(kind, _LOOK["info"])
        self.kind = kind
        self._icon.setPixmap(icons.pixmap(name, 20))
        self.text.setText(text)
        self.setStyleSheet(f"#messageBar {{ border: 1px solid {color}; border-left: 4px solid {color}; }}")
        self.setAccessibleName(f"{kind.capitalize()}: {text}")
        self.show()

    def error(self, text: str) -> None:
        self.show_message(text, "error")

    def clear(self) -> None:
        self.kind = ""
        self.text.clear()
        self.hide()
