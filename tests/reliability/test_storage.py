"""Disk full and a read-only data directory: new mail is refused clearly, kept mail is kept.

The data directory lives on a small tmpfs mounted for the test (the suite runs as root in
CI, as `make test` does on a fresh machine); it is filled, and remounted read-only, for real.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from agent import config as config_mod
from agent.api.client import AgentClient, ApiError
from agent.demo_world import free_port
from agent.runtime import AgentThread
from tests.conftest import SAMPLES, make_config, run_cli


@pytest.fixture
def small_disk():
    # A short mount point of its own: under a parallel run's deeper tmp_path, the agent's
    # gpg sockets inside it would pass the 107 bytes a socket path may have.
    mount = Path(tempfile.mkdtemp(prefix="ps-disk-"))
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if result.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)
    shutil.rmtree(mount, ignore_errors=True)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, check=False)
    return filler


def sample(i: int) -> bytes:
    raw = (SAMPLES / "01-internal-note.eml").read_bytes()
    return raw.replace(b"internal-note@", f"internal-note-{i}@".encode())


def test_disk_full_refuses_new_mail_with_503_and_keeps_the_rest(small_disk, ca):
    home = small_disk / "home"
    with AgentThread(home, make_config(free_port(), ca)) as running:  # relay down: mail stays
        client = AgentClient(running.api_url, running.token)
        kept = [client.submit(sample(i)).id for i in range(3)]
        filler = fill(small_disk)

        with pytest.raises(ApiError) as refused:
            for i in range(3, 400):  # the WAL may still have room for a few
                client.submit(sample(i) + b"\n" + b"x" * 200_000)
        assert refused.value.status == 503 and refused.value.code == "storage_unavailable"
        assert "the disk is full" in str(refused.value) and str(home) in str(refused.value)

        result = run_cli("send", str(SAMPLES / "06-care-team-update.eml"), home=home)
        assert result.returncode == 1 and b"the disk is full" in result.stderr
        assert b"Traceback" not in result.stderr
        # Kept, where they were: none lost, none failed because the disk filled.
        assert {client.message(i)["state"] for i in kept} <= {"queued", "protecting", "sending", "deferred"}

        assert (home / "agent.json").exists() and client.health()["ok"]  # the agent stayed up
        filler.unlink()  # space again: mail is accepted again
        assert client.submit(sample(999)).state == "queued"


def test_an_agent_on_a_read_only_data_directory_refuses_to_start_and_touches_nothing(small_disk, ca):
    home = small_disk / "home"
    home.mkdir()
    (home / "config.toml").write_text(config_mod.to_toml(make_config(free_port(), ca)))
    with AgentThread(home, make_config(free_port(), ca)) as running:
        AgentClient(running.api_url, running.token).submit(sample(1))
    before = {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()}
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        result = run_cli("agent", home=home, timeout=30)
        assert result.returncode == 1
        assert b"is read-only" in result.stderr and b"Traceback" not in result.stderr
        assert run_cli("send", str(SAMPLES / "01-internal-note.eml"), home=home).returncode == 4
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()} == before


def test_an_outbox_that_turns_read_only_refuses_new_mail_and_still_serves(start_agent, home):
    running = start_agent(free_port())
    client = AgentClient(running.api_url, running.token)
    kept = client.submit(sample(1)).id
    client.wait(kept, timeout=10, final=("deferred",))
    # SQLite's own switch: writes now fail exactly as on a read-only file system — on both of
    # the outbox's connections (state moves, and acceptance: agent/outbox/acceptance.py).
    connections = (running.pipeline.outbox.db, running.pipeline.outbox.acceptance.db)
    for db in connections:
        db.execute("PRAGMA query_only=ON")
    with pytest.raises(ApiError) as refused:
        client.submit(sample(2))
    assert refused.value.status == 503 and "the data directory is read-only" in str(refused.value)
    assert client.message(kept)["state"] == "deferred"
    assert [m["id"] for m in client.outbox()] == [kept]
    for db in connections:
        db.execute("PRAGMA query_only=OFF")
    assert client.submit(sample(3)).state == "queued"
