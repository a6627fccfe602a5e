"""The platform layer (agent/platform): each OS's module behind one interface, tested here
on Linux — the macOS module against a managed-preferences folder in a temporary directory,
the Windows module against a stand-in registry (tests/fake_winreg.py)."""

from __future__ import annotations

import asyncio
import plistlib
import shutil
import subprocess

import pytest

from agent import config as config_mod
from agent import platform
from agent.ingress import native_manifest
from agent.platform import linux, macos
from agent.platform.windows import RUN_KEY, Windows
from tests.fake_registry import FakeRegistry

POLICY = {"relay": {"starttls": "required", "port": 587}, "organization": {"internal_domains": ["clinic.example"]}}


def test_each_os_name_gives_its_module():
    assert [type(platform.for_name(n)).__name__ for n in ("linux", "darwin", "macos", "win32", "windows")] == [
        "Linux",
        "MacOS",
        "MacOS",
        "Windows",
        "Windows",
    ]
    assert type(platform.current()).__name__ == "Linux"  # where the tests run


@pytest.fixture
def managed_preferences(tmp_path, monkeypatch):
    folder = tmp_path / "Managed Preferences"
    folder.mkdir()
    monkeypatch.setattr(macos, "MANAGED_PREFERENCES", folder)
    monkeypatch.delenv("POSTSEAL_MANAGED_POLICY")  # the OS's own place, as on a Mac
    monkeypatch.setenv("USER", "drchen")
    return folder


def test_a_mac_device_profile_is_honoured_and_locked(home, managed_preferences):
    (managed_preferences / "org.postseal.agent.plist").write_bytes(plistlib.dumps(POLICY, fmt=plistlib.FMT_BINARY))
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text('[relay]\nstarttls = "off"\nport = 25\n')  # the user's weaker settings
    cfg = config_mod.load(home, platform.for_name("macos"))
    assert (cfg.relay.starttls, cfg.relay.port) == ("required", 587)
    assert cfg.locked == {"relay.starttls", "relay.port", "organization.internal_domains"}


def test_a_mac_user_profile_is_read_when_there_is_no_device_one(managed_preferences):
    (managed_preferences / "drchen").mkdir()
    (managed_preferences / "drchen" / "org.postseal.agent.plist").write_bytes(plistlib.dumps(POLICY))
    found = platform.for_name("macos").managed_policy()
    assert found.data == POLICY and found.source.endswith("drchen/org.postseal.agent.plist")
    (managed_preferences / "org.postseal.agent.plist").write_bytes(plistlib.dumps({"relay": {"port": 2525}}))
    assert platform.for_name("macos").managed_policy().data == {"relay": {"port": 2525}}  # the device one wins


def test_a_broken_mac_profile_holds_mail_naming_the_file(home, managed_preferences):
    path = managed_preferences / "org.postseal.agent.plist"
    path.write_bytes(b"<?xml version='1.0'?><plist><dict><key>relay</key>")
    cfg = config_mod.load(home, platform.for_name("macos"))
    assert cfg.managed_error.startswith(f"{path}: managed policy cannot be read") and not cfg.locked


def test_linux_reads_etc_postseal_policy_json(home, tmp_path, monkeypatch):
    monkeypatch.delenv("POSTSEAL_MANAGED_POLICY")
    monkeypatch.setattr(linux, "POLICY_FILE", tmp_path / "policy.json")
    assert platform.for_name("linux").managed_policy() is None
    (tmp_path / "policy.json").write_text('{"relay": {"port": 587}}')
    assert config_mod.load(home, platform.for_name("linux")).locked == {"relay.port"}


def test_windows_start_at_login_is_the_run_key_of_this_user():
    registry = FakeRegistry().set_text(rf"HKCU\{RUN_KEY}", "Other", "x.exe")
    windows = Windows(registry)
    assert not windows.autostart_enabled("postseal-tray")
    windows.set_autostart("postseal-tray", [r"C:\Program Files\Postseal\postseal.exe", "tray"], True)
    assert registry.value(rf"HKCU\{RUN_KEY}", "postseal-tray") == (
        '"C:\\Program Files\\Postseal\\postseal.exe" tray',
        registry.REG_SZ,
    )
    assert windows.autostart_enabled("postseal-tray")
    windows.set_autostart("postseal-tray", [], False)
    windows.set_autostart("postseal-tray", [], False)  # already off: not an error
    assert not windows.autostart_enabled("postseal-tray") and registry.value(rf"HKCU\{RUN_KEY}", "Other")
    assert registry.open_handles == 0


def test_windows_native_host_registration_points_the_browser_key_at_the_manifest(tmp_path):
    registry = FakeRegistry()
    manifest = tmp_path / "org.postseal.agent.json"
    key = Windows(registry).register_native_host("edge", native_manifest.HOST_NAME, True, manifest)
    assert key == r"HKLM\Software\Microsoft\Edge\NativeMessagingHosts\org.postseal.agent"
    assert registry.value(key, "") == (str(manifest), registry.REG_SZ)
    assert registry.open_handles == 0


def test_mac_start_at_login_is_a_launch_agent(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    mac = platform.for_name("macos")
    mac.set_autostart("postseal-tray", ["/Applications/Postseal.app/Contents/MacOS/postseal", "tray"], True)
    path = tmp_path / "Library" / "LaunchAgents" / "org.postseal.tray.plist"
    assert plistlib.loads(path.read_bytes()) == {
        "Label": "org.postseal.tray",
        "RunAtLoad": True,
        "ProgramArguments": ["/Applications/Postseal.app/Contents/MacOS/postseal", "tray"],
    }
    assert mac.autostart_enabled("postseal-tray")
    mac.set_autostart("postseal-tray", [], False)
    assert not path.exists()


@pytest.mark.parametrize(
    ("name", "system", "expected"),
    [
        ("linux", True, "/etc/opt/chrome/native-messaging-hosts"),
        ("linux", False, "{home}/.config/google-chrome/NativeMessagingHosts"),
        ("macos", True, "/Library/Google/Chrome/NativeMessagingHosts"),
        ("macos", False, "{home}/Library/Application Support/Google/Chrome/NativeMessagingHosts"),
    ],
)
def test_native_host_folders_per_os(tmp_path, monkeypatch, name, system, expected):
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    folder = native_manifest.manifest_folder("chrome", system, name, home=tmp_path)
    assert str(folder) == expected.format(home=tmp_path)


def test_only_linux_gives_network_events_here():
    assert platform.for_name("macos").network_watch(lambda: None) is None
    changes = []

    async def listen() -> bool:
        watch = platform.for_name("linux").network_watch(lambda: changes.append(1))
        started = watch.start()
        watch.close()
        return started

    assert asyncio.run(listen()) is True  # an rtnetlink socket, subscribed


@pytest.mark.skipif(not shutil.which("certutil"), reason="needs certutil (libnss3-tools; make test installs it)")
def test_the_linux_ca_trust_steps_put_the_ca_where_browsers_look(tmp_path, monkeypatch, ca):
    monkeypatch.setenv("HOME", str(tmp_path))
    for step in platform.for_name("linux").ca_trust_steps(ca.ca_file):
        subprocess.run(step, shell=True, check=True, capture_output=True)
    listed = subprocess.run(["certutil", "-d", f"sql:{tmp_path}/.pki/nssdb", "-L"], capture_output=True, text=True)
    assert "Postseal local CA" in listed.stdout and "C,," in listed.stdout


def test_the_ca_trust_steps_name_the_file_on_every_os(tmp_path):
    ca_file = tmp_path / "local ca.pem"
    for name in ("linux", "macos", "windows"):
        steps = platform.for_name(name).ca_trust_steps(ca_file)
        assert steps and str(ca_file) in " ".join(steps).replace("'", "").replace('"', "")


def test_windows_group_policy_is_honoured_and_locked(home, monkeypatch):
    root = r"HKLM\SOFTWARE\Policies\Postseal"
    registry = (
        FakeRegistry()
        .set_dword(rf"{root}\relay", "port", 587)
        .set_text(rf"{root}\relay", "starttls", "required")
        .set_list(rf"{root}\organization\internal_domains", ["clinic.example", "lab.clinic.example"])
        .set_dword(r"HKCU\SOFTWARE\Policies\Postseal\relay", "port", 25)
    )  # HKLM outranks the user's
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text('[relay]\nstarttls = "off"\n')
    monkeypatch.delenv("POSTSEAL_MANAGED_POLICY")  # the OS's own place, as on Windows
    cfg = config_mod.load(home, Windows(registry))
    assert (cfg.relay.port, cfg.relay.starttls) == (587, "required")
    assert cfg.organization.internal_domains == ["clinic.example", "lab.clinic.example"]
    assert cfg.locked == {"relay.port", "relay.starttls", "organization.internal_domains"}
    assert not cfg.managed_error and registry.open_handles == 0


@pytest.mark.parametrize(
    ("value", "kind", "why"),
    [
        ("587", 1, "relay.port"),  # text where IT meant a number: refused, never guessed
        (b"\x00\x01", 3, "REG_BINARY"),
        (70000, 4, "65535"),
    ],
)
def test_a_bad_group_policy_value_holds_mail_naming_hive_and_key(home, monkeypatch, value, kind, why):
    monkeypatch.delenv("POSTSEAL_MANAGED_POLICY")
    registry = FakeRegistry().set(r"HKLM\SOFTWARE\Policies\Postseal\relay", "port", value, kind)
    cfg = config_mod.load(home, Windows(registry))
    assert cfg.managed_error.startswith("HKLM\\SOFTWARE\\Policies\\Postseal") and why in cfg.managed_error
    assert "\n" not in cfg.managed_error and not cfg.locked


def test_a_policy_file_out_of_the_schema_holds_mail_naming_file_and_key(home, tmp_path, monkeypatch):
    policy = tmp_path / "policy.json"
    policy.write_text('{"relay": {"port": 70000}, "outbox": {"concurrency": 4}}')
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
    cfg = config_mod.load(home)
    assert cfg.managed_error == f"{policy} relay.port: must be from 1 to 65535, not 70000" and not cfg.locked
