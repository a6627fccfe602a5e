"""The Windows MSI (installers/windows/postseal.wxs), built by installers/windows/build-msi.sh
with Debian's wixl over a stand-in bundle, and read back with msitools: the tables Windows
Installer acts on, and the files it would put on disk."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest
from cryptography import x509

from agent.ingress import local_tls, native_manifest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "installers" / "windows" / "build-msi.sh"
TRUST_SCRIPT = ROOT / "installers" / "windows" / "trust-local-ca.ps1"
DEPLOY = ROOT / "docs" / "deploy.md"
UPGRADE_CODE = "{DE9F9E79-06CE-4E0E-BBF1-41CD2A72982F}"
HKLM = "2"  # Registry table Root: msidbRegistryRootLocalMachine
COMPONENT_64BIT = 256  # msidbComponentAttributes64bit
# Tiny files with the names a PyInstaller one-folder bundle has on Windows.
PAYLOAD = {
    "postseal.exe": b"MZ stand-in for the bundle's executable",
    "_internal/python311.dll": b"stand-in python",
    "_internal/base_library.zip": b"PK stand-in",
    "_internal/PySide6/Qt6Core.dll": b"stand-in Qt",
    "_internal/agent/portal/static/portal.js": b"// stand-in portal page",
}

pytestmark = pytest.mark.skipif(
    not (shutil.which("wixl") and shutil.which("msiinfo")), reason="wixl and msitools (apt) are installed by make test"
)


def build(bundle: Path, out: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BUILD), str(bundle), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHON": sys.executable, **env},
        check=False,
    )


def table(msi: Path, name: str) -> list[dict[str, str]]:
    """One table as `msiinfo export` writes it: column names, column types, table name, rows."""
    text = subprocess.run(["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True).stdout
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    columns = lines[0].split("\t")
    return [dict(zip(columns, line.split("\t"), strict=True)) for line in lines[3:] if line]


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle") / "postseal"
    for name, data in PAYLOAD.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def msi(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("msi") / "Postseal.msi"
    done = build(bundle, out)
    assert done.returncode == 0, done.stderr
    return out


def install_paths(msi: Path) -> dict[str, str]:
    """File key -> where Windows Installer puts it, resolved through the Directory table."""
    directories = {row["Directory"]: row for row in table(msi, "Directory")}

    def path(ident: str) -> str:
        row = directories[ident]
        name = row["DefaultDir"].split(":")[-1].split("|")[-1]
        parent = row["Directory_Parent"]
        if parent == "TARGETDIR":  # a system folder, which Windows Installer sets by its Id
            return ident
        above = path(parent)
        return above if name == "." else f"{above}/{name}".lstrip("/")

    components = {row["Component"]: row for row in table(msi, "Component")}
    return {
        row["File"]: f"{path(components[row['Component_']]['Directory_'])}/{row['FileName'].split('|')[-1]}"
        for row in table(msi, "File")
    }


def test_the_bundle_goes_to_program_files_with_the_host_manifest_beside_the_exe(msi: Path) -> None:
    where = install_paths(msi)
    expected = {f"ProgramFiles64Folder/Postseal/{name}" for name in PAYLOAD}
    expected.add("ProgramFiles64Folder/Postseal/org.postseal.agent.json")
    assert set(where.values()) == expected
    sizes = {where[row["File"]]: int(row["FileSize"]) for row in table(msi, "File")}
    for name, data in PAYLOAD.items():
        assert sizes[f"ProgramFiles64Folder/Postseal/{name}"] == len(data)


def test_the_packed_files_are_the_bundle_and_the_agents_own_host_manifest(
    msi: Path, bundle: Path, tmp_path: Path
) -> None:
    subprocess.run(["msiextract", "-C", str(tmp_path), str(msi)], capture_output=True, check=True)
    installed = tmp_path / "Postseal"
    for name, data in PAYLOAD.items():
        assert (installed / name).read_bytes() == data
    manifest = json.loads((installed / "org.postseal.agent.json").read_text())
    assert manifest == native_manifest.host_manifest(Path("postseal.exe"))
    assert manifest["name"] == native_manifest.HOST_NAME
    assert manifest["allowed_origins"] == [f"chrome-extension://{native_manifest.EXTENSION_ID}/"]


def test_chrome_and_edge_find_the_host_through_hklm(msi: Path) -> None:
    files = {row["FileName"]: row["File"] for row in table(msi, "File")}
    keys = {row["Key"]: row for row in table(msi, "Registry")}
    for key in (
        r"SOFTWARE\Google\Chrome\NativeMessagingHosts\org.postseal.agent",
        r"SOFTWARE\Microsoft\Edge\NativeMessagingHosts\org.postseal.agent",
    ):
        row = keys[key]
        assert (row["Root"], row["Name"]) == (HKLM, "")  # the key's default value
        assert row["Value"] == f"[#{files['org.postseal.agent.json']}]"  # its full path once installed


def test_the_tray_starts_at_login_for_every_user(msi: Path) -> None:
    exe = {row["FileName"]: row["File"] for row in table(msi, "File")}["postseal.exe"]
    runs = [row for row in table(msi, "Registry") if row["Key"] == r"SOFTWARE\Microsoft\Windows\CurrentVersion\Run"]
    assert [(row["Root"], row["Name"], row["Value"]) for row in runs] == [(HKLM, "Postseal", f'"[#{exe}]" tray')]
    (shortcut,) = table(msi, "Shortcut")
    assert (shortcut["Directory_"], shortcut["Name"], shortcut["Target"], shortcut["Arguments"]) == (
        "ProgramMenuFolder",
        "Postseal",
        f"[#{exe}]",
        "tray",
    )


def test_a_per_machine_x64_package_whose_upgrades_replace_it(msi: Path) -> None:
    props = {row["Property"]: row["Value"] for row in table(msi, "Property")}
    version = project_version()
    assert props["ALLUSERS"] == "1"
    assert props["ProductVersion"] == version
    assert props["UpgradeCode"] == UPGRADE_CODE
    derived = uuid.uuid5(uuid.UUID(UPGRADE_CODE), f"postseal-msi-{version}")
    assert props["ProductCode"] == "{" + str(derived).upper() + "}"
    suminfo = subprocess.run(["msiinfo", "suminfo", str(msi)], capture_output=True, text=True, check=True).stdout
    assert "Template: x64;1033" in suminfo
    # MajorUpgrade: older versions are found and removed, a newer one blocks the install.
    upgrades = {row["ActionProperty"]: row for row in table(msi, "Upgrade")}
    assert upgrades["WIX_UPGRADE_DETECTED"]["VersionMax"] == version
    assert upgrades["WIX_DOWNGRADE_DETECTED"]["VersionMin"] == version
    actions = {row["Action"] for row in table(msi, "InstallExecuteSequence")}
    assert {"FindRelatedProducts", "RemoveExistingProducts"} <= actions
    # Every component is 64-bit, so its registry values land in the 64-bit view Chrome reads.
    assert all(int(row["Attributes"]) & COMPONENT_64BIT for row in table(msi, "Component"))


def test_the_documented_codes_are_the_built_ones(msi: Path) -> None:
    props = {row["Property"]: row["Value"] for row in table(msi, "Property")}
    guide = DEPLOY.read_text()
    assert props["UpgradeCode"] in guide
    assert props["ProductCode"] in guide, (
        "docs/deploy.md gives the current release's ProductCode for the Intune detection rule "
        "and uninstall command: update it with the version"
    )


def test_another_version_gets_another_product_code_and_the_same_upgrade_code(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "next.msi"
    assert build(bundle, out, VERSION="1.4.2").returncode == 0
    props = {row["Property"]: row["Value"] for row in table(out, "Property")}
    assert props["ProductVersion"] == "1.4.2"
    assert props["UpgradeCode"] == UPGRADE_CODE
    assert props["ProductCode"] == "{" + str(uuid.uuid5(uuid.UUID(UPGRADE_CODE), "postseal-msi-1.4.2")).upper() + "}"


@pytest.mark.parametrize(
    ("remove", "named"), [("postseal.exe", "postseal.exe is missing"), ("_internal", "_internal is missing")]
)
def test_a_broken_bundle_is_named_in_one_line(bundle: Path, tmp_path: Path, remove: str, named: str) -> None:
    broken = tmp_path / "postseal"
    shutil.copytree(bundle, broken)
    target = broken / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    done = build(broken, tmp_path / "x.msi")
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and named in done.stderr and str(broken) in done.stderr
    assert not (tmp_path / "x.msi").exists()


def test_a_version_msi_cannot_hold_is_refused(bundle: Path, tmp_path: Path) -> None:
    done = build(bundle, tmp_path / "x.msi", VERSION="1.5.0rc1")
    assert done.returncode != 0
    assert done.stderr.strip() == "build-msi: version '1.5.0rc1' is not an MSI version (a.b.c, at most 255.255.65535)"


def test_postseal_exe_is_the_native_host_when_chrome_starts_it(tmp_path: Path) -> None:
    """The manifest names postseal.exe; Chrome runs it with the caller's origin first."""
    hello = json.dumps({"id": 1, "op": "hello"}).encode()
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", f"chrome-extension://{native_manifest.EXTENSION_ID}/", "--parent-window=0"],
        input=struct.pack("=I", len(hello)) + hello,
        capture_output=True,
        timeout=60,
        env={**os.environ, "POSTSEAL_HOME": str(tmp_path / "home")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (size,) = struct.unpack("=I", done.stdout[:4])
    answer = json.loads(done.stdout[4 : 4 + size])
    assert answer["id"] == 1 and answer["ok"] is True and answer["agent"] == "not running"


def test_the_trust_script_accepts_exactly_the_ca_the_agent_makes(tmp_path: Path) -> None:
    """trust-local-ca.ps1 trusts a user-writable file machine-wide only if its name constraints
    are byte for byte the agent's (localhost, 127.0.0.1, ::1): check that they are."""
    made = local_tls.ensure(tmp_path, "Valley Clinic")
    ca = x509.load_pem_x509_certificate(made.ca_file.read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    script = TRUST_SCRIPT.read_text()
    expected = re.search(r"\$PostsealConstraints = '([0-9A-F]+)'", script)
    assert expected, "the script names the constraints it accepts"
    assert constraints.critical
    assert expected.group(1) == constraints.value.public_bytes().hex().upper()
    # The folder it looks in is the agent's default data directory on Windows.
    assert r"AppData\Local\postseal\tls\local-ca.pem" in script


def test_the_intune_detection_script_is_the_trust_script_with_detect_on() -> None:
    trust = TRUST_SCRIPT.read_text().splitlines()
    detect = (TRUST_SCRIPT.parent / "detect-local-ca.ps1").read_text().splitlines()
    differ = [(a, b) for a, b in zip(trust, detect, strict=True) if a != b]
    assert differ == [("param([switch]$Detect, [switch]$Remove)", "param([switch]$Detect = $true, [switch]$Remove)")]
