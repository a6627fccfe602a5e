"""The delivery proof of one message: per recipient, how its copy left and who took it."""

from __future__ import annotations

import time

from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from agent.api.messages import OutboxMessage

_FIELDS = (
    ("method", "Method"),
    ("tls_version", "TLS version"),
    ("tls_cipher", "Cipher"),
    ("tls_peer", "Verified server"),
    ("key_fingerprint", "Encrypted to key"),
    ("portal_id", "Portal message"),
    ("revoked", "Portal copy revoked"),
    ("reply", "Relay's reply"),
    ("time", "Time"),
)


def proof_text(message: OutboxMessage) -> str:
    lines = [
        f"Message {message.id}" + (f" (Message-ID {message.message_id})" if message.message_id else ""),
        f"Accepted {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(message.created))} from {message.sender}",
        "",
    ]
    for r in message.recipients:
        lines.append(f"{r.address}: {r.state_name}, {r.how}")
        proof = r.proof or {}
        if not any(proof.get(k) for k, _ in _FIELDS[1:]):
            lines.append(f"    no proof yet{f': {r.reason}' if r.reason else ''}")
        for key, label in _FIELDS:
            if proof.get(key):
                value = proof[key]
                if key == "tls_peer":
                    value = f"{value} (certificate verified)"
                lines.append(f"    {label}: {value}")
        if r.proof and not proof.get("tls_peer") and proof.get("tls_version"):
            encrypted = r.method in ("pgp", "smime", "portal")
            lines.append(
                "    Relay certificate: not verified" + (" (the content itself is encrypted)" if encrypted else "")
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


class ProofDialog(QDialog):
    def __init__(self, message: OutboxMessage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Delivery proof")
        self.setAccessibleName("Delivery proof")
        self.text = QPlainTextEdit(proof_text(message), self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Delivery proof details")
        self.text.setMinimumSize(*self._room(self.text.toPlainText()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.setAccessibleName("Copy the delivery proof")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Shown, the text knows its real width (the font as drawn, scroll bars): widen by
        whatever is still cut, within the screen."""
        self.text.document().adjustSize()
        extra = self.text.horizontalScrollBar().maximum()
        if extra > 0:
            screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
            self.resize(min(self.width() + extra + 8, int(screen.width() * 0.9)), self.height())

    def _room(self, text: str) -> tuple[int, int]:
        """Wide enough for its longest line (the relay's reply, a fingerprint: nothing to scroll
        sideways for) and tall enough for a few recipients, within 90% and 70% of the screen."""
        metrics = self.text.fontMetrics()
        lines = text.splitlines() or [""]
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        chrome = (
            2 * self.text.frameWidth()
            + 2 * int(self.text.document().documentMargin())
            + self.text.verticalScrollBar().sizeHint().width()
            + 4 * metrics.averageCharWidth()
        )
        width = max(560, max(metrics.horizontalAdvance(line) for line in lines) + chrome)
        height = max(300, min(len(lines), 24) * metrics.lineSpacing() + chrome)
        return min(width, int(screen.width() * 0.9)), min(height, int(screen.height() * 0.7))
