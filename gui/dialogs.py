"""Small dialogs that ask one thing. All open window-modal with `open()`, never `exec()`, so
the event loop (and the live outbox behind them) keeps running."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

# A dialog is as wide as its text needs, so a sentence reads in a few lines rather than a
# narrow column of seven (Qt sizes a dialog by its buttons and wraps labels to fit that);
# never wider than MOST, so it stays a dialog on a small screen.
LINES, LEAST, MOST = 3, 380, 640


def wide_enough(label: QLabel, lines: int = LINES) -> None:
    """Room for the label's text in about `lines` lines (more only past MOST pixels)."""
    advance = label.fontMetrics().horizontalAdvance(label.text())
    # Wrapping breaks at words, so a line holds a little less than its width: +20% and a margin.
    label.setMinimumWidth(max(LEAST, min(MOST, advance * 6 // (5 * lines) + 24)))


class ReleaseDialog(QDialog):
    """Release a held message: the reviewer says why it may go; the note goes to the audit log."""

    def __init__(self, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Release after review")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        why = QLabel(f"Held because: {reason or 'policy asks a person to review it.'}", self)
        why.setWordWrap(True)
        ask = QLabel("Why may it go as it is? (kept in the audit log; do not type patient details)", self)
        ask.setWordWrap(True)
        wide_enough(why)
        self.note = QPlainTextEdit(self)
        self.note.setAccessibleName("Review note")
        self.note.setTabChangesFocus(True)
        ask.setBuddy(self.note)
        self.buttons = QDialogButtonBox(self)
        self.release = self.buttons.addButton("Release", QDialogButtonBox.ButtonRole.AcceptRole)
        self.release.setAccessibleName("Release the message")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.release.setEnabled(False)
        self.note.textChanged.connect(lambda: self.release.setEnabled(bool(self.note.toPlainText().strip())))
        layout = QVBoxLayout(self)
        layout.addWidget(why)
        layout.addWidget(ask)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)


class CreateKeyDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, email: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Create your OpenPGP key")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Your name")
        self.email = QLineEdit(email, self)
        self.email.setAccessibleName("Your e-mail address")
        self.email.setPlaceholderText("you@clinic.example")
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&E-mail address:", self.email)
        note = QLabel(
            "Partners encrypt to this key; send them its public part (Export). It is valid for two years.", self
        )
        note.setWordWrap(True)
        wide_enough(note, lines=2)
        self.buttons = QDialogButtonBox(self)
        self.create = self.buttons.addButton("Create key", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create.setAccessibleName("Create the key")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.create.setEnabled(bool(email))
        self.email.textChanged.connect(lambda t: self.create.setEnabled(t.count("@") == 1 and "." in t.split("@")[-1]))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)


def confirm(parent: QWidget, title: str, text: str, yes: str, on_yes) -> QMessageBox:
    """Ask before something that cannot be undone; `on_yes` runs only on the explicit yes."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel, parent)
    button = box.addButton(yes, QMessageBox.ButtonRole.DestructiveRole)
    button.setAccessibleName(yes)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    text_label = box.findChild(QLabel, "qt_msgbox_label")
    if text_label is not None:  # Qt's own label of the question: wide enough to read it
        wide_enough(text_label)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.buttonClicked.connect(lambda clicked: on_yes() if clicked is button else None)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
