"""No plaintext at rest: the outbox database and its WAL hold no PHI, subject or body text."""

import json

from agent.demo.checks import phi_values
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


def test_an_attachment_named_after_the_patient_is_not_named_in_the_outbox_files(start_agent, home, tmp_path):
    from email.message import EmailMessage

    start_agent(free_port())  # the message waits with its plan, its findings and their places
    message = EmailMessage()
    message["From"], message["To"] = "dr.chen@valleyclinic.example", "maria.gonzalez@mailbox.example"
    message["Subject"], message["Message-ID"] = "Your results", "<named-attachment@valleyclinic.example>"
    message.set_content("Your results are attached.")
    name = "Gonzalez_Maria_MRN-4471982_labs.txt"
    message.add_attachment(
        b"Patient: Maria Gonzalez\nMRN: 4471982\nA1c 7.9%\n", maintype="text", subtype="plain", filename=name
    )
    path = tmp_path / "named.eml"
    path.write_bytes(message.as_bytes())
    result = run_cli("send", str(path), "--wait", "--timeout", "2", "--json", home=home)
    record = json.loads(result.stdout)
    assert any(f["location"] == f"attachment:{name}" for f in record["plan"]["verdict"]["findings"])  # the user sees it
    on_disk = b"".join(p.read_bytes() for p in home.iterdir() if p.name.startswith("outbox.sqlite3"))
    assert b"Gonzalez_Maria" not in on_disk and b"4471982" not in on_disk


def test_an_outbox_from_before_sealed_plans_is_sealed_when_opened(home):
    import sqlite3

    from agent.outbox import Outbox

    outbox = Outbox(home)
    outbox.db.execute(
        "INSERT INTO messages (id, message_id, sender, created, updated, state, plan, content)"
        " VALUES ('old', '<m@x>', 's@x', 0, 0, 'held', ?, x'00')",
        (json.dumps({"recipients": [], "verdict": {"findings": [{"location": "attachment:Doe_John_MRN-123.pdf"}]}}),),
    )
    outbox.db.execute("PRAGMA user_version=1")  # as release 0.1.0 left it (tests/fixtures/release-0.1.0)
    outbox.close()
    reopened = Outbox(home)
    assert reopened.get("old").plan["verdict"]["findings"][0]["location"] == "attachment:Doe_John_MRN-123.pdf"
    reopened.close()
    raw = sqlite3.connect(home / "outbox.sqlite3")
    assert raw.execute("SELECT typeof(plan) FROM messages").fetchone() == ("blob",)
    raw.close()
    assert b"Doe_John" not in b"".join(p.read_bytes() for p in home.iterdir() if p.name.startswith("outbox.sqlite3"))
