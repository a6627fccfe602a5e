"""The built one-folder bundle (dist/postseal, `make bundle`) run as an installed program:
from a temporary folder, with an environment that has no virtualenv on PATH and no
PYTHONPATH, so nothing can come from the checkout or the venv."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import tomllib
from email.message import EmailMessage
from pathlib import Path

import pytest

from agent.demo_world import free_port
from agent.ingress import native_manifest
from tests.installers.native_frames import hello
from tests.unit.test_extract import SSN, pdf_with

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "dist" / "postseal"
PROGRAM = BUNDLE / "postseal"
SOURCES = ("agent", "gui", "assets", "addins/outlook/web", "installers/pyinstaller")


def stale_source() -> str:
    """A source newer than the bundle: its tests would judge old code."""
    built = PROGRAM.stat().st_mtime
    for top in SOURCES:
        for path in (REPO / top).rglob("*"):
            if path.is_file() and path.suffix != ".pyc" and path.stat().st_mtime > built:
                return str(path.relative_to(REPO))
    return ""


if not PROGRAM.exists():
    pytestmark = pytest.mark.skip(reason="no bundle in dist/postseal: run make bundle (make test builds it)")
elif changed := stale_source():
    pytestmark = pytest.mark.skip(reason=f"dist/postseal is older than {changed}: run make bundle")


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """What a login session gives a program: no venv, no PYTHONPATH, a HOME of its own."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path / "user"),
        "LANG": "C.UTF-8",
        "POSTSEAL_HOME": str(tmp_path / "user" / "postseal"),
        "POSTSEAL_KEYRING": "file",
        "POSTSEAL_MANAGED_POLICY": str(tmp_path / "no-managed-policy.json"),
    }
    (tmp_path / "user").mkdir()
    return env


def bundled(*args: str, env: dict, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PROGRAM), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_environment_holds_nothing_of_the_venv_or_the_checkout(clean_env):
    assert "PYTHONPATH" not in clean_env and "VIRTUAL_ENV" not in clean_env
    assert ".venv" not in clean_env["PATH"] and str(REPO) not in clean_env["PATH"]


def test_version_from_a_temporary_folder(clean_env, tmp_path):
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = bundled("--version", env=clean_env, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"postseal {declared}\n", "")


def test_the_demo_runs_end_to_end_from_the_bundle(clean_env, tmp_path):
    result = bundled("demo", env=clean_env, cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    last = result.stdout.strip().splitlines()[-1]
    passed, total = last.split(" checks passed")[0].split(" of ")
    assert passed == total and int(total) >= 8, last


def test_a_pdf_attachment_is_read_in_the_bundles_sandbox_worker(clean_env, tmp_path):
    # The parsers run in a child started as `sys.executable -m agent.policy.sandbox`: in the
    # bundle that is `postseal -m ...` (postseal_main.py). A failure there is a finding
    # "cannot be parsed", not the SSN.
    message = EmailMessage()
    message["From"], message["To"] = "dr.chen@valleyclinic.example", "records@statedisability.example"
    message["Subject"], message["Message-ID"] = "Form", "<bundle-pdf@valleyclinic.example>"
    message.set_content("The form is attached.")
    message.add_attachment(pdf_with(f"Patient SSN {SSN}"), maintype="application", subtype="pdf", filename="form.pdf")
    (tmp_path / "form.eml").write_bytes(bytes(message))
    result = bundled("policy", "check", "form.eml", "--json", env=clean_env, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    findings = json.loads(result.stdout)["verdict"]["findings"]
    assert [(f["type"], f["location"]) for f in findings] == [("us_ssn", "attachment:form.pdf")]


def test_managed_policy_is_checked_against_the_schema_the_bundle_carries(clean_env, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text('{"relay": {"port": 70000}}')
    result = bundled("init", "--check", env={**clean_env, "POSTSEAL_MANAGED_POLICY": str(policy)}, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"managed policy is invalid: {policy} relay.port: must be from 1 to 65535, not 70000" in result.stdout


def test_the_outlook_manifest_is_written_from_the_templates_the_bundle_carries(clean_env, tmp_path):
    result = bundled("outlook", "manifest", "--port", "9443", env=clean_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "https://localhost:9443/addin/" in result.stdout and "localhost:8743" not in result.stdout


def test_the_bundle_is_the_native_host_when_a_browser_starts_it(clean_env, tmp_path):
    origin = f"chrome-extension://{native_manifest.EXTENSION_ID}/"
    reply = hello([str(PROGRAM), origin], clean_env, cwd=str(tmp_path))
    assert reply["ok"] and reply["agent"] == "not running"


def _agent_pid(home: Path) -> int:
    try:
        return json.loads((home / "agent.json").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return 0


def test_the_tray_starts_the_agent_from_the_bundle(clean_env, tmp_path):
    home = Path(clean_env["POSTSEAL_HOME"])
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text(
        '[organization]\nname = "Valley Family Clinic"\ninternal_domains = ["valleyclinic.example"]\n'
        f'[portal]\nurl = "http://127.0.0.1:{free_port()}"\n[ingress]\nsmtp_port = 0\naddin_port = 0\n'
    )
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    tray = subprocess.Popen(
        [str(PROGRAM), "tray"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    pid = 0
    try:
        deadline = time.monotonic() + 60
        while not (pid := _agent_pid(home)):
            assert tray.poll() is None, tray.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, (
                (home / "agent.log").read_text() if (home / "agent.log").exists() else ""
            )
            time.sleep(0.2)
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert command[:4] == [str(PROGRAM).encode(), b"-m", b"agent.cli", b"agent"]
        api = json.loads((home / "agent.json").read_text())["api_url"]
        import urllib.request

        with urllib.request.urlopen(f"{api}/v1/health", timeout=10) as response:
            assert json.load(response)["ok"] is True
    finally:
        tray.send_signal(signal.SIGTERM)
        tray.wait(30)
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)


def test_a_bundle_with_files_missing_says_so_in_one_line(clean_env, tmp_path):
    copy = tmp_path / "postseal"
    subprocess.run(["cp", "-al", str(BUNDLE), str(copy)], check=True)  # hard links: quick, and the original stays whole
    # The CLI imports sqlite3 (the outbox), whose _sqlite3 is a file of its own with every
    # CPython build (_csv, for one, is built into Debian's interpreter, but not into pyenv's).
    modules = list((copy / "_internal").glob("python3.*/lib-dynload/_sqlite3.*"))
    assert modules
    for module in modules:
        module.unlink()
    for command in (["--version"], ["-m", "agent.cli", "agent"]):
        result = subprocess.run(
            [str(copy / "postseal"), *command],
            env=clean_env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr == (
            f"postseal: this installation is damaged (No module named '_sqlite3' under "
            f"{copy / '_internal'}); reinstall Postseal\n"
        )


def test_every_file_the_code_reads_at_run_time_is_in_the_bundle():
    internal = BUNDLE / "_internal"
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    wanted = [
        path.relative_to(REPO)
        for package, patterns in package_data.items()
        for pattern in patterns
        for path in (REPO / package).glob(pattern)
        if path.is_file()
    ]
    wanted += [
        path.relative_to(REPO)
        for top in ("assets/samples", "assets/icons", "addins/outlook/web")
        for path in (REPO / top).rglob("*")
        if path.is_file()
    ]
    wanted += [Path("addins/outlook/manifest.xml"), Path("addins/outlook/manifest.json")]
    assert len(wanted) > 40
    assert [str(path) for path in wanted if not (internal / path).is_file()] == []


def test_the_bundle_carries_only_the_qt_it_uses():
    qt = BUNDLE / "_internal" / "PySide6"
    bindings = sorted(p.name.split(".")[0] for p in qt.glob("Qt*.so"))
    assert bindings == ["QtCharts", "QtCore", "QtGui", "QtSvg", "QtWidgets"]
    libraries = {p.name for p in (qt / "Qt" / "lib").iterdir()}
    for unused in ("WebEngine", "Quick", "Qml", "3D", "Multimedia", "VirtualKeyboard", "Pdf"):
        assert not [name for name in libraries if unused in name], unused
    assert not (qt / "Qt" / "translations").exists()
    assert (qt / "Qt" / "plugins" / "platforms" / "libqxcb.so").exists()
    assert (qt / "Qt" / "plugins" / "platforms" / "libqwayland.so").exists()
