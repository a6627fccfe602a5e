"""How the outbox draws two columns: each recipient with its method's icon, and progress."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from gui import icons
from gui.outbox_model import MESSAGE_ROLE

ICON = 16
GAP = 12


class RecipientsDelegate(QStyledItemDelegate):
    """`[icon] address` per recipient; the text role still says "address via method" for
    screen readers and for copying."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        message = index.data(MESSAGE_ROLE)
        if message is None:
            return super().paint(painter, option, index)
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        color = option.palette.highlightedText().color() if selected else option.palette.text().color()
        painter.save()
        painter.setPen(color)
        left, right = option.rect.x() + 4, option.rect.right() - 4
        metrics = option.fontMetrics
        people = list(message.recipients)
        widths = [ICON + 4 + metrics.horizontalAdvance(r.address) for r in people]
        room = right - left
        shown = len(people)
        # Everyone elided to an equal share while it stays readable; else "+N more" at the end.
        while shown > 1 and room // shown - GAP < ICON + 4 + metrics.horizontalAdvance("a…@x"):
            shown -= 1
        more = f"+{len(people) - shown}" if shown < len(people) else ""
        if more:
            room -= metrics.horizontalAdvance(more) + GAP
        fits = sum(widths[:shown]) + GAP * (shown - 1) <= room
        x = left
        for recipient, width in zip(people[:shown], widths[:shown], strict=True):
            share = width if fits else room // shown - GAP
            top = option.rect.y() + (option.rect.height() - ICON) // 2
            painter.drawPixmap(x, top, icons.pixmap(f"method-{recipient.method}", ICON, color))
            text = metrics.elidedText(recipient.address, Qt.TextElideMode.ElideRight, max(0, share - ICON - 4))
            painter.drawText(
                QRect(x + ICON + 4, option.rect.y(), share - ICON - 4, option.rect.height()),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                text,
            )
            x += share + GAP
        if more:
            painter.drawText(
                QRect(x, option.rect.y(), right - x, option.rect.height()),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                more,
            )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        message = index.data(MESSAGE_ROLE)
        hint = super().sizeHint(option, index)
        if message is None:
            return hint
        width = sum(ICON + 4 + option.fontMetrics.horizontalAdvance(r.address) + GAP for r in message.recipients)
        return QSize(min(width + 8, 520), max(hint.height(), ICON + 6))


class ProgressDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        message = index.data(MESSAGE_ROLE)
        if message is None:
            return super().paint(painter, option, index)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 4, -3, -4)
        bar.minimum, bar.maximum = 0, max(1, len(message.recipients))
        bar.progress = message.delivered
        bar.text = f"{message.delivered}/{len(message.recipients)}"
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
