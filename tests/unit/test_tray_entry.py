"""The tray is a program of its own (gui/launch.py), which the agent package starts and never
imports: `postseal tray` of a pip install replaces itself with `python -m gui`
(agent/cli/programs.py), the bundle's `postseal tray` runs it directly (postseal_main.py).
Both check for a desktop session before Qt is imported and say what is missing in one line."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from agent.cli import build_parser
from agent.cli.programs import tray_command
from gui import launch

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "installers" / "pyinstaller" / "postseal_main.py"
NO_DESKTOP = "the tray app needs a desktop session: no desktop session here (neither DISPLAY nor WAYLAND_DISPLAY"


def headless(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return {**env, "POSTSEAL_HOME": str(home), "PYTHONPATH": str(ROOT)}


def tray_subparser() -> argparse.ArgumentParser:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices["tray"]


def test_postseal_tray_and_the_tray_program_take_the_same_options_with_the_same_help():
    assert launch.parser().format_help() == tray_subparser().format_help()
    assert "--no-start-agent" in launch.parser().format_help()


def test_postseal_tray_starts_the_tray_program_with_its_options(tmp_path):
    args = tray_subparser().parse_args(["--show", "--no-start-agent", "--home", str(tmp_path)])
    assert tray_command(args) == [sys.executable, "-m", "gui", "--home", str(tmp_path), "--show", "--no-start-agent"]
    assert tray_command(tray_subparser().parse_args([])) == [sys.executable, "-m", "gui"]


def test_without_a_desktop_the_tray_program_says_so_and_never_loads_qt(tmp_path):
    probe = "import sys; from gui.launch import main; code = main(['--show']); print(code, 'PySide6' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=headless(tmp_path), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout == "1 False\n", done.stderr
    assert done.stderr.startswith(f"postseal: {NO_DESKTOP}") and len(done.stderr.splitlines()) == 1


def test_the_bundle_entry_runs_the_tray_without_the_cli_or_qt(tmp_path):
    probe = (
        f"import runpy, sys; entry = runpy.run_path({str(MAIN)!r}, run_name='bundle_entry'); "
        "sys.argv = ['postseal', 'tray', '--no-start-agent']; code = entry['main'](); "
        "print(code, 'agent.cli' in sys.modules, 'PySide6' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=headless(tmp_path), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout == "1 False False\n", done.stderr
    assert done.stderr.startswith(f"postseal: {NO_DESKTOP}") and len(done.stderr.splitlines()) == 1


def test_a_wrong_option_is_refused_before_anything_starts(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "gui", "--bogus"],
        env=headless(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "unrecognized arguments: --bogus" in done.stderr
    assert not (tmp_path / "tray.lock").exists()
