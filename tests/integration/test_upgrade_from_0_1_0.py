"""Upgrades lose nothing (issue 15, item 5): a data directory written by release 0.1.0
(tests/fixtures/release-0.1.0, made by that release's own code with the relay down) opens with
this code, and every message in it still goes out; data of a newer release is refused untouched."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent import config as config_mod
from agent import secret_store
from agent.api.client import AgentClient
from agent.audit import AuditLog
from agent.outbox import Outbox
from agent.portal.store import SqlitePortalStore
from agent.runtime import AgentThread
from tests.conftest import gpg_decrypt, make_config, run_cli

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "release-0.1.0"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())["messages"]
SENDER = "dr.chen@valleyclinic.example"
# The fixture's messages are old, not undeliverable: give up only after the longest the agent allows (ten years)
DECADES = {"give_up_after_hours": 24 * 365 * 10.0}


@dataclass(frozen=True)
class Partner:
    home: Path  # what tests.conftest.gpg_decrypt needs: a gpg home holding the recipient's secret key


@pytest.fixture
def old_home(home: Path) -> Path:
    """A copy of release 0.1.0's data directory (the fixture itself is never changed)."""
    shutil.copytree(FIXTURE / "data", home, dirs_exist_ok=True)
    return home


@pytest.fixture
def partner_0_1_0(tmp_path: Path):
    folder = tmp_path / "partner-gnupg"
    folder.mkdir(mode=0o700)
    subprocess.run(
        ["gpg", "--homedir", str(folder), "--batch", "--import", str(FIXTURE / "partner-secret-key.asc")],
        capture_output=True,
        check=True,
    )
    yield Partner(folder)
    subprocess.run(["gpgconf", "--homedir", str(folder), "--kill", "all"], capture_output=True, check=False)


def files(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}


def arrived(sink, entry: dict, address: str):
    copies = [r for r in sink.to(address) if r.message["Message-ID"] == entry["message_id"]]
    assert len(copies) == 1, f"{entry['name']} to {address}: {len(copies)} copies arrived"
    return copies[0]


def readable(received, entry: dict, address: str, partner: Partner) -> str:
    """The text the recipient reads: PGP/MIME decrypted with plain gpg, everything else as sent."""
    if entry["methods"][address] == "pgp":
        return gpg_decrypt(partner, received.data)
    return received.message.get_body(("plain",)).get_content()


def test_release_0_1_0_data_opens_and_every_message_goes_out(old_home, sink, ca, partner_0_1_0):
    partner = partner_0_1_0
    kept = config_mod.load(old_home)  # 0.1.0's config.toml is still read as written
    assert kept.organization.internal_domains == ["valleyclinic.example"]
    config = make_config(sink.port, ca, outbox=DECADES)
    (old_home / "config.toml").write_text(config_mod.to_toml(config))
    thread = AgentThread(old_home, config)
    running = thread.start()
    try:
        client = AgentClient(running.api_url, running.token, timeout=30)
        listed = {m["id"]: m for m in client.outbox()}
        assert set(listed) == {e["id"] for e in EXPECTED}  # nothing lost

        queued = [e for e in EXPECTED if e["state"] == "deferred"]
        for entry in queued:  # waiting for the relay since 0.1.0: sent at start, from the copies it made
            assert client.wait(entry["id"])["state"] == "delivered", entry["name"]
            for address in entry["recipients"]:
                text = readable(arrived(sink, entry, address), entry, address, partner)
                assert entry["marker"] in text

        held = [e for e in EXPECTED if e["state"] == "held"]
        assert held
        for entry in held:  # still held, for the reason 0.1.0 gave, until a person releases it
            assert (listed[entry["id"]]["state"], listed[entry["id"]]["reason"]) == ("held", entry["reason"])
            assert client.release(entry["id"], "reviewed after the upgrade") == 1
            assert client.wait(entry["id"])["state"] == "delivered", entry["name"]
            for address in entry["recipients"]:
                text = readable(arrived(sink, entry, address), entry, address, partner)
                assert entry["marker"] in text

        # The sender's own key, made by 0.1.0 without a passphrase, still signs (now protected).
        sender_key = subprocess.run(
            ["gpg", "--homedir", str(old_home / "gnupg"), "--export", SENDER], capture_output=True, check=True
        ).stdout
        subprocess.run(
            ["gpg", "--homedir", str(partner.home), "--batch", "--import"],
            input=sender_key,
            capture_output=True,
            check=True,
        )
        ssn = next(e for e in held if e["methods"][e["recipients"][0]] == "pgp")
        signed = subprocess.run(
            ["gpg", "--homedir", str(partner.home), "--batch", "--status-fd", "1", "--decrypt"],
            input=arrived(sink, ssn, ssn["recipients"][0]).data,
            capture_output=True,
        )
        assert b"[GNUPG:] GOODSIG" in signed.stdout
        assert len(sink.received) == sum(len(e["recipients"]) for e in EXPECTED)  # once per recipient
        assert client.audit_verify().ok
    finally:
        thread.stop()

    verified = run_cli("audit", "verify", "--json", home=old_home)
    result = json.loads(verified.stdout)
    assert verified.returncode == 0 and result["ok"], result
    old_log = (FIXTURE / "data" / "audit.log").read_bytes()
    assert (old_home / "audit.log").read_bytes().startswith(old_log)  # 0.1.0's records kept, the chain goes on
    assert result["records"] > old_log.count(b"\n")


def _stamp_outbox(home: Path) -> None:
    db = sqlite3.connect(home / "outbox.sqlite3")
    db.execute("PRAGMA user_version=99")
    db.close()


def _stamp_portal(home: Path) -> None:
    db = sqlite3.connect(home / "portal" / "portal.db")
    db.execute("PRAGMA user_version=99")
    db.close()


def _stamp_audit(home: Path) -> None:
    head = json.loads((home / "audit.head").read_text())
    (home / "audit.head").write_text(json.dumps({**head, "version": 99}))


def _stamp_keys(home: Path) -> None:
    (home / secret_store.MANIFEST).write_text(json.dumps({"version": 99, "keys": {}}))


@pytest.mark.parametrize(
    ("store", "stamp"),
    [
        ("outbox", _stamp_outbox),
        ("audit log", _stamp_audit),
        ("key store", _stamp_keys),
        ("portal store", _stamp_portal),
    ],
)
def test_data_of_a_newer_version_is_refused_in_one_line_and_left_untouched(old_home, store, stamp):
    stamp(old_home)
    before = files(old_home)
    started = run_cli("agent", home=old_home, timeout=60)
    said = started.stderr.decode()
    lines = [line for line in said.splitlines() if line.startswith("postseal:")]  # not the agent's log lines
    assert started.returncode == 1 and len(lines) == 1 and "Traceback" not in said, said
    assert f"the {store} in {old_home}" in lines[0] and "data version 99" in lines[0]
    assert "upgrade Postseal" in lines[0] and "nothing was changed" in lines[0]
    assert files(old_home) == before  # not a byte changed, not a file added (not even the agent's lock)
    if store == "audit log":  # a command that opens the store itself says the same
        verified = run_cli("audit", "verify", home=old_home)
        assert verified.returncode == 1 and "data version 99" in verified.stderr.decode()
        assert b"Traceback" not in verified.stderr and files(old_home) == before


def _open_every_store(home: Path) -> None:
    secret_store.open_store(home, "file")
    Outbox(home).close()
    AuditLog(home).close()
    SqlitePortalStore(home / "portal").db.close()


def test_carrying_data_forward_twice_changes_nothing_the_second_time(old_home, tmp_path, caplog):
    _open_every_store(old_home)
    once = files(old_home)
    assert once != files(FIXTURE / "data")  # the first opening did carry it forward
    caplog.set_level("INFO", logger="agent.store_migrations")
    _open_every_store(old_home)
    assert files(old_home) == once
    assert caplog.records == []  # no step ran again

    # An upgraded store and a new one have one layout: both came by the same steps.
    def layout(path: Path) -> tuple:
        db = sqlite3.connect(path)
        try:
            return (
                db.execute("PRAGMA user_version").fetchone(),
                db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall(),
            )
        finally:
            db.close()

    fresh = tmp_path / "fresh"
    _open_every_store(fresh)
    assert layout(old_home / "outbox.sqlite3") == layout(fresh / "outbox.sqlite3")
    assert layout(old_home / "portal" / "portal.db") == layout(fresh / "portal" / "portal.db")
    # 0.1.0 kept plans as plain JSON: now sealed, with no clear copy left in free pages.
    assert b'"verdict"' in (FIXTURE / "data" / "outbox.sqlite3").read_bytes()
    assert not any(b'"verdict"' in data for name, data in once.items() if name.startswith("outbox.sqlite3"))
