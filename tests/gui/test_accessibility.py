"""Keyboard, screen readers and themes: every control has a name, the views are reachable
and usable from the keyboard, and the app follows the OS between light and dark."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
)

from gui import icons, theme
from gui.status import Tone
from tests.gui.conftest import wait_for_tone

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QDateEdit, QPlainTextEdit, QTabWidget)


def test_every_control_in_every_view_has_an_accessible_name(qtbot, start_agent, sink, make_tray):
    start_agent(sink.port)
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    nameless = []
    for widget in (w for kind in CONTROLS for w in tray.window.findChildren(kind)):
        if (
            widget.objectName().startswith("qt_")
            or type(widget).__name__ in ("QTabBar", "QHeaderView")
            or isinstance(widget.parent(), QLineEdit)
        ):
            continue  # Qt's own parts: a table's corner button, a line edit's clear button, tab bars
        if widget.window() is not tray.window:
            continue
        if not widget.accessibleName() and not (isinstance(widget, QAbstractButton) and widget.text()):
            nameless.append(f"{type(widget).__name__} {widget.objectName()} in {type(widget.parent()).__name__}")
    assert nameless == []


def test_views_are_reached_and_used_from_the_keyboard(qtbot, start_agent, sink, make_tray):
    start_agent(sink.port)
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    window = tray.window
    window.activateWindow()
    for number, view in enumerate((window.outbox, window.replies, window.keys, window.audit, window.settings), 1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        current = window.tabs.currentWidget()
        assert view is (current.widget() if isinstance(current, QScrollArea) else current)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.outbox, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.outbox.search
    order = []
    widget = window.outbox.search
    for _ in range(4):
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisible():
            widget = widget.nextInFocusChain()
        order.append(widget)
    assert order[:2] == [window.outbox.kind, window.outbox.table]
    for button in (window.outbox.retry_button, window.keys.import_button, window.audit.verify_button):
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_dark_theme_follows_the_os_and_redraws_icons_light(qtbot, qapp, make_tray, monkeypatch):
    tray = make_tray()
    light_icon = icons.pixmap("action-retry", 24).toImage()
    stop = theme.follow_os(qapp, lambda dark: tray.window.apply_icons())
    try:
        monkeypatch.setattr(theme, "is_dark", lambda app: True)
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what the OS sends on a switch
        assert theme.current_is_dark(qapp)
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 64
        dark_icon = icons.pixmap("action-retry", 24).toImage()
        ink = [
            dark_icon.pixelColor(x, y) for x in range(24) for y in range(24) if dark_icon.pixelColor(x, y).alpha() > 200
        ]
        assert ink and min(c.lightness() for c in ink) > 150  # light strokes on a dark window
        assert dark_icon != light_icon
    finally:
        stop()
