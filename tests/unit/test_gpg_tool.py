"""Finding GnuPG: on PATH, in the folders its installers use, and one line when it is absent."""

import os
from pathlib import Path

import pytest

from agent.keys import gpg_tool


def tools(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)
    return folder


def test_the_first_folder_on_path_holding_all_three_tools_is_used(tmp_path):
    first = tools(tmp_path / "a", "gpg", "gpgconf", "gpg-agent")
    tools(tmp_path / "b", "gpg", "gpgconf", "gpg-agent")
    assert gpg_tool.locate(f"{first}{os.pathsep}{tmp_path / 'b'}", folders=[]) == first


def test_a_gpg_without_its_agent_is_passed_over_for_a_complete_install(tmp_path):
    tools(tmp_path / "partial", "gpg")
    complete = tools(tmp_path / "homebrew", "gpg", "gpgconf", "gpg-agent")
    assert gpg_tool.locate(str(tmp_path / "partial"), "darwin", folders=[complete]) == complete


def test_no_gpg_anywhere_is_one_line_saying_what_to_install(tmp_path):
    with pytest.raises(gpg_tool.GpgMissing) as caught:
        gpg_tool.locate(str(tmp_path), "linux", folders=[])
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("gpg not found on PATH: install GnuPG (Debian/Ubuntu: `apt install gnupg`")
    assert "does not start" in text and "stays there" in text


def test_on_macos_the_message_names_the_folders_searched_and_the_mac_installers(tmp_path):
    with pytest.raises(gpg_tool.GpgMissing) as caught:
        gpg_tool.locate(str(tmp_path), "darwin")
    text = str(caught.value)
    assert "/opt/homebrew/bin" in text and "/usr/local/MacGPG2/bin" in text
    assert "GPG Suite" in text and "brew install gnupg" in text


def test_a_gpg_without_gpg_agent_names_the_missing_tool_and_where_it_looked(tmp_path):
    partial = tools(tmp_path / "partial", "gpg", "gpgconf")
    with pytest.raises(gpg_tool.GpgMissing, match=r"^gpg-agent not found beside .*partial/gpg: install GnuPG"):
        gpg_tool.locate(str(partial), "linux", folders=[])


def test_windows_folders_come_from_program_files():
    folders = gpg_tool.known_folders(
        "win32", {"ProgramFiles(x86)": r"C:\Program Files (x86)", "ProgramFiles": r"C:\Program Files"}
    )
    assert Path(r"C:\Program Files (x86)\GnuPG\bin") in folders
    assert Path(r"C:\Program Files\Gpg4win\bin") in folders
    assert gpg_tool.known_folders("win32", {}) == []  # unexpanded variables are no folder


def test_require_puts_an_installers_folder_in_front_of_path(tmp_path, monkeypatch):
    brew = tools(tmp_path / "homebrew", "gpg", "gpgconf", "gpg-agent")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert gpg_tool.require(folders=[brew]) == brew
    assert os.environ["PATH"].split(os.pathsep) == [str(brew), str(tmp_path / "empty")]
    gpg_tool.require(folders=[brew])  # once is enough
    assert os.environ["PATH"].split(os.pathsep)[0] == str(brew)
    assert os.environ["PATH"].count(str(brew)) == 1


def test_a_data_folder_too_deep_for_gpgs_sockets_is_named_in_one_line(tmp_path):
    from agent.keys.gpg_tool import HomeTooDeep, check_socket_room

    deep = tmp_path / ("d" * 120) / "gnupg"
    no_run_dir = tmp_path / "no-run-user"
    with pytest.raises(
        HomeTooDeep, match=r"gpg cannot run in .*: its sockets' paths would be \d+ bytes, over the 10[37]"
    ):
        check_socket_room(deep, no_run_dir)
    check_socket_room(tmp_path / "gnupg", no_run_dir)  # a short one is fine
    check_socket_room(deep, tmp_path)  # gpg keeps its sockets in /run/user/UID when there is one
