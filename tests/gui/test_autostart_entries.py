"""Start at login on Linux beside an installer's entry for every user (/etc/xdg/autostart,
agent/platform/linux.py)."""

import sys

import pytest

from gui import autostart

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is Linux's")

SYSTEM_ENTRY = "[Desktop Entry]\nType=Application\nName=Postseal\nExec=/opt/postseal/postseal tray\n"


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{tmp_path / 'vendor'}:{tmp_path / 'system'}")
    return tmp_path


def test_without_an_installer_entry_off_removes_the_users_entry(xdg):
    autostart.set_enabled(True)
    assert autostart.enabled() and "Exec=" in (xdg / "user" / "autostart" / "postseal-tray.desktop").read_text()
    autostart.set_enabled(False)
    assert not autostart.enabled() and not (xdg / "user" / "autostart" / "postseal-tray.desktop").exists()


def test_an_installer_entry_counts_as_on_and_off_hides_it_for_this_user_only(xdg):
    system = xdg / "system" / "autostart" / "postseal-tray.desktop"
    system.parent.mkdir(parents=True)
    system.write_text(SYSTEM_ENTRY)
    assert autostart.enabled()
    autostart.set_enabled(False)
    assert not autostart.enabled()
    assert "Hidden=true" in (xdg / "user" / "autostart" / "postseal-tray.desktop").read_text()
    assert system.read_text() == SYSTEM_ENTRY  # other users keep it
    autostart.set_enabled(True)
    assert autostart.enabled()
    assert "Hidden" not in (xdg / "user" / "autostart" / "postseal-tray.desktop").read_text()
