"""What the bundle relies on, checked without building it: `postseal --version`, `postseal`
started by a browser as the native host, and the bundle's `-m` door (postseal_main.py)."""

import os
import re
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

from agent.ingress import native_manifest
from tests.installers.native_frames import hello

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "installers" / "pyinstaller" / "postseal_main.py"
ORIGIN = f"chrome-extension://{native_manifest.EXTENSION_ID}/"


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env={**os.environ, "POSTSEAL_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_is_the_one_pyproject_declares(home):
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = run("-m", "agent.cli", "--version", home=home)
    assert (result.returncode, result.stdout) == (0, f"postseal {declared}\n")


def test_postseal_runs_as_the_native_host_when_a_browser_passes_its_origin(home):
    env = {**os.environ, "POSTSEAL_HOME": str(home)}
    reply = hello([sys.executable, "-m", "agent.cli", ORIGIN, "--parent-window=0"], env)
    assert reply["id"] == 1 and reply["ok"] and reply["agent"] == "not running"


def test_in_a_bundle_the_host_manifest_names_the_bundles_own_executable(monkeypatch, tmp_path):
    program = tmp_path / "postseal"
    program.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    assert native_manifest.host_executable() == program.resolve()
    assert native_manifest.host_manifest(native_manifest.host_executable())["path"] == str(program.resolve())


def test_the_bundle_entry_runs_the_modules_the_code_starts_with_dash_m(home):
    result = run(str(MAIN), "-m", "agent.cli", "--version", home=home)
    assert result.returncode == 0 and result.stdout.startswith("postseal ")
    sandbox = run(str(MAIN), "-m", "agent.policy.sandbox", home=home)  # reads requests until EOF
    assert sandbox.returncode == 0, sandbox.stderr


def test_the_bundle_entry_is_no_general_interpreter(home):
    result = run(str(MAIN), "-m", "http.server", home=home)
    assert result.returncode == 2
    assert result.stderr.startswith("postseal: -m http.server: this program runs only agent.cli, ")


def test_without_dash_m_the_bundle_entry_is_the_cli(home):
    result = run(str(MAIN), "--help", home=home)
    assert result.returncode == 0 and "native-host" in result.stdout and "tray" in result.stdout


def test_every_module_the_code_starts_with_dash_m_is_one_the_bundle_runs():
    started = {
        match
        for top in ("agent", "gui")
        for path in (REPO / top).rglob("*.py")
        for match in re.findall(r'"-m",\s*"([\w.]+)"', path.read_text(encoding="utf-8"))
    }
    assert {"agent.cli", "agent.policy.sandbox", "gui.tray"} <= started
    assert started <= runpy.run_path(str(MAIN), run_name="bundle_entry")["MODULES"]
