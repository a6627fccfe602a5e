"""Light and dark, following the operating system (Qt's colour scheme hint), live.

Fusion with an explicit palette, so both themes look the same on every platform and a
switch of the OS setting while the app runs repaints everything (icons included)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from gui import icons


def is_dark(app: QGuiApplication) -> bool:
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    # No hint from the platform: judge by the palette it gave us before we set ours.
    guess = app.property("postseal_os_dark")
    if guess is None:
        guess = app.palette().color(QPalette.ColorRole.Window).lightness() < 128
        app.setProperty("postseal_os_dark", guess)
    return bool(guess)


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1f2428",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#15191c",
        QPalette.ColorRole.AlternateBase: "#22282d",
        QPalette.ColorRole.ToolTipBase: "#2b3137",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8a9299",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2b3137",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Link: "#6cb4ff",
        QPalette.ColorRole.Highlight: "#2f6fb3",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Light: "#3a4148",
        QPalette.ColorRole.Midlight: "#30363c",
        QPalette.ColorRole.Mid: "#262b30",
        QPalette.ColorRole.Dark: "#101315",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7b838a"))
    return palette


def apply(app: QApplication, dark: bool | None = None) -> bool:
    """Set style and palette for `dark` (None: what the OS says). Returns whether dark."""
    if dark is None:
        dark = is_dark(app)
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setProperty("postseal_dark", dark)
    icons.forget()
    return dark


def follow_os(app: QApplication, changed: Callable[[bool], None] | None = None) -> Callable[[], None]:
    """Apply now and again whenever the OS switches between light and dark; returns the
    call that stops following."""

    def switch(*_: object) -> None:
        dark = apply(app)
        if changed:
            changed(dark)

    app.styleHints().colorSchemeChanged.connect(switch)
    apply(app)
    return lambda: app.styleHints().colorSchemeChanged.disconnect(switch)


def current_is_dark(app: QApplication | None = None) -> bool:
    app = app or QApplication.instance()
    return bool(app.property("postseal_dark")) if app else False
