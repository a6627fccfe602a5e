"""The macOS package's parts (installers/macos): the LaunchAgents read with plistlib and their
commands run with a stand-in app, the install scripts run against stand-in launchctl and ps,
the uninstaller against a stand-in root. pkgbuild and productbuild exist only on macOS; the
release workflow runs build-pkg.sh there."""

from __future__ import annotations

import os
import plistlib
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MACOS = ROOT / "installers" / "macos"
BUILD = MACOS / "build-pkg.sh"
LABELS = ("org.postseal.agent", "org.postseal.tray")
SH = shutil.which("sh") or "/bin/sh"


def plist(label: str) -> dict:
    with (MACOS / f"{label}.plist").open("rb") as handle:
        return plistlib.load(handle)


def installed_executable() -> str:
    """Where build-pkg.sh puts the app's executable."""
    found = re.search(r"^executable=(\S+)", BUILD.read_text(), re.M)
    assert found, "build-pkg.sh names the installed executable"
    return found.group(1)


def stand_ins(folder: Path, logged_in: tuple[int, ...]) -> dict[str, str]:
    """launchctl, pkgutil and id that record their arguments; ps that lists loginwindow for
    the given users (and other processes, root's loginwindow among them)."""
    folder.mkdir(parents=True, exist_ok=True)
    calls = folder / "calls"
    for name in ("launchctl", "pkgutil"):
        tool = folder / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\n')
        tool.chmod(0o755)
    rows = ["    0 /System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow", "  501 /usr/sbin/cfprefsd"]
    rows += [f"  {uid} /System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow" for uid in logged_in]
    (folder / "ps").write_text("#!/bin/sh\ncat <<'EOF'\n" + "\n".join(rows) + "\nEOF\n")
    (folder / "id").write_text("#!/bin/sh\necho 0\n")
    for name in ("ps", "id"):
        (folder / name).chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}


def calls(folder: Path) -> list[str]:
    path = folder / "calls"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("label", LABELS)
def test_each_launch_agent_is_a_valid_plist_named_for_its_label(label: str) -> None:
    job = plist(label)
    assert job["Label"] == label
    assert job["RunAtLoad"] is True
    assert job["LimitLoadToSessionType"] == "Aqua"  # desktop logins only, not ssh sessions
    assert job["ProgramArguments"][:2] == ["/bin/sh", "-c"]


def test_launchd_keeps_the_agent_running_and_lets_a_user_quit_the_tray() -> None:
    assert plist("org.postseal.agent")["KeepAlive"] is True
    assert "KeepAlive" not in plist("org.postseal.tray")


@pytest.mark.parametrize(
    ("label", "arguments", "log"),
    [
        ("org.postseal.agent", ["agent"], "agent.log"),
        # launchd runs the agent: the tray must not start a second one.
        ("org.postseal.tray", ["tray", "--no-start-agent"], "tray.log"),
    ],
)
def test_each_launch_agent_starts_the_installed_app_and_logs_in_the_users_library(
    label: str, arguments: list[str], log: str, tmp_path: Path
) -> None:
    command = plist(label)["ProgramArguments"][2]
    executable = installed_executable()
    assert executable.startswith("/Applications/Postseal.app/")
    assert shlex.split(command.split("exec ", 1)[1])[0] == executable
    # Run it as launchd would, with a stand-in at the app's place.
    stand_in = tmp_path / "postseal"
    stand_in.write_text('#!/bin/sh\necho "started with: $*"\necho "a warning" >&2\n')
    stand_in.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [SH, "-c", command.replace(executable, str(stand_in))],
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (home / "Library" / "Logs" / "Postseal" / log).read_text() == (
        f"started with: {' '.join(arguments)}\na warning\n"
    )


def test_the_package_installs_both_launch_agents_and_names_them_in_its_scripts() -> None:
    build = BUILD.read_text()
    for label in LABELS:
        assert f"$here/{label}.plist" in build
    for script in (MACOS / "scripts" / "preinstall", MACOS / "scripts" / "postinstall", MACOS / "uninstall.sh"):
        assert set(re.findall(r"org\.postseal\.(?:agent|tray)\b", script.read_text())) == set(LABELS), script
        assert os.access(script, os.X_OK), f"{script} must be executable (pkgbuild keeps the mode)"


def test_postinstall_starts_agent_and_tray_for_every_logged_in_user(tmp_path: Path) -> None:
    env = stand_ins(tmp_path / "bin", logged_in=(501, 502))
    done = subprocess.run(
        [SH, str(MACOS / "scripts" / "postinstall"), "pkg", "/", "/", "/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert calls(tmp_path / "bin") == [
        f"launchctl bootstrap gui/{uid} /Library/LaunchAgents/{label}.plist" for uid in (501, 502) for label in LABELS
    ]


def test_postinstall_never_fails_the_installation_when_a_user_cannot_be_reached(tmp_path: Path) -> None:
    env = stand_ins(tmp_path / "bin", logged_in=(501,))
    (tmp_path / "bin" / "launchctl").write_text("#!/bin/sh\nexit 5\n")
    done = subprocess.run(
        [SH, str(MACOS / "scripts" / "postinstall"), "pkg", "/", "/", "/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
    assert "org.postseal.agent did not start for user 501 now; it starts at their next login" in done.stdout


def test_preinstall_stops_tray_and_agent_before_files_are_replaced(tmp_path: Path) -> None:
    env = stand_ins(tmp_path / "bin", logged_in=(501,))
    done = subprocess.run(
        [SH, str(MACOS / "scripts" / "preinstall"), "pkg", "/", "/", "/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert calls(tmp_path / "bin") == [
        "launchctl bootout gui/501/org.postseal.tray",
        "launchctl bootout gui/501/org.postseal.agent",
    ]


def test_install_scripts_leave_another_volume_alone(tmp_path: Path) -> None:
    env = stand_ins(tmp_path / "bin", logged_in=(501,))
    for name in ("preinstall", "postinstall"):
        done = subprocess.run(
            [SH, str(MACOS / "scripts" / name), "pkg", "/Volumes/Other", "/Volumes/Other", "/"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0
    assert calls(tmp_path / "bin") == []


def test_uninstall_removes_the_program_and_keeps_the_users_data(tmp_path: Path) -> None:
    root = tmp_path / "root"
    installed = [
        "Applications/Postseal.app/Contents/MacOS/postseal",
        "Library/LaunchAgents/org.postseal.agent.plist",
        "Library/LaunchAgents/org.postseal.tray.plist",
        "Library/Google/Chrome/NativeMessagingHosts/org.postseal.agent.json",
        "Library/Microsoft/Edge/NativeMessagingHosts/org.postseal.agent.json",
        "Library/Application Support/Chromium/NativeMessagingHosts/org.postseal.agent.json",
        "Library/Application Support/Postseal/uninstall.sh",
    ]
    kept = [
        "Users/dr.chen/Library/Application Support/postseal/outbox/queued.bin",
        "Library/LaunchAgents/com.example.other.plist",
        "Library/Google/Chrome/NativeMessagingHosts/com.example.other.json",
    ]
    for name in installed + kept:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    env = stand_ins(tmp_path / "bin", logged_in=(501,))
    done = subprocess.run(
        [SH, str(MACOS / "uninstall.sh"), str(root)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert [name for name in installed if (root / name).exists()] == []
    assert not (root / "Applications" / "Postseal.app").exists()
    assert all((root / name).exists() for name in kept)
    assert calls(tmp_path / "bin") == [f"pkgutil --volume {root} --forget org.postseal.pkg"]
    assert "kept" in done.stdout


def test_uninstall_asks_for_root_in_one_line(tmp_path: Path) -> None:
    env = stand_ins(tmp_path / "bin", logged_in=())
    (tmp_path / "bin" / "id").write_text("#!/bin/sh\necho 501\n")
    done = subprocess.run(
        [SH, str(MACOS / "uninstall.sh"), str(tmp_path / "root")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("uninstall: run it as root") and done.stderr.count("\n") == 1


def test_the_distribution_names_the_component_package_build_pkg_makes() -> None:
    build = BUILD.read_text()
    identifier = re.search(r"--identifier (\S+)", build).group(1)
    text = (MACOS / "distribution.xml").read_text().replace("@VERSION@", "1.2.3").replace("@ARCHS@", "arm64")
    script = ET.fromstring(text)
    assert script.find("options").get("hostArchitectures") == "arm64"
    refs = script.findall("pkg-ref")
    assert {ref.get("id") for ref in refs} == {identifier}
    assert [ref.text for ref in refs if ref.text] == ["postseal.pkg"]
    assert '"$work/postseal.pkg"' in build  # the file the pkg-ref names
    assert {ref.get("id") for ref in script.iter("pkg-ref")} == {identifier}  # the choice's too
    assert identifier in (MACOS / "uninstall.sh").read_text()  # its receipt is forgotten on removal


def test_build_pkg_says_in_one_line_that_it_needs_macos(tmp_path: Path) -> None:
    if shutil.which("pkgbuild"):
        pytest.skip("pkgbuild is here: this is a Mac")
    done = subprocess.run(
        [SH, str(BUILD), str(tmp_path / "Postseal.app"), "1.2.3", str(tmp_path / "x.pkg")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "build-pkg: pkgbuild not found: build the package on macOS (Xcode command line tools)\n"
