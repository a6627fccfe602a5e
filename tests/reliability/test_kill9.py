"""kill -9 during a 1,000-message run: nothing lost, nothing doubled, nothing in clear.

The agent runs as its own process against an SMTP sink (the relay). A submitter sends 1,000
messages, each to an internal colleague and one outside recipient (PGP partner, portal
patient or TLS partner, in turn), every message carrying its own MRN. A killer sends
SIGKILL at random moments (at least 20 times) and restarts the agent at once. A submission
that fails because the agent died is sent again: submission is idempotent on Message-ID,
so a lost 202 cannot queue a message twice. At the end every accepted message must be
delivered once per recipient or held with a reason; no external copy may show its MRN,
and TLS-only copies must have travelled over TLS.

Duplicates: SMTP has a window no client can close (RFC 1047): after our final "." the relay
may have the message while we, killed, never read its 250. The agent narrows the window (it
commits right after the reply) and makes every resend byte-identical to the first — same
Message-ID and Date — so a store with duplicate detection (the Exchange store keys it on
Internet Message-ID and submit time) delivers it once. The harness asserts exactly that:
mailbox duplicates 0, every retransmission identical, and at most one per message in
flight at each kill; it prints the raw retransmission count.
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from agent import config as config_mod
from agent.api.client import AgentClient, AgentUnreachable, ApiError
from agent.demo_world import Recipient, SmtpSink
from tests.conftest import make_config, run_cli

MESSAGES = int(os.environ.get("POSTSEAL_KILL9_MESSAGES", "1000"))
KILLS = int(os.environ.get("POSTSEAL_KILL9_KILLS", "20"))
SENDER = "dr.chen@valleyclinic.example"
COLLEAGUE = "nurse.patel@valleyclinic.example"
OUTSIDE = ("referrals@lakesidecardiology.example", "patient{}@mailbox.example", "claims@harborbilling.example")


def message(i: int) -> tuple[bytes, str, str]:
    outside = OUTSIDE[i % 3].format(i)
    mrn = f"KX-{i:07d}"
    m = EmailMessage()
    m["From"] = SENDER
    m["To"] = outside
    m["Cc"] = COLLEAGUE
    m["Subject"] = f"Follow-up {i}"
    m["Message-ID"] = f"<kill9-{i}@valleyclinic.example>"
    m.set_content(f"Patient MRN: {mrn}\nPlease see the attached plan and call if anything changes.\n")
    return m.as_bytes(), outside, mrn


class Agent:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        env = {**os.environ, "POSTSEAL_HOME": str(self.home)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "agent"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if json.loads((self.home / "agent.json").read_text())["pid"] == self.process.pid:
                    break
            except (OSError, ValueError):
                pass
            assert self.process.poll() is None, "agent died while starting"
            assert time.monotonic() < deadline, "agent did not start"
            time.sleep(0.02)
        self.starts += 1

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)

    def client(self) -> AgentClient:
        return AgentClient.discover(self.home, timeout=10)


@pytest.mark.long
@pytest.mark.timeout(900)
def test_kill_9_at_random_moments_loses_nothing_and_doubles_nothing(home, ca, people):
    rng = random.Random(int(os.environ.get("POSTSEAL_KILL9_SEED", "9")))
    partner = Recipient(people, OUTSIDE[0])
    with SmtpSink(ca) as sink:
        config = make_config(sink.port, ca)
        (home / "config.toml").write_text(config_mod.to_toml(config))
        (home / "partner.asc").write_text(partner.public_key())
        assert run_cli("keys", "import", str(home / "partner.asc"), home=home).returncode == 0
        assert run_cli("keys", "generate", SENDER, home=home).returncode == 0

        agent = Agent(home)
        agent.start()
        lock = threading.Lock()  # the killer and the submitter never touch the process at once
        accepted: dict[str, tuple[str, str, str]] = {}  # outbox id → (Message-ID, outside, MRN)
        kill_times: list[float] = []
        done = threading.Event()

        def submit_all() -> None:
            for i in range(MESSAGES):
                raw, outside, mrn = message(i)
                while True:
                    try:
                        with lock:
                            client = agent.client()
                        result = client.submit(raw)
                        accepted[result.id] = (f"kill9-{i}@valleyclinic.example", outside, mrn)
                        break
                    except (AgentUnreachable, ApiError, OSError):
                        time.sleep(0.05)  # the agent is dead or restarting: send it again
            done.set()

        def kill_repeatedly() -> None:
            start = time.monotonic()
            while len(kill_times) < KILLS:
                time.sleep(rng.uniform(0.3, 2.0))
                with lock:
                    agent.kill()
                    kill_times.append(round(time.monotonic() - start, 3))
                    agent.start()

        submitter = threading.Thread(target=submit_all)
        killer = threading.Thread(target=kill_repeatedly)
        submitter.start()
        killer.start()
        killer.join()
        submitter.join()
        assert done.is_set()

        # Let the last incarnation finish everything.
        client = agent.client()
        deadline = time.monotonic() + 300
        while True:
            counts = client.outbox_counts()
            if not any(counts.get(s) for s in ("queued", "protecting", "sending", "deferred")):
                break
            assert time.monotonic() < deadline, f"outbox did not drain: {counts}"
            time.sleep(0.2)
        records = {i: client.message(i) for i in accepted}
        verify = run_cli("audit", "verify", "--json", home=home)
        agent.stop()
    partner.close()

    transmissions = collections.Counter()
    versions: dict[tuple[str, str], set[bytes]] = collections.defaultdict(set)
    in_clear = []
    for received in sink.received:
        message_id = received.message["Message-ID"].strip("<>")
        for rcpt in received.recipients:
            transmissions[(message_id, rcpt)] += 1
            versions[(message_id, rcpt)].add(received.data)
        external = [r for r in received.recipients if not r.endswith("@valleyclinic.example")]
        if external:
            index = int(message_id.split("-")[1].split("@")[0])
            mrn = message(index)[2]
            if mrn.encode() in received.data and not (external[0].startswith("claims@") and received.tls):
                in_clear.append((message_id, external))

    delivered = held = lost = 0
    for ident, (message_id, _, _) in accepted.items():
        record = records[ident]
        for rcpt in record["recipients"]:
            if rcpt["state"] == "delivered":
                delivered += 1
                lost += 0 if transmissions.get((message_id, rcpt["address"])) else 1
            elif rcpt["state"] == "held":
                held += 1
                assert rcpt["reason"], f"{ident} held without a reason"
            else:
                lost += 1
    retransmitted = sum(n - 1 for n in transmissions.values() if n > 1)
    # What a mailbox with duplicate detection would show twice: a resend that differs.
    duplicated = sum(1 for v in versions.values() if len(v) > 1)
    summary = {
        "accepted": len(accepted),
        "recipients_delivered": delivered,
        "held": held,
        "lost": lost,
        "duplicated_in_mailbox": duplicated,
        "retransmitted_identical": retransmitted,
        "sent_in_clear": len(in_clear),
        "kills": len(kill_times),
        "agent_starts": agent.starts,
        "kill_times_s": kill_times,
    }
    print("\nkill -9 harness:", json.dumps(summary))
    assert len(accepted) == MESSAGES
    assert len(kill_times) >= KILLS and len(set(kill_times)) == len(kill_times)
    assert lost == 0 and in_clear == []
    assert duplicated == 0, f"{duplicated} resends differ from the first copy: a mailbox would show them twice"
    # Each kill can catch at most the copies in flight (outbox.concurrency, 4) in the window.
    assert retransmitted <= 4 * len(kill_times)
    assert json.loads(verify.stdout)["ok"], verify.stdout
