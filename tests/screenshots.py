"""Where tests put the screenshots they take, and what every screenshot must pass.

A test run writes them into its own temporary folder, so `make test` leaves the working tree
as it found it (the Makefile checks `git status` before and after). The tracked pictures in
docs/screenshots/ — the README's and the guides' — are regenerated only on purpose:
`make screenshots` runs the tests marked `screenshots` with POSTSEAL_SCREENSHOTS set to that
folder (under Xvfb, so the tray is drawn by a real X server with the desktop's fonts).

Either way each picture is checked: it is a PNG of at least the size asked for, and not blank
(more than a handful of colours), so a view that stopped rendering fails the suite.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QImage  # reads PNG without a QApplication

ENV = "POSTSEAL_SCREENSHOTS"


def screenshot_folder(tmp_path: Path) -> Path:
    """$POSTSEAL_SCREENSHOTS (make screenshots), else a folder of this test's own."""
    chosen = os.environ.get(ENV)
    folder = Path(chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_screenshot(path: Path, min_width: int = 300, min_height: int = 150) -> Path:
    image = QImage(str(path))
    assert not image.isNull(), f"{path.name} is not a readable PNG"
    assert image.width() >= min_width and image.height() >= min_height, (
        f"{path.name} is {image.width()}x{image.height()}, smaller than {min_width}x{min_height}"
    )
    colors = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colors) > 8, f"{path.name} is blank ({len(colors)} colours)"
    return path
