"""The one place the app asks the user for a file: patched by tests, like any system boundary."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget


def open_file(parent: QWidget, caption: str, filters: str) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, caption, "", filters)
    return Path(name) if name else None


def save_file(parent: QWidget, caption: str, suggested: str, filters: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
    return Path(name) if name else None
