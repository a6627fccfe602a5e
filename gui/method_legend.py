"""What the method icons in the outbox mean: one icon and a word for each, in a row under
the table, with the full sentence as tooltip (and for screen readers). The words are the
ones the recipients' table and the add-ins use, so the same thing is called the same."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from agent.api.messages import METHOD_NAMES
from gui import icons

# (method, one sentence a clinician reads). "kept" is for secure replies, not the outbox.
MEANINGS = (
    ("pgp", "Encrypted with their OpenPGP key: only they can open it."),
    ("smime", "Encrypted with their S/MIME certificate: only they can open it."),
    ("portal", "Goes to the secure portal: they get a link and a one-time code."),
    ("tls", "Sent over a verified encrypted connection to their mail server."),
    ("internal", "Stays inside your organization's mail."),
)
ICON = 16


def label(method: str) -> str:
    """The word under the icon: the method's name as the recipients' table writes it."""
    name = METHOD_NAMES.get(method, method)
    return name[0].upper() + name[1:]


class MethodLegend(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(
            "What the method icons mean: " + " ".join(f"{label(m)}: {words}" for m, words in MEANINGS)
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Methods:", self))
        self.icons: dict[str, QLabel] = {}
        self.words: dict[str, QLabel] = {}
        for method, sentence in MEANINGS:
            picture, words = QLabel(self), QLabel(label(method), self)
            for part in (picture, words):
                part.setToolTip(sentence)
            words.setAccessibleName(f"{label(method)}: {sentence}")
            row.addWidget(picture)
            row.addWidget(words)
            row.addSpacing(10)
            self.icons[method], self.words[method] = picture, words
        row.addStretch(1)
        self.apply_icons()

    def apply_icons(self) -> None:
        for method, picture in self.icons.items():
            picture.setPixmap(icons.pixmap(f"method-{method}", ICON, self.palette().text().color()))
