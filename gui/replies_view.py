"""Secure replies: what recipients answered through the portal, read here.

A reply reaches the clinician's mail program only when they have an S/MIME certificate of
their own; otherwise this view is where it is read (the agent keeps it in its encrypted
outbox). Content is fetched from the agent when a reply is chosen and held in memory only;
an attachment is written to disk only where the user saves it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agent.api.replies import SecureReply
from gui import file_dialogs, icons
from gui.agent_gate import allow
from gui.errors import explain
from gui.message_bar import MessageBar
from gui.tray_app import TrayApp

EMPTY = "No secure replies yet. When a recipient answers a secure portal message, the reply appears here."


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


class RepliesView(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.bar = MessageBar(self)
        self.replies: list[SecureReply] = []
        self.current: SecureReply | None = None

        hint = QLabel(
            "Replies your recipients sent through the secure portal. Their address was "
            "verified with a one-time code before they could reply.",
            self,
        )
        hint.setWordWrap(True)
        self.empty = QLabel(EMPTY, self)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName("No secure replies")
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["From", "Subject", "Received", "Also in your mail program"])
        self.table.setAccessibleName("Secure replies")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        reader = QWidget(self)
        self.heading = QLabel(reader)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setAccessibleName("Reply heading")
        self.text = QPlainTextEdit(reader)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Reply text")
        self.files = QListWidget(reader)
        self.files.setAccessibleName("Reply attachments")
        self.files.setMaximumHeight(self.files.fontMetrics().height() * 5)
        self.save_button = QPushButton(icons.icon("action-save"), "&Save attachment…", reader)
        self.save_button.setAccessibleName("Save the selected attachment")
        self.save_button.clicked.connect(self.save_selected)
        self.refresh_button = QPushButton(icons.icon("action-refresh"), "&Refresh", self)
        self.refresh_button.setAccessibleName("Refresh secure replies")
        self.refresh_button.clicked.connect(self.reload)
        reader_layout = QVBoxLayout(reader)
        reader_layout.setContentsMargins(0, 0, 0, 0)
        reader_layout.addWidget(self.heading)
        reader_layout.addWidget(self.text, 1)
        reader_layout.addWidget(self.files)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        reader_layout.addLayout(buttons)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(reader)
        split.setStretchFactor(1, 2)
        top = QHBoxLayout()
        top.addWidget(hint, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)

        self.table.itemSelectionChanged.connect(self._chosen)
        self.files.itemSelectionChanged.connect(self._enable)
        # Outbox changes come often; the list is fetched again only while it is on screen (and
        # each time its tab is opened: MainWindow).
        app.audit_changed.connect(self._changed)
        app.notified.connect(self._notified)  # a bound slot: Qt disconnects it with the view
        app.connection_changed.connect(self._agent_changed)
        self._agent_changed()
        self.show_replies([])

    def apply_icons(self) -> None:
        self.save_button.setIcon(icons.icon("action-save"))
        self.refresh_button.setIcon(icons.icon("action-refresh"))

    def _agent_changed(self, *_: object) -> None:
        allow(self.refresh_button, True, self.app.connected)

    # --- loading -------------------------------------------------------------------------------
    def _notified(self, notification: object) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        self.app.call(
            self,
            lambda c: [SecureReply.from_json(r) for r in c.replies()],
            self.show_replies,
            lambda exc: self.bar.error(explain(exc)),
        )

    def show_replies(self, replies: list[SecureReply]) -> None:
        chosen = self.current.id if self.current else ""
        self.replies = list(replies)
        self.table.setRowCount(len(self.replies))
        for row, reply in enumerate(self.replies):
            how = QTableWidgetItem(icons.icon(f"method-{reply.method}"), reply.how())
            cells = (
                QTableWidgetItem(reply.sender),
                QTableWidgetItem(reply.subject or "(no subject)"),
                QTableWidgetItem(reply.when()),
                how,
            )
            for column, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, reply.id)
                item.setToolTip(item.text())
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not self.replies)
        if chosen and any(r.id == chosen for r in self.replies):
            self.table.selectRow(next(i for i, r in enumerate(self.replies) if r.id == chosen))
        elif not self.replies:
            self.show_reply(None)

    def _chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        ident = str(rows[0].data(Qt.ItemDataRole.UserRole))
        if self.current is not None and self.current.id == ident:
            return
        self.app.call(
            self,
            lambda c: SecureReply.from_json(c.reply(ident)),
            self.show_reply,
            lambda exc: self.bar.error(explain(exc)),
        )

    def show_reply(self, reply: SecureReply | None) -> None:
        self.current = reply
        self.heading.setText(
            f"{reply.subject or '(no subject)'}\nFrom {reply.sender}, {reply.when()}"
            if reply
            else "Choose a reply to read it."
        )
        self.text.setPlainText(reply.text if reply else "")
        self.files.clear()
        for index, item in enumerate(reply.files if reply else ()):
            entry = QListWidgetItem(icons.icon("action-export"), f"{item.filename} ({_size(len(item.data))})")
            entry.setData(Qt.ItemDataRole.UserRole, index)
            self.files.addItem(entry)
        self.files.setVisible(bool(reply and reply.files))
        if reply and reply.files:
            self.files.setCurrentRow(0)
        self._enable()

    def _enable(self) -> None:
        self.save_button.setVisible(bool(self.current and self.current.files))
        self.save_button.setEnabled(bool(self.files.selectedItems()))

    # --- acting ---------------------------------------------------------------------------------
    def save_selected(self) -> None:
        chosen = self.files.selectedItems()
        if self.current is None or not chosen:
            return
        item = self.current.files[int(chosen[0].data(Qt.ItemDataRole.UserRole))]
        # The name is the recipient's: only its last part is offered, never a path of theirs.
        suggested = item.filename.replace("\\", "/").rsplit("/", 1)[-1] or "attachment"
        target = file_dialogs.save_file(self, "Save attachment", suggested, "All files (*)")
        if target is None:
            return

        def write() -> None:
            target.write_bytes(item.data)

        self.app.call_plain(
            write,
            lambda _: self.bar.show_message(f"Saved {item.filename} in {target}", "ok"),
            lambda exc: self.bar.error(f"{target} could not be written: {exc}"),
        )
