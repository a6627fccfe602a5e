"""The data directory is private: a folder the user owns with loose modes is tightened at
start and the log says so; one owned by someone else, or that cannot be tightened, stops
the agent with a one-line reason."""

from __future__ import annotations

import base64
import logging
import os
import stat
import sys

import pytest

from agent import data_dir
from agent.runtime import AgentThread, StartError
from tests.conftest import make_config, run_cli

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
@pytest.mark.parametrize("loose", [0o755, 0o777, 0o750])
def test_a_loose_data_directory_is_tightened_and_the_log_says_so(home, ca, sink, caplog, loose):
    (home / "secrets").mkdir()
    (home / "secrets" / "outbox-key").write_bytes(base64.b64encode(os.urandom(32)))  # as a backup restores it
    os.chmod(home / "secrets", 0o750)
    os.chmod(home / "secrets" / "outbox-key", 0o644)
    os.chmod(home, loose)
    caplog.set_level(logging.INFO)
    with AgentThread(home, make_config(sink.port, ca)):
        assert (mode(home), mode(home / "secrets"), mode(home / "secrets" / "outbox-key")) == (0o700, 0o700, 0o600)
    lines = [r.getMessage() for r in caplog.records if r.name == "agent.data_dir"]
    assert f"data directory {home} was mode {loose:04o} (open to other users); now 0700" in lines
    assert any(line.startswith("secrets folder") and "was mode 0750" in line for line in lines)
    assert any(line.startswith("secret file") and "was mode 0644" in line for line in lines)


@posix_only
@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give a folder to another user")
def test_a_data_directory_owned_by_someone_else_stops_the_agent(home, ca, sink):
    os.chown(home, 65534, 65534)  # nobody
    with pytest.raises(StartError, match=r"belongs to user id 65534, not to you"):
        AgentThread(home, make_config(sink.port, ca)).start()
    assert not (home / "agent.json").exists() and not (home / "outbox.sqlite3").exists()
    result = run_cli("agent", home=home, timeout=60)  # as an admin would see it
    assert result.returncode == 1 and b"belongs to user id 65534" in result.stderr
    assert b"Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@posix_only
def test_a_data_directory_that_cannot_be_tightened_stops_the_agent(home, monkeypatch):
    os.chmod(home, 0o755)

    def refuse(path, mode):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(data_dir.os, "chmod", refuse)
    with pytest.raises(
        data_dir.UnsafeDataDir, match=r"is mode 0755 \(open to other users\) and cannot be made private"
    ):
        data_dir.secure(home)


def test_a_private_data_directory_is_left_alone(home, caplog):
    caplog.set_level(logging.INFO)
    data_dir.secure(home)
    assert not [r for r in caplog.records if r.name == "agent.data_dir"]
    assert sys.platform == "win32" or mode(home) == 0o700
