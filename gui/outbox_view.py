"""The outbox: every message live, with search and filter, and what a person can do."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agent.api.messages import OutboxMessage
from gui import icons
from gui.agent_gate import allow
from gui.dialogs import ReleaseDialog, confirm
from gui.errors import explain
from gui.message_bar import MessageBar
from gui.method_legend import MethodLegend
from gui.outbox_delegates import ProgressDelegate, RecipientsDelegate
from gui.outbox_model import FILTERS, MESSAGE_ROLE, PROGRESS, RECIPIENTS, STATE, SUBJECT, TIME, OutboxFilter
from gui.proof_dialog import ProofDialog
from gui.tray_app import TrayApp

NOT_ALLOWED = "Your organization does not allow releasing held messages here; ask your privacy officer."


class OutboxView(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.bar = MessageBar(self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search subject, recipient or id")
        self.search.setAccessibleName("Search messages")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox(self)
        self.kind.addItems(list(FILTERS))
        self.kind.setAccessibleName("Show messages")
        search_label = QLabel("&Search:", self)
        search_label.setBuddy(self.search)
        kind_label = QLabel("S&how:", self)
        kind_label.setBuddy(self.kind)

        self.proxy = OutboxFilter(self)
        self.proxy.setSourceModel(app.outbox)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Messages")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(TIME, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        self.table.setItemDelegateForColumn(RECIPIENTS, RecipientsDelegate(self.table))
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.resizeSection(SUBJECT, 300)
        header.setSectionResizeMode(RECIPIENTS, QHeaderView.ResizeMode.Stretch)
        # The widest date a row shows ("Dec 28 23:59") and the sort arrow: never cut.
        header.resizeSection(TIME, header.fontMetrics().horizontalAdvance("Dec 28 23:59") + 36)
        header.resizeSection(STATE, 150)
        header.resizeSection(PROGRESS, 90)

        self.detail = QLabel("Select a message to see each recipient.", self)
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("Message details")
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 3 + 4)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.recipients = QTableWidget(0, 4, self)
        self.recipients.setHorizontalHeaderLabels(["Method", "Recipient", "State", "Details"])
        self.recipients.setAccessibleName("Recipients of the selected message")
        self.recipients.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.recipients.verticalHeader().hide()
        self.recipients.setTabKeyNavigation(False)
        # Each recipient's details (a reason, the relay's reply) wrap in their row: nothing to
        # scroll sideways for, and nothing cut.
        self.recipients.setWordWrap(True)
        self.recipients.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        recipients_header = self.recipients.horizontalHeader()
        for column in range(3):
            recipients_header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        recipients_header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.recipients.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

        self.retry_button = self._button("&Retry now", "action-retry", "Try the waiting recipients now", self.retry)
        self.release_button = self._button(
            "R&elease after review…", "action-release", "Release the held message after review", self.release
        )
        self.portal_button = self._button(
            "Send via &portal instead",
            "method-portal",
            "Send the waiting recipients a secure portal message instead",
            self.via_portal,
        )
        self.revoke_button = self._button(
            "Re&voke portal copies", "action-revoke", "Revoke the portal copies of this message", self.revoke
        )
        self.proof_button = self._button("Delivery pr&oof…", "action-proof", "Open the delivery proof", self.open_proof)

        filters = QHBoxLayout()
        filters.addWidget(search_label)
        filters.addWidget(self.search, 1)
        filters.addWidget(kind_label)
        filters.addWidget(self.kind)
        actions = QHBoxLayout()
        for button in (
            self.retry_button,
            self.release_button,
            self.portal_button,
            self.revoke_button,
            self.proof_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.detail)
        lower_layout.addWidget(self.recipients, 1)
        lower_layout.addLayout(actions)
        self.legend = MethodLegend(self)
        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.legend)
        upper_layout.addSpacing(4)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addLayout(filters)
        layout.addWidget(split, 1)

        self.search.textChanged.connect(self.proxy.set_search)
        self.kind.currentTextChanged.connect(self.proxy.set_kind)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        self.table.activated.connect(lambda *_: self.open_proof())
        app.outbox.dataChanged.connect(lambda *_: self._show_selected())
        app.outbox.modelReset.connect(self._show_selected)
        app.config_changed.connect(lambda *_: self._show_selected())
        app.connection_changed.connect(self._agent_changed)  # a bound slot: disconnected with the view
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        self._show_selected()

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
        self.legend.apply_icons()
        self._show_selected()

    # --- selection ------------------------------------------------------------------------
    def selected(self) -> OutboxMessage | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(MESSAGE_ROLE) if rows else None

    def select(self, ident: str) -> bool:
        row = self.app.outbox.row_of(ident)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.app.outbox.index(row, 0))
        if not index.isValid():
            self.search.clear()
            self.kind.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.app.outbox.index(row, 0))
        self.table.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def _release_allowed(self) -> bool:
        config = self.app.config
        return config is None or bool(config.value("policy", "allow_release", True))

    def _agent_changed(self, *_: object) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        message = self.selected()
        allowed = self._release_allowed()
        up = self.app.connected
        allow(self.retry_button, bool(message and message.can_retry), up)
        allow(self.release_button, bool(message and message.held and allowed), up, "" if allowed else NOT_ALLOWED)
        allow(self.portal_button, bool(message and message.can_reroute and (allowed or not message.held)), up)
        allow(self.revoke_button, bool(message and message.can_revoke), up)
        self.proof_button.setEnabled(message is not None)
        if message is None:
            self.detail.setText("Select a message to see each recipient.")
            self.recipients.setRowCount(0)
            return
        words = f"{message.subject or '(no subject)'}: {message.state_name.lower()}"
        if message.reason:
            words += f". {message.reason}"
        if message.held and not allowed:
            words += f" ({NOT_ALLOWED})"
        self.detail.setText(words)
        self.recipients.setRowCount(len(message.recipients))
        for row, r in enumerate(message.recipients):
            method = QTableWidgetItem(icons.icon(f"method-{r.method}"), r.method_name)
            details = r.reason
            if r.waiting_for_network:
                details = details or "waiting for the network"
            elif r.state in ("delivered", "queued", "protecting", "sending"):
                # How it goes, in the add-ins' words; the relay's reply is in the delivery proof.
                details = r.says or details
            if (r.proof or {}).get("revoked"):
                details = f"portal copy revoked {r.proof['revoked']}"
            for column, item in enumerate(
                (method, QTableWidgetItem(r.address), QTableWidgetItem(r.state_name), QTableWidgetItem(details))
            ):
                item.setToolTip(item.text())
                self.recipients.setItem(row, column, item)

    # --- actions ---------------------------------------------------------------------------
    def _act(self, message: OutboxMessage, fn, done_words) -> None:
        self.bar.clear()

        def done(count: int) -> None:
            self.bar.show_message(done_words(count), "ok")
            self.app.refresh_message(message.id)

        def failed(exc: BaseException) -> None:
            self.bar.error(explain(exc))
            self.app.refresh_message(message.id)

        self.app.call(self, lambda c: fn(c, message.id), done, failed)

    def retry(self) -> None:
        message = self.selected()
        if message:
            self._act(message, lambda c, i: c.retry(i), lambda n: f"Trying {n} recipient{'s' * (n != 1)} again now.")

    def release(self) -> None:
        message = self.selected()
        if not message:
            return
        if not self._release_allowed():
            self.bar.error(NOT_ALLOWED)
            return
        dialog = ReleaseDialog(message.reason, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._release(message, dialog.note.toPlainText().strip()))
        dialog.open()

    def _release(self, message: OutboxMessage, note: str) -> None:
        self._act(
            message,
            lambda c, i: c.release(i, note),
            lambda n: f"Released after review: {n} recipient{'s' * (n != 1)} will now get it as planned.",
        )

    def via_portal(self) -> None:
        message = self.selected()
        if message:
            self._act(
                message,
                lambda c, i: c.send_via_portal(i),
                lambda n: f"{n} recipient{'s' * (n != 1)} will get a secure portal message instead.",
            )

    def revoke(self) -> None:
        message = self.selected()
        if message:
            confirm(
                self,
                "Revoke portal copies",
                "The recipients will no longer be able to open this message on the portal. This cannot be undone.",
                "Revoke",
                lambda: self._act(
                    message,
                    lambda c, i: c.revoke(i),
                    lambda n: f"Revoked: {n} portal cop{'ies' if n != 1 else 'y'} can no longer be opened.",
                ),
            )

    def open_proof(self) -> None:
        message = self.selected()
        if message:
            dialog = ProofDialog(message, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()
