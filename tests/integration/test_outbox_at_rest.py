"""No plaintext at rest: the outbox database and its WAL hold no PHI, subject or body text."""

import json

from agent.demo import phi_values
from agent.demo_world import free_port
from tests.conftest import SAMPLES, run_cli


def test_outbox_files_hold_no_phi_even_while_messages_wait(start_agent, home):
    start_agent(free_port())  # a dead relay: the messages stay in the outbox, protected copies too
    secrets_seen = []
    for sample in sorted(SAMPLES.glob("*.eml")):
        raw = sample.read_bytes()
        result = run_cli("send", str(sample), "--wait", "--timeout", "2", "--json", home=home)
        assert json.loads(result.stdout)["state"] in ("deferred", "held")
        secrets_seen += phi_values(raw)
        body = raw.split(b"\n\n", 1)[1].decode()
        secrets_seen += [line.strip() for line in body.splitlines() if len(line.strip()) > 30]
        secrets_seen += [line[9:].strip() for line in raw.decode().splitlines() if line.startswith("Subject: ")]
    files = [p for p in home.iterdir() if p.name.startswith("outbox.sqlite3")]
    assert any(p.name.endswith("-wal") for p in files)
    on_disk = b"".join(p.read_bytes() for p in files)
    assert len(on_disk) > 10_000
    leaked = [value for value in set(secrets_seen) if value.encode() in on_disk]
    assert leaked == []
