"""The SVG icons in `assets/icons/`, drawn in the current theme's text colour.

Monochrome icons are drawn with `currentColor`, which is replaced by the palette's text
colour before rendering, so they stay visible in dark themes. Coloured ones (tray and
state icons) carry their own colours and a glyph, so none relies on colour alone."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

log = logging.getLogger(__name__)

ICON_DIR = Path(__file__).resolve().parent.parent / "assets" / "icons"
_SIZES = (16, 20, 24, 32, 48, 64)
_cache: dict[tuple[str, str, int], QIcon] = {}


def _text_color() -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText)


def _renderer(name: str, color: QColor) -> QSvgRenderer | None:
    path = ICON_DIR / f"{name}.svg"
    try:
        data = path.read_bytes().replace(b"currentColor", color.name().encode())
    except OSError:
        log.warning("icon %s missing in %s", name, ICON_DIR)
        return None
    renderer = QSvgRenderer(QByteArray(data))
    return renderer if renderer.isValid() else None


def pixmap(name: str, size: int, color: QColor | None = None, badge: int = 0) -> QPixmap:
    image = QPixmap(size, size)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer = _renderer(name, color or _text_color())
    if renderer is not None:
        renderer.render(painter, QRectF(0, 0, size, size))
    else:  # a missing file must not cost the user the app: a plain dot stands in
        painter.setBrush(color or _text_color())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QRectF(size * 0.2, size * 0.2, size * 0.6, size * 0.6))
    if badge:
        _draw_badge(painter, size, badge)
    painter.end()
    return image


def _draw_badge(painter: QPainter, size: int, count: int) -> None:
    text = str(count) if count < 100 else "99+"
    diameter = size * (0.5 if len(text) == 1 else 0.62)
    rect = QRectF(size - diameter, size - diameter, diameter, diameter)
    painter.setBrush(QColor("#ffffff"))
    painter.setPen(QColor("#263238"))
    painter.drawEllipse(rect.adjusted(0.5, 0.5, -0.5, -0.5))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, int(diameter * (0.72 if len(text) == 1 else 0.5))))
    painter.setFont(font)
    painter.setPen(QColor("#263238"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def icon(name: str, color: QColor | None = None, badge: int = 0) -> QIcon:
    color = color or _text_color()
    key = (name, color.name(), badge)
    cached = _cache.get(key)
    if cached is None:
        cached = QIcon()
        for size in _SIZES:
            cached.addPixmap(pixmap(name, size, color, badge))
        _cache[key] = cached
    return cached


def forget() -> None:
    """The theme changed: draw every icon again in the new text colour."""
    _cache.clear()
