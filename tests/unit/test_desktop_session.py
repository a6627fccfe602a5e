"""`postseal tray` asks whether a desktop session is there the way Qt would pick one."""

from gui.desktop_session import missing


def test_a_wayland_or_x11_socket_that_exists_is_a_session(tmp_path):
    (tmp_path / "wayland-0").touch()
    assert missing({"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": str(tmp_path)}, "linux") == ""
    assert missing({"DISPLAY": "localhost:10.0"}, "linux") == ""  # SSH X forwarding: taken on trust


def test_names_without_a_server_behind_them_are_said(tmp_path):
    assert "no desktop session answers here" in missing(
        {"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": str(tmp_path), "DISPLAY": ":97"}, "linux"
    )
    assert "neither DISPLAY nor WAYLAND_DISPLAY" in missing({}, "linux")


def test_headless_qt_platforms_and_other_systems_need_no_display():
    assert missing({"QT_QPA_PLATFORM": "offscreen"}, "linux") == ""
    assert missing({}, "darwin") == "" and missing({}, "win32") == ""
