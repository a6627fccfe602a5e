"""The outbox as a table model, newest first, kept live by the agent's events."""

from __future__ import annotations

import time
from collections.abc import Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from agent.api.messages import OutboxMessage, when
from gui import icons

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

COLUMNS = ("Time", "Subject", "Recipients and method", "State", "Progress")
TIME, SUBJECT, RECIPIENTS, STATE, PROGRESS = range(len(COLUMNS))
_STATE_ICONS = {
    "delivered": "state-delivered",
    "held": "state-held",
    "failed": "state-failed",
    "deferred": "state-deferred",
    "sending": "state-sending",
    "protecting": "state-sending",
    "queued": "state-queued",
}


def recipients_tooltip(message: OutboxMessage) -> str:
    """Every recipient, one a line, with how and where it stands: the column shows as many as fit."""
    return "\n".join(f"{r.address}: {r.method_name}, {r.state_name.lower()}" for r in message.recipients)


class OutboxModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[OutboxMessage] = []
        self._index: dict[str, int] = {}

    # --- Qt model ------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        message = self._rows[index.row()]
        column = index.column()
        if role == MESSAGE_ROLE:
            return message
        if role == SORT_ROLE:
            return (
                message.created,
                message.subject.lower(),
                message.recipients_text(),
                message.state,
                message.delivered / max(1, len(message.recipients)),
            )[column]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == TIME:
                return when(message.created)
            if column == SUBJECT:
                return message.subject or "(no subject)"
            if column == RECIPIENTS:
                return message.recipients_text()
            if column == STATE:
                return message.state_name
            return f"{message.delivered} of {len(message.recipients)} delivered"
        if role == Qt.ItemDataRole.DecorationRole and column == STATE:
            return icons.icon(_STATE_ICONS.get(message.state, "state-queued"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == TIME:
                return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(message.created))
            if column == RECIPIENTS:
                return recipients_tooltip(message)
            return message.reason or recipients_tooltip(message)
        return None

    # --- keeping it current ------------------------------------------------------------------
    def message(self, ident: str) -> OutboxMessage | None:
        row = self._index.get(ident)
        return None if row is None else self._rows[row]

    def messages(self) -> list[OutboxMessage]:
        return list(self._rows)

    def row_of(self, ident: str) -> int:
        return self._index.get(ident, -1)

    def _reindex(self) -> None:
        self._index = {m.id: i for i, m in enumerate(self._rows)}

    def upsert(self, message: OutboxMessage) -> OutboxMessage | None:
        """Add or replace one message; returns what was there before. A record older than
        the one shown (answers can cross on the way) is ignored."""
        row = self._index.get(message.id)
        if row is not None:
            old = self._rows[row]
            if message.updated < old.updated:
                return old
            self._rows[row] = message
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return old
        row = 0
        while row < len(self._rows) and self._rows[row].created > message.created:
            row += 1
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, message)
        self._reindex()
        self.endInsertRows()
        return None

    def apply_event(self, ident: str, state: str, recipients: dict[str, str]) -> bool:
        """The state an event reports, shown at once; False when the message is new to us."""
        row = self._index.get(ident)
        if row is None:
            return False
        self._rows[row] = self._rows[row].with_states(state, recipients)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        return True

    def replace_all(self, messages: Iterable[OutboxMessage]) -> list[OutboxMessage]:
        """The whole outbox as the agent has it now; returns the messages that became held."""
        fresh = sorted(messages, key=lambda m: m.created, reverse=True)
        newly_held = [m for m in fresh if m.held and not ((old := self.message(m.id)) and old.held)]
        if not self._rows:
            self.beginResetModel()
            self._rows = fresh
            self._reindex()
            self.endResetModel()
            return newly_held
        keep = {m.id for m in fresh}
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].id not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        self._reindex()
        for message in fresh:
            self.upsert(message)
        return newly_held

    def clear(self) -> None:
        self.beginResetModel()
        self._rows, self._index = [], {}
        self.endResetModel()


FILTERS = {
    "All messages": lambda m: True,
    "On the way": lambda m: m.in_flight,
    "Held for review": lambda m: m.held,
    "Not delivered": lambda m: m.state == "failed",
    "Delivered": lambda m: m.state == "delivered",
    "Waiting for the network": lambda m: any(r.waiting_for_network for r in m.recipients),
}


class OutboxFilter(QSortFilterProxyModel):
    """Search (subject, recipient, id) and a state filter over the outbox model."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._search = ""
        self._kind = "All messages"
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+: invalidateFilter() is deprecated
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def set_search(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "_search", text.strip()))

    def set_kind(self, kind: str) -> None:
        self._refilter(lambda: setattr(self, "_kind", kind if kind in FILTERS else "All messages"))

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        message = self.sourceModel().index(source_row, 0, source_parent).data(MESSAGE_ROLE)
        if message is None:
            return False
        return FILTERS[self._kind](message) and (not self._search or message.matches(self._search))
