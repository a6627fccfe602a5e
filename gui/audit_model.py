"""The audit log as a lazily fetched table, newest first.

A log can hold 50,000 records and more, so the model holds only what was scrolled to: the
newest page first (`/v1/audit?limit=` also says how many match), then one more page each
time the view asks (`canFetchMore`/`fetchMore`), on a worker thread. The log is append-only,
so the position of a record counted from the oldest never changes: pages are asked for by
offset from the total seen at the first page, and records written since do not shift them.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from agent.api.client import AuditFilter, AuditPage
from gui.tray_app import TrayApp

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Time", "Event", "Recipients", "Method", "Outcome")
PAGE = 500


def local_time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(stamp)


def method_text(record: dict[str, Any]) -> str:
    method = record.get("method")
    if isinstance(method, dict):
        return ", ".join(sorted(set(method.values())))
    return str(method or "")


def outcome_text(record: dict[str, Any]) -> str:
    parts = [str(record[k]) for k in ("state", "reason", "reply", "detail") if record.get(k)]
    return " · ".join(parts)


def detail_text(record: dict[str, Any]) -> str:
    """Every field of one record, one per line, for the detail pane."""
    order = (
        "seq",
        "time",
        "event",
        "message",
        "message_id",
        "sender",
        "recipients",
        "method",
        "state",
        "reason",
        "rule",
        "action",
        "findings",
        "key_fingerprint",
        "portal_id",
        "tls",
        "reply",
        "detail",
        "prev",
        "hash",
    )
    lines = []
    for key in (*order, *sorted(set(record) - set(order))):
        if key in record:
            value = record[key]
            if key == "time":
                value = f"{local_time(value)} (UTC {value})"
            elif isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False)
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


class AuditModel(QAbstractTableModel):
    loading_changed = Signal(bool)
    total_changed = Signal(int)
    failed = Signal(object)  # the exception of a page that could not be fetched

    def __init__(self, app: TrayApp, page: int = PAGE, parent=None) -> None:
        super().__init__(parent)
        self.app = app
        self.page = page
        self.where = AuditFilter()
        self.rows: list[dict[str, Any]] = []
        self.total: int | None = None  # records matching, as counted at the first page
        self.loading = False
        self.fetches = 0  # how many pages were asked for (tests: proves the paging)
        self._generation = 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record = self.rows[index.row()]
        if role == RECORD_ROLE:
            return record
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            column = index.column()
            if column == 0:
                return local_time(record.get("time", ""))
            if column == 1:
                return str(record.get("event", ""))
            if column == 2:
                return ", ".join(record.get("recipients") or ())
            if column == 3:
                return method_text(record)
            return outcome_text(record)
        return None

    # --- fetching ------------------------------------------------------------------------------
    def reload(self, where: AuditFilter | None = None) -> None:
        """Start again (a new filter, or the newest records): the newest page first."""
        if where is not None:
            self.where = where
        self._generation += 1
        self.beginResetModel()
        self.rows, self.total = [], None
        self.endResetModel()
        self._fetch(None, self.page)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self.loading and self.total is not None and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        end = self.total - len(self.rows)  # exclusive, counted from the oldest
        start = max(0, end - self.page)
        self._fetch(start, end - start)

    def _fetch(self, offset: int | None, limit: int) -> None:
        generation = self._generation
        where = self.where
        self.loading = True
        self.fetches += 1
        self.loading_changed.emit(True)
        self.app.call(
            self,
            lambda c: c.audit_page(offset, limit, where),
            lambda page: self._arrived(generation, offset, page),
            lambda exc: self._failed(generation, exc),
        )

    def _arrived(self, generation: int, offset: int | None, page: AuditPage) -> None:
        if generation != self._generation:
            return  # an answer for a filter no longer shown
        self.loading = False
        if offset is None:
            self.total = page.total
            self.total_changed.emit(page.total)
        records = list(reversed(page.records))
        if records:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
            self.rows.extend(records)
            self.endInsertRows()
        if not page.records and offset is not None:
            self.total = len(self.rows)  # the log shrank (repaired): nothing more to fetch
        self.loading_changed.emit(False)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.loading_changed.emit(False)
        self.failed.emit(exc)


def day_start(days_ago: int, now: float | None = None) -> float:
    now = time.time() if now is None else now
    local = time.localtime(now - days_ago * 86400)
    return time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1))
