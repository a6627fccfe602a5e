"""The agent's keys between two starts: a keyring that appears, one that goes away, a key
file changed, a data directory of the earlier version. Mail accepted before is never lost:
the agent keeps using the keys it sealed it with, or does not start and says why.

The OS keyring is stood in by the in-memory backend of tests/accounts (same `keyring` API);
"no keyring" is keyring's own fail backend, as on a headless Linux box."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from agent import config as config_mod
from agent import secret_store
from agent.api.client import AgentClient
from agent.demo_world import Recipient, free_port
from agent.runtime import AgentThread, RunningAgent, StartError
from tests.accounts.conftest import MemoryKeyring
from tests.conftest import SAMPLES, SENDER, gpg_decrypt, make_config, run_cli

INTERNAL = SAMPLES / "01-internal-note.eml"
REFERRAL = SAMPLES / "02-referral-lab-results.eml"


class Starts:
    """One data directory, started and stopped again as a clinician's computer would."""

    def __init__(self, home: Path, ca) -> None:
        self.home, self.ca = home, ca
        self.thread: AgentThread | None = None

    def start(self, relay_port: int, **overrides: dict) -> tuple[RunningAgent, AgentClient]:
        config = make_config(relay_port, ca=self.ca, **overrides)
        (self.home / "config.toml").write_text(config_mod.to_toml(config))
        self.thread = AgentThread(self.home, config)
        running = self.thread.start()
        return running, AgentClient(running.api_url, running.token, timeout=30)

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None


@pytest.fixture
def starts(home: Path, ca) -> Iterator[Starts]:
    agent = Starts(home, ca)
    yield agent
    agent.stop()


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer has no OS keyring, and the tests do not force files: the agent decides."""
    monkeypatch.delenv("POSTSEAL_KEYRING")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # child processes too
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(before)


def accept_while_relay_down(client: AgentClient, sample: Path) -> str:
    ident = client.submit(sample.read_bytes()).id
    record = client.wait(ident, final=("deferred", "held", "delivered", "failed"))
    assert record["state"] == "deferred", record
    return ident


def deliver_now(client: AgentClient, ident: str) -> dict:
    client.retry(ident)
    return client.wait(ident)


def test_a_keyring_that_appears_between_two_starts_loses_nothing_and_is_reported(starts, sink, no_keyring, caplog):
    _, client = starts.start(free_port(), secrets={"backend": "file"})  # headless: files, by choice
    ident = accept_while_relay_down(client, INTERNAL)
    assert client.health()["secrets"]["backend"] == "file"
    starts.stop()

    appeared = MemoryKeyring()
    keyring.set_keyring(appeared)
    with caplog.at_level(logging.WARNING, logger="agent.secret_store"):
        _, client = starts.start(sink.port)  # secrets.backend is the default again: "keyring"
    health = client.health()["secrets"]
    assert health["backend"] == "file"
    assert "beside the data" in health["warning"] and "an OS keyring is available now" in health["warning"]
    assert "an OS keyring is available now" in caplog.text
    assert [m["id"] for m in client.outbox()] == [ident]  # the outbox opens
    record = deliver_now(client, ident)
    assert record["state"] == "delivered"
    received = sink.by_reply(record["recipients"][0]["proof"]["reply"])
    assert b"hold tonight's warfarin dose" in received.data  # internal mail: as written, read back from the outbox
    assert appeared.entries == {}  # nothing was re-keyed into the new keyring


def test_a_keyring_gone_at_the_next_start_stops_the_agent_and_its_return_loses_nothing(starts, sink, no_keyring, home):
    clinic_keyring = MemoryKeyring()
    keyring.set_keyring(clinic_keyring)
    # A partner of its own, who is given the sender's public key (to check the signature);
    # a short path: gpg-agent's socket path has a length limit.
    partner = Recipient(Path(tempfile.mkdtemp(prefix="partner-")), "referrals@lakesidecardiology.example")
    running, client = starts.start(free_port())  # the relay is down: the referral waits, sealed
    own = running.pipeline.pgp.generate(SENDER)
    running.pipeline.pgp.import_keys(partner.public_key())
    partner.gpg.import_keys(running.pipeline.pgp.export_public(own))
    ident = accept_while_relay_down(client, REFERRAL)
    starts.stop()
    assert {service for service, _ in clinic_keyring.entries} == {"postseal"}
    assert not (home / "secrets").exists()
    manifest = (home / secret_store.MANIFEST).read_bytes()

    keyring.set_keyring(keyring.backends.fail.Keyring())  # the keyring is gone (or not started)
    with pytest.raises(StartError) as refused:
        starts.start(sink.port)
    text = str(refused.value)
    assert "the outbox key (and" in text and "is in the OS keyring, which cannot be reached now" in text
    assert "never creates a new key over existing data" in text
    result = run_cli("agent", home=home, timeout=60)  # the command a user (or the tray) runs
    assert result.returncode == 1, result.stderr
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "cannot be reached now" in lines[0] and "Traceback" not in lines[0]
    assert not (home / "secrets").exists() and (home / secret_store.MANIFEST).read_bytes() == manifest

    keyring.set_keyring(clinic_keyring)  # unlocked again
    _, client = starts.start(sink.port)
    assert client.health()["secrets"] == {"backend": "keyring", "warning": ""}
    record = deliver_now(client, ident)
    [rcpt] = record["recipients"]
    assert (record["state"], rcpt["method"]) == ("delivered", "pgp")
    received = sink.by_reply(rcpt["proof"]["reply"])
    armored = next(p for p in received.message.walk() if p.get_content_type() == "application/octet-stream")
    try:
        assert "new-onset atrial fibrillation" in gpg_decrypt(partner, armored.get_payload(decode=True))
    finally:
        partner.close()


def test_a_changed_key_file_stops_the_agent_naming_the_key(starts, home):
    _, client = starts.start(free_port())
    accept_while_relay_down(client, INTERNAL)
    starts.stop()
    (home / "secrets" / "outbox-key").write_bytes(base64.b64encode(os.urandom(32)))
    with pytest.raises(StartError, match=r"the outbox key in .*outbox-key is not the key this data was written with"):
        starts.start(free_port())


def test_no_keyring_on_a_new_data_directory_refuses_to_start_with_what_to_do(starts, no_keyring, home):
    with pytest.raises(StartError) as refused:
        starts.start(free_port())
    assert "no usable OS keyring" in str(refused.value) and 'secrets.backend = "file"' in str(refused.value)
    assert not (home / "secrets").exists()


def test_a_data_directory_of_the_earlier_version_is_adopted_and_its_mail_kept(starts, sink, home):
    _, client = starts.start(free_port())
    ident = accept_while_relay_down(client, INTERNAL)
    starts.stop()
    (home / secret_store.MANIFEST).unlink()  # as the earlier version left it: keys in secrets/, no manifest

    _, client = starts.start(sink.port)
    assert deliver_now(client, ident)["state"] == "delivered"
    keys = json.loads((home / secret_store.MANIFEST).read_text())["keys"]
    assert {"outbox-key", "audit-key", "stamp-key"} <= set(keys)
    assert {entry["backend"] for entry in keys.values()} == {"file"}
    assert client.audit_verify().ok  # the audit key was adopted, not made again


def test_mail_whose_key_is_nowhere_is_not_re_keyed(starts, home):
    _, client = starts.start(free_port())
    accept_while_relay_down(client, INTERNAL)
    starts.stop()
    (home / secret_store.MANIFEST).unlink()
    subprocess.run(["rm", "-rf", str(home / "secrets")], check=True)
    with pytest.raises(StartError) as refused:
        starts.start(free_port())
    assert "the outbox key is in no keyring entry and no file" in str(refused.value)
    assert "outbox.sqlite3 holds 1 message sealed with it" in str(refused.value)
    assert not (home / "secrets" / "outbox-key").exists()
