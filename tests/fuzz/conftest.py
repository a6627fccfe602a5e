"""Fixtures the fuzzers share; the agent itself is started per module (world.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.fuzz.world import LogTap


@pytest.fixture(scope="module")
def log_tap() -> Iterator[LogTap]:
    tap = LogTap()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(tap)
    root.setLevel(logging.DEBUG)
    yield tap
    root.removeHandler(tap)
    root.setLevel(old_level)
