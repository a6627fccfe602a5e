"""`postseal tray` as a user starts it: `gui.tray.main` in its own process, one per data
directory, and the command that start-at-login and the launcher build."""

import os
import subprocess
import sys
import time

from gui import agent_launcher, autostart


def test_a_second_tray_for_the_same_data_directory_says_one_is_running(home):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "POSTSEAL_HOME": str(home)}
    first = subprocess.Popen(
        [sys.executable, "-m", "gui.tray", "--no-start-agent"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not (home / "tray.lock").exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # a child process, not the Qt loop of this test
        assert first.poll() is None, first.stderr.read().decode()
        second = subprocess.run(
            [sys.executable, "-m", "gui.tray", "--no-start-agent"],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert second.stderr.decode().strip() == f"postseal: the tray app is already running for {home}"
    finally:
        first.terminate()
        first.wait(20)


def test_the_agent_is_started_as_its_own_program_never_imported(home):
    how = agent_launcher.plan(home, python="/opt/python3")
    assert how.command == ("/opt/python3", "-m", "agent.cli", "agent")
    assert how.env["POSTSEAL_HOME"] == str(home) and how.log_file == home / "agent.log"
    assert autostart.command()[-1] in ("tray", "gui.tray")
