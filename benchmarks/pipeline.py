"""Messages per second through the whole pipeline into a local SMTP sink.

Pipeline: API submit → parse → inspect → plan → commit (fsync) → protect → SMTP to the sink.
Each 20 KB clinical message goes to a PGP partner (encrypted per recipient with gpg) and an
internal colleague (as-is), so every message makes one gpg call and two SMTP transactions.
Baseline, in the same run: `smtplib` hands the same messages straight to the same sink.
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


def baseline(messages: list[bytes], port: int) -> float:
    start = time.perf_counter()
    for raw in messages:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail(SENDER, [PARTNER, COLLEAGUE], raw)
    return time.perf_counter() - start


def pipeline(messages: list[bytes], sink: SmtpSink, home: Path) -> float:
    os.environ["POSTSEAL_KEYRING"] = "file"
    partner = Recipient(home / "people", PARTNER)
    config = config_mod.from_dict(
        {
            "organization": {"internal_domains": ["valleyclinic.example"]},
            "relay": {"host": "127.0.0.1", "port": sink.port, "starttls": "off"},
            "portal": {"url": f"http://127.0.0.1:{free_port()}"},
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
        if not sink.wait_for(before + 2 * len(messages), timeout=600):
            raise SystemExit("pipeline benchmark: not every message arrived")
        elapsed = time.perf_counter() - start
    partner.close()
    return elapsed


def main(count: int) -> int:
    messages = make_messages(count)
    with tempfile.TemporaryDirectory() as folder, SmtpSink() as sink:
        base = baseline(messages, sink.port)
        piped = pipeline(messages, sink, Path(folder))
    base_rate, pipe_rate = count / base, count / piped
    print(f"messages: {count} × {len(messages[0]) // 1024} KB, 2 recipients each (PGP partner + internal)")
    print(f"baseline smtplib → sink:         {base_rate:8.1f} msg/s ({base:.2f} s)")
    print(f"postseal pipeline → sink:        {pipe_rate:8.1f} msg/s ({piped:.2f} s)")
    print(f"ratio pipeline / baseline:       {pipe_rate / base_rate:8.3f}")
    return 0
