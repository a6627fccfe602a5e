"""Messages per second through the whole pipeline into a local SMTP sink.

Pipeline: API submit → parse → inspect → plan → commit (fsync) → protect → SMTP to the sink.
Each 20 KB clinical message goes to a PGP partner (encrypted per recipient with gpg) and an
internal colleague (as-is), so every message makes one gpg call and two SMTP transactions.
Baseline, in the same run: `smtplib` hands the same messages straight to the same sink.
A second run sends both recipients internal (one copy, no gpg): the issue's 'internal mail' row.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import Recipient, SmtpSink, free_port
from agent.runtime import AgentThread
from benchmarks.figures import Figure

PARTNER = "referrals@lakesidecardiology.example"
COLLEAGUE = "nurse.patel@valleyclinic.example"
SENDER = "dr.chen@valleyclinic.example"


def make_messages(count: int) -> list[bytes]:
    line = "Assessment and plan reviewed with the patient; labs to be repeated in four weeks.\n"
    filler = (line * 250)[:20_000]
    out = []
    for i in range(count):
        message = EmailMessage()
        message["From"] = SENDER
        message["To"] = PARTNER
        message["Cc"] = COLLEAGUE
        message["Subject"] = f"Referral {i}"
        message["Message-ID"] = f"<bench-{i}@valleyclinic.example>"
        message.set_content(f"Patient MRN: VC-{i:07d}, DOB: 03/14/1958\n\n{filler}")
        out.append(message.as_bytes(policy=policy.SMTP))
    return out


def baseline(messages: list[bytes], port: int, recipients: list[str] | None = None) -> float:
    start = time.perf_counter()
    for raw in messages:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail(SENDER, recipients or [PARTNER, COLLEAGUE], raw)
    return time.perf_counter() - start


def pipeline(messages: list[bytes], sink: SmtpSink, home: Path, copies: int = 2) -> float:
    """Seconds until every message's `copies` SMTP transactions reached the sink."""
    os.environ["POSTSEAL_KEYRING"] = "file"
    partner = Recipient(home / "people", PARTNER)
    config = config_mod.from_dict(
        {
            "organization": {"internal_domains": ["valleyclinic.example"]},
            "relay": {"host": "127.0.0.1", "port": sink.port, "starttls": "off"},
            "portal": {"url": f"http://127.0.0.1:{free_port()}"},
            # No local SMTP door and no add-in origin: their fixed ports may be taken (another
            # agent, a parallel test), and this benchmark submits through the API.
            "ingress": {"smtp_port": 0, "addin_port": 0},
        }
    )
    with AgentThread(home / "agent", config) as running:
        running.agent.pgp.import_keys(partner.public_key())
        running.agent.pgp.generate(SENDER)
        client = AgentClient(running.api_url, running.token)
        before = len(sink.received)
        start = time.perf_counter()
        for raw in messages:
            client.submit(raw)
        if not sink.wait_for(before + copies * len(messages), timeout=600):
            raise SystemExit("pipeline benchmark: not every message arrived")
        elapsed = time.perf_counter() - start
    partner.close()
    return elapsed


def figures(count: int) -> list[Figure]:
    """Both variants of the issue's table: internal mail (both recipients internal: one copy,
    one SMTP transaction per message) and one OpenPGP copy per message (partner + colleague:
    a gpg call and two transactions); each against smtplib, a connection per message."""
    from benchmarks.outbox import RECIPIENTS as INTERNAL
    from benchmarks.outbox import messages as internal_messages

    with_pgp, internal = make_messages(count), internal_messages(count)
    with tempfile.TemporaryDirectory() as folder, SmtpSink() as sink:
        base_internal = baseline(internal, sink.port, INTERNAL)
        ours_internal = pipeline(internal, sink, Path(folder) / "internal", copies=1)
        base_pgp = baseline(with_pgp, sink.port)
        ours_pgp = pipeline(with_pgp, sink, Path(folder) / "pgp", copies=2)
    what = "smtplib, a connection per message"
    return [
        Figure(
            "pipeline, internal mail, 20 KB, 2 rcpts: msg/s",
            count / ours_internal,
            count / base_internal,
            "msg/s",
            what,
            "≥ 0.5x",
        ),
        Figure(
            "pipeline, one OpenPGP copy per message: msg/s", count / ours_pgp, count / base_pgp, "msg/s", what, "≥ 0.3x"
        ),
    ]


def main(count: int) -> int:
    print(f"messages: {count} × 20 KB, 2 recipients each (both internal; then a PGP partner + internal)")
    for figure in figures(count):
        print(figure.line())
    return 0
