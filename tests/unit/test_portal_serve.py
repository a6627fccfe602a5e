"""`portal serve`'s assembly (agent/portal/serve.py): the sweeper runs inside the served app
and logs counts only; the older flags override portal.toml; the systemd unit verifies."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent.portal import serve
from agent.portal.settings import FilesBlobs, MailSettings, PortalSettings
from agent.portal.store import SqlitePortalStore

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "installers" / "portal" / "postseal-portal@.service"
EXPIRED, ALIVE = "expired-message-000000001", "current-message-000000001"


def test_the_sweeper_runs_in_the_served_app(tmp_path: Path, json_log) -> None:
    out = json_log
    home = tmp_path / "home"
    store = SqlitePortalStore(home / "portal")
    store.put(EXPIRED, b"\x02" * 64, "dr@clinic.example", "maria@mailbox.example", time.time() - 10)
    store.put(ALIVE, b"\x03" * 64, "dr@clinic.example", "maria@mailbox.example", time.time() + 3600)
    store.close()
    settings = PortalSettings(
        sweep_grace_seconds=5, sweep_interval_seconds=3600, mail=MailSettings(port=2525, starttls="off")
    )

    async def go() -> None:
        async with TestClient(TestServer(serve.build(settings, home), host="127.0.0.1")) as client:
            assert (await client.get("/readyz")).status == 200
            deadline = time.monotonic() + 10
            # The sweep's log line comes after its deletions: wait for it, not for the file.
            while "sweep: ciphertext" not in out.getvalue():
                assert time.monotonic() < deadline, "the sweeper did not delete the expired ciphertext"
                await asyncio.sleep(0.05)

    asyncio.run(go())
    assert not (home / "portal" / "blobs" / EXPIRED).exists()
    assert (home / "portal" / "blobs" / ALIVE).exists()
    assert not (home / "portal-token").exists()  # agents enrol: no shared token is made
    assert '"sweep: ciphertext of 1 expired messages deleted, 0 left for the next sweep"' in out.getvalue()
    assert EXPIRED not in out.getvalue() and "maria@" not in out.getvalue()


def test_flags_override_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTSEAL_PORTAL_DATABASE", raising=False)
    base = PortalSettings(host="0.0.0.0", port=9000, database="postgresql://p@db/portal")
    settings = serve.from_flags(base, None, 8026, None, "/srv/blobs")
    assert (settings.host, settings.port, settings.database) == ("0.0.0.0", 8026, "postgresql://p@db/portal")
    assert settings.blobs == FilesBlobs(Path("/srv/blobs"))
    monkeypatch.setenv("POSTSEAL_PORTAL_DATABASE", "postgresql://p@elsewhere/portal")
    assert serve.from_flags(PortalSettings(), None, None, None, None).database == "postgresql://p@elsewhere/portal"
    # The flag works as it did before portal.toml (a password in it included).
    assert serve.from_flags(base, None, None, "postgresql://p:s@db/x", None).database == "postgresql://p:s@db/x"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze (package systemd) is not installed")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at a stand-in.
    program = tmp_path / "postseal"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    text = UNIT.read_text()
    assert "ExecStart=/opt/postseal/bin/postseal portal serve --config /etc/postseal/portal.toml --port %i" in text
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "User=postseal-portal"):
        assert hardening in text
    env = {**os.environ, "SYSTEMD_LOG_TARGET": "console"}

    def verify(text: str, folder: str) -> subprocess.CompletedProcess:
        unit = tmp_path / folder / "postseal-portal@8025.service"
        unit.parent.mkdir()
        unit.write_text(text.replace("/opt/postseal/bin/postseal", str(program)))
        return subprocess.run(
            ["systemd-analyze", "verify", str(unit)], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    result = verify(text, "good")
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr
    assert "two" in verify(text.replace("RestartSec=2s", "RestartSec=two"), "bad").stderr  # it does speak up
