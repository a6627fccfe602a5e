"""Start the agent when it is not running: `python -m agent.cli agent`, detached.

The tray never imports the agent: it runs it as its own process (as Proton Mail Bridge's
GUI starts the bridge), so the agent outlives the tray and a crash of one never takes the
other down. `plan()` only builds the command (testable without running anything);
`launch()` runs it and waits until the agent answers `/v1/health` in its discovery files."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.api.client import AgentClient, AgentUnreachable
from gui.errors import LaunchFailed


@dataclass(frozen=True)
class LaunchPlan:
    command: tuple[str, ...]
    env: dict[str, str]
    home: Path
    log_file: Path


def plan(home: Path, python: str | None = None) -> LaunchPlan:
    env = {**os.environ, "POSTSEAL_HOME": str(home)}
    return LaunchPlan((python or sys.executable, "-m", "agent.cli", "agent"), env, home, home / "agent.log")


def running(home: Path, timeout: float = 2.0) -> bool:
    """An agent answers at the address its discovery file gives."""
    try:
        AgentClient.discover(home, timeout).health()
    except (AgentUnreachable, OSError, ValueError):
        return False
    except Exception:  # noqa: BLE001 - any answer but a healthy one means "not usable"
        return False
    return True


def _last_words(log_file: Path, since: int) -> str:
    """The agent's own one-line reason (`postseal: …`) from what it wrote since we started it."""
    try:
        with log_file.open("rb") as handle:
            handle.seek(since)
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    said = [line.removeprefix("postseal: ") for line in lines if line.startswith("postseal: ")]
    return said[-1] if said else (lines[-1] if lines else "")


def launch(
    how: LaunchPlan,
    wait_seconds: float = 20.0,
    stop: threading.Event | None = None,
    started: Callable[[subprocess.Popen], None] | None = None,
) -> subprocess.Popen:
    """Start the agent and return once it is healthy; LaunchFailed says why it is not.
    `started` learns of the process at once, so it can be stopped even mid-wait."""
    how.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        since = how.log_file.stat().st_size
    except OSError:
        since = 0
    detach: dict = (
        {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
        if sys.platform == "win32"
        else {"start_new_session": True}
    )
    with how.log_file.open("ab") as log:
        try:
            process = subprocess.Popen(
                how.command, env=how.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True, **detach
            )
        except OSError as exc:
            raise LaunchFailed(
                f"the agent could not be started ({exc.strerror or exc}); "
                "reinstall Postseal or run `postseal agent` in a terminal"
            ) from None
    if started:
        started(process)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        if process.poll() is not None:
            reason = _last_words(how.log_file, since) or f"it exited with code {process.returncode}"
            raise LaunchFailed(
                f"the agent could not start: {reason.rstrip('.')}; "
                f"fix that, then choose “Start the agent” again (log: {how.log_file})"
            )
        if running(how.home, timeout=1.0):
            return process
        time.sleep(0.1)  # a worker thread, never the UI thread
    if stop and stop.is_set():
        raise LaunchFailed("the app quit before the agent answered; the agent goes on starting by itself")
    raise LaunchFailed(f"the agent did not answer within {wait_seconds:g} s; see {how.log_file}")
