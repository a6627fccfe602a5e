"""Audit history: the log, searchable, one record in detail, export, and the integrity check."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, QTime, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent.api.client import AuditCheck, AuditFilter
from gui import file_dialogs, icons
from gui.agent_gate import allow
from gui.audit_chart import ActivityChart
from gui.audit_model import RECORD_ROLE, AuditModel, detail_text
from gui.errors import explain
from gui.message_bar import MessageBar
from gui.tray_app import TrayApp

METHODS = ("", "internal", "smime", "pgp", "tls", "portal", "kept")
OUTCOMES = (
    "",
    "delivered",
    "held",
    "failed",
    "deferred",
    "accepted",
    "blocked",
    "released",
    "rerouted",
    "revoked",
    "retry",
    "bounced",
    "notice",
    "offline",
    "online",
)


def verify_words(check: AuditCheck) -> tuple[str, str]:
    """(text, kind) for the result of the integrity check."""
    if not check.ok:
        return (
            f"Log integrity check FAILED: {check.problem.rstrip('.')}. Keep a copy of audit.log as it is "
            "and tell your security officer; do not edit the file.",
            "error",
        )
    if check.unsigned:
        return (
            f"Log intact: {check.records:,} records verified; the newest {check.unsigned} are chained and "
            "will be signed within a second.",
            "ok",
        )
    return f"Log intact: all {check.records:,} records verified; the chain and the signed head match.", "ok"


class AuditView(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.bar = MessageBar(self)
        self.model = AuditModel(app, parent=self)

        self.use_dates = QCheckBox("&Between", self)
        self.use_dates.setAccessibleName("Only records between two dates")
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-30), self)
        self.until = QDateEdit(today, self)
        for edit, name in ((self.since, "From date"), (self.until, "To date")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.setEnabled(False)
        self.recipient = QLineEdit(self)
        self.recipient.setPlaceholderText("Recipient contains…")
        self.recipient.setAccessibleName("Recipient contains")
        self.recipient.setClearButtonEnabled(True)
        self.method = QComboBox(self)
        self.method.addItems(["Any method", *METHODS[1:]])
        self.method.setAccessibleName("Method")
        self.outcome = QComboBox(self)
        self.outcome.addItems(["Any event", *OUTCOMES[1:]])
        self.outcome.setAccessibleName("Event or outcome")
        and_label = QLabel("and", self)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit records")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 150)
        header.resizeSection(1, 90)
        header.resizeSection(2, 230)
        header.resizeSection(3, 90)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.detail = QPlainTextEdit(self)
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Record details")
        self.detail.setPlaceholderText("Select a record to see all it holds.")
        self.count = QLabel(self)
        self.count.setAccessibleName("Record count")

        self.refresh_button = self._button("Re&fresh", "action-refresh", "Reload the audit records", self.reload)
        self.csv_button = self._button(
            "Export &CSV…", "action-export", "Export the audit log as CSV", lambda: self.export("csv")
        )
        self.json_button = self._button(
            "Export &JSON…", "action-export", "Export the audit log as JSON", lambda: self.export("json")
        )
        self.verify_button = self._button(
            "&Verify log integrity", "action-verify", "Verify the integrity of the audit log", self.verify
        )
        self.verify_result = MessageBar(self)
        self.verify_result.setAccessibleName("Integrity check result")

        filters = QHBoxLayout()
        for widget in (self.use_dates, self.since, and_label, self.until, self.recipient, self.method, self.outcome):
            filters.addWidget(widget)
        filters.setStretch(4, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.count, 1)
        for button in (self.refresh_button, self.csv_button, self.json_button, self.verify_button):
            actions.addWidget(button)
        split = QSplitter(self)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        records = QWidget(self)
        records_layout = QVBoxLayout(records)
        records_layout.setContentsMargins(0, 0, 0, 0)
        records_layout.addLayout(filters)
        records_layout.addWidget(split, 1)
        records_layout.addLayout(actions)
        records_layout.addWidget(self.verify_result)
        self.chart = ActivityChart(app, self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Audit history views")
        self.tabs.addTab(records, icons.icon("action-audit"), "&Records")
        self.tabs.addTab(self.chart, icons.icon("action-chart"), f"&Last {30} days")
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.tabs, 1)

        self._debounce = QTimer(self, singleShot=True, interval=300)
        self._debounce.timeout.connect(self.reload)
        self.use_dates.toggled.connect(self._dates_toggled)
        for signal in (
            self.since.dateChanged,
            self.until.dateChanged,
            self.recipient.textChanged,
            self.method.currentIndexChanged,
            self.outcome.currentIndexChanged,
        ):
            signal.connect(lambda *_: self._debounce.start())
        self.table.selectionModel().currentRowChanged.connect(lambda current, _: self._show_record(current))
        self.model.rowsInserted.connect(lambda *_: self._count())
        self.model.modelReset.connect(self._count)
        self.model.failed.connect(lambda exc: self.bar.error(explain(exc)))
        app.connection_changed.connect(self._agent_changed)  # a bound slot: disconnected with the view
        self._agent_changed()
        self.tabs.currentChanged.connect(lambda i: self.chart.load() if i == 1 else None)
        self._count()

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
        self.tabs.setTabIcon(0, icons.icon("action-audit"))
        self.tabs.setTabIcon(1, icons.icon("action-chart"))
        if self.chart.series is not None:
            self.chart.show_counts(self.chart.counts)

    def _agent_changed(self, *_: object) -> None:
        for button in (self.refresh_button, self.csv_button, self.json_button, self.verify_button):
            allow(button, True, self.app.connected)

    # --- records ------------------------------------------------------------------------------
    def current_filter(self) -> AuditFilter:
        since = until = None
        if self.use_dates.isChecked():
            since = QDateTime(self.since.date(), QTime(0, 0)).toSecsSinceEpoch()
            until = QDateTime(self.until.date(), QTime(23, 59, 59)).toSecsSinceEpoch() + 0.999
        return AuditFilter(
            since=since,
            until=until,
            recipient=self.recipient.text().strip(),
            method=METHODS[self.method.currentIndex()],
            event=OUTCOMES[self.outcome.currentIndex()],
        )

    def reload(self) -> None:
        self.bar.clear()
        self.detail.clear()
        self.model.reload(self.current_filter())

    def _dates_toggled(self, on: bool) -> None:
        self.since.setEnabled(on)
        self.until.setEnabled(on)
        self._debounce.start()

    def _count(self) -> None:
        total = self.model.total
        if total is None:
            self.count.setText("Loading…")
        elif total == len(self.model.rows):
            self.count.setText(f"{total:,} record{'s' * (total != 1)}")
        else:
            self.count.setText(f"Showing the newest {len(self.model.rows):,} of {total:,} records; scroll for more")

    def _show_record(self, index) -> None:
        record = index.data(RECORD_ROLE) if index.isValid() else None
        self.detail.setPlainText(detail_text(record) if record else "")

    # --- export and verify --------------------------------------------------------------------
    def export(self, fmt: str) -> None:
        path = file_dialogs.save_file(
            self,
            f"Export the audit log as {fmt.upper()}",
            f"postseal-audit.{fmt}",
            "CSV (*.csv)" if fmt == "csv" else "JSON (*.json)",
        )
        if not path:
            return
        self.bar.show_message(f"Exporting the audit log to {path}…", "info")

        def write(c) -> Path:
            path.write_text(c.audit_export(fmt), encoding="utf-8")
            return path

        self.app.call(
            self,
            write,
            lambda p: self.bar.show_message(
                f"Exported the audit log to {p}. It lists recipients: keep it as you keep patient records.", "ok"
            ),
            lambda exc: self.bar.error(explain(exc)),
        )

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.verify_result.show_message("Checking every record of the audit log…", "info")

        def done(check: AuditCheck) -> None:
            self._agent_changed()
            text, kind = verify_words(check)
            self.verify_result.show_message(text, kind)

        def failed(exc: BaseException) -> None:
            self._agent_changed()
            self.verify_result.show_message(f"The log could not be checked: {explain(exc)}", "error")

        self.app.call(self, lambda c: c.audit_verify(), done, failed)
