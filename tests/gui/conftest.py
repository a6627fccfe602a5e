"""GUI tests: one QApplication (pytest-qt), offscreen unless a screen is asked for, state
reset per test, every background thread stopped at teardown.

Real parts: the agent (tests/conftest.py `start_agent`, or `live_agent` below when a test
must stop, restart or lock it down with managed policy) and the SMTP sink. The fake agent
(fake_agent.py) is only for error states a real agent will not produce on demand."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from agent import config as config_mod  # noqa: E402
from agent.runtime import AgentThread, RunningAgent  # noqa: E402
from gui import icons, theme  # noqa: E402
from gui.status import Tone  # noqa: E402
from gui.tray import Tray, build  # noqa: E402
from tests.accounts.conftest import MemoryKeyring, account_agent, microsoft, os_keyring  # noqa: E402, F401 - fixtures
from tests.conftest import make_config  # noqa: E402
from tests.gui.fake_agent import FakeAgent  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_ui(qapp: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # start-at-login writes here
    # ... and reads the system's entries: not this machine's (the .deb puts one in /etc/xdg).
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg-system"))
    theme.apply(qapp, dark=False)
    yield
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QApplication.processEvents()
    icons.forget()


@pytest.fixture(autouse=True)
def _clinic_computer_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """A clinician's computer has an OS keyring (an in-memory stand-in here), so the agents of
    these tests keep their keys there and the tray can read "Protected"; a test of the state
    where keys are kept in files asks for it (POSTSEAL_KEYRING=file)."""
    monkeypatch.delenv("POSTSEAL_KEYRING")
    before = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(before)


@pytest.fixture
def make_tray(home: Path) -> Iterator[Callable[..., Tray]]:
    """Build and start the tray app on `home`; stopped (threads joined) after the test."""
    made: list[Tray] = []

    def make(autostart: bool = False, show: bool = True) -> Tray:
        tray = build(home, autostart=autostart)
        made.append(tray)
        tray.app.start()
        if show:
            tray.window.show()
        return tray

    yield make
    for tray in made:
        tray.close()
        process = tray.app.launched
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(20)


def wait_for_tone(qtbot, tray: Tray, tone: Tone, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: tray.app.status.tone == tone, timeout=timeout)


class LiveAgent:
    """A real agent on `home` that a test can stop and start again, optionally under
    managed policy (written where the agent reads it, as MDM would)."""

    def __init__(self, home: Path, ca, relay_port: int) -> None:
        self.home, self.ca, self.relay_port = home, ca, relay_port
        self.thread: AgentThread | None = None
        self.running: RunningAgent | None = None

    def start(self, managed: dict | None = None, **overrides: dict) -> RunningAgent:
        if managed is not None:
            Path(os.environ["POSTSEAL_MANAGED_POLICY"]).write_text(json.dumps(managed))
        (self.home / "config.toml").write_text(config_mod.to_toml(make_config(self.relay_port, self.ca, **overrides)))
        self.thread = AgentThread(self.home, config_mod.load(self.home))
        self.running = self.thread.start()
        return self.running

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None


@pytest.fixture
def live_agent(home: Path, ca, sink) -> Iterator[LiveAgent]:
    agent = LiveAgent(home, ca, sink.port)
    yield agent
    agent.stop()


@pytest.fixture
def fake_agent(home: Path) -> Iterator[FakeAgent]:
    with FakeAgent(home) as fake:
        yield fake
