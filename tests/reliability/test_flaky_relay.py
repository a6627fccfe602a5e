"""A relay that misbehaves at random, and a network that goes away: every recipient still ends
delivered once or failed with the relay's 5xx line; nothing is lost, stuck or sent in clear.

The relay is aiosmtpd with hooks that, per transaction, drop the connection after the data
(before answering), answer 421/451/452 (temporary) or 550/554 (permanent), stall past the
client's timeout, or reset the connection right after STARTTLS. Midway the relay is stopped
and started again (the network toggled off and on). It records only what it answered 250 to.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import re
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from agent.api.client import AgentClient
from agent.demo_world import free_port

MESSAGES = 150
FAULT_RATE = 0.35
CLIENT_TIMEOUT = 2


class FlakyRelay:
    """aiosmtpd handler: each hook may misbehave; counts what it did."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.accepted: list[tuple[str, tuple[str, ...], bytes, bool]] = []
        self.refused: dict[tuple[str, str], str] = {}
        self.faults: collections.Counter[str] = collections.Counter()

    def fault(self, *choices: str) -> str | None:
        if self.rng.random() < FAULT_RATE:
            choice = self.rng.choice(choices)
            if choice != "none":
                self.faults[choice] += 1
            return choice
        return None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if session.ssl is not None and self.fault("reset after STARTTLS", "none", "none") == "reset after STARTTLS":
            server.transport.close()
            return []
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.fault("stall", "none", "none") == "stall":
            await asyncio.sleep(CLIENT_TIMEOUT + 1)  # the client gives up first
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        match self.fault("451", "452", "550", "drop"):
            case "451":
                return "451 4.3.0 Temporary local problem, try again"
            case "452":
                return "452 4.2.2 Mailbox full, try again later"
            case "550":
                self.refused[(self._message_id(envelope), address)] = "550"
                return f"550 5.1.1 <{address}>: Recipient address rejected"
            case "drop":
                server.transport.close()
                return "421 4.4.2 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        match self.fault("drop", "421", "554"):
            case "drop":  # the message came in, but no answer ever goes out
                server.transport.close()
                return "451 never sent"
            case "421":
                server.transport.close()
                return "421 4.3.2 Service shutting down"
            case "554":
                message_id = self._message_id(envelope, envelope.content)
                for rcpt in envelope.rcpt_tos:
                    self.refused[(message_id, rcpt)] = "554"
                return "554 5.7.1 Message refused by content policy"
        data = envelope.original_content or envelope.content
        self.accepted.append(
            (self._message_id(envelope, data), tuple(envelope.rcpt_tos), data, session.ssl is not None)
        )
        return f"250 2.0.0 Ok: queued as F{len(self.accepted):06d}"

    @staticmethod
    def _message_id(envelope, data: bytes | None = None) -> str:
        if data is None:
            return "?"  # a RCPT-time refusal: matched by recipient below
        for line in data.split(b"\n"):
            if line.lower().startswith(b"message-id:"):
                return line.split(b":", 1)[1].strip().strip(b"<>").decode()
        return "?"


def make_message(i: int) -> bytes:
    m = EmailMessage()
    m["From"] = "dr.chen@valleyclinic.example"
    m["To"] = "claims@harborbilling.example" if i % 2 else "nurse.patel@valleyclinic.example"
    m["Subject"] = f"Claim {i}"
    m["Message-ID"] = f"<flaky-{i}@valleyclinic.example>"
    m.set_content(f"Member ID on file, MRN: FL-{i:07d}\n")
    return m.as_bytes()


@pytest.mark.long
@pytest.mark.timeout(600)
def test_a_misbehaving_relay_and_a_lost_network_lose_nothing(start_agent, ca):
    relay = FlakyRelay(seed=6)
    port = free_port()

    def serve() -> Controller:
        controller = Controller(
            relay, hostname="127.0.0.1", port=port, server_hostname="localhost", tls_context=ca.server_context()
        )
        controller.start()
        return controller

    controller = serve()
    running = start_agent(
        port, relay={"timeout": CLIENT_TIMEOUT}, outbox={"retry_first_seconds": 1, "retry_max_seconds": 2}
    )
    client = AgentClient(running.api_url, running.token)
    ids = {}
    for i in range(MESSAGES):
        ids[client.submit(make_message(i)).id] = i
        if i == MESSAGES // 2:  # the network goes away for a while, then comes back
            controller.stop()
            time.sleep(3)
            controller = serve()
    deadline = time.monotonic() + 400
    while True:
        counts = client.outbox_counts()
        if not any(counts.get(s) for s in ("queued", "protecting", "sending", "deferred")):
            break
        assert time.monotonic() < deadline, f"outbox never drained: {counts}"
        time.sleep(0.25)
    controller.stop()

    arrived = collections.defaultdict(set)
    for message_id, rcpts, data, tls in relay.accepted:
        for rcpt in rcpts:
            arrived[(message_id, rcpt)].add(data)
            assert tls, "a copy went over a connection without TLS"
    outcome = collections.Counter()
    for ident, i in ids.items():
        record = client.message(ident)
        [rcpt] = record["recipients"]
        key = (f"flaky-{i}@valleyclinic.example", rcpt["address"])
        if rcpt["state"] == "delivered":
            assert len(arrived[key]) == 1, f"{key}: {len(arrived[key])} different copies arrived"
            outcome["delivered"] += 1
        elif rcpt["state"] == "failed":
            assert re.search(r"\b55[04] 5\.\d\.\d", rcpt["reason"]), rcpt["reason"]
            assert key not in arrived, f"{key} failed but was accepted by the relay"
            outcome["failed"] += 1
        else:
            outcome[rcpt["state"]] += 1
    # Each failed message tells its sender once (a notice in their own mailbox, queued). The
    # notices are queued by the agent itself just after each failure: wait for all of them.
    failed = {ident for ident in ids if client.message(ident)["state"] == "failed"}
    deadline = time.monotonic() + 60
    while True:
        notices = [m for m in client.outbox() if m["message_id"].startswith("postseal-notice-")]
        told = {m["message_id"].removeprefix("postseal-notice-").partition("@")[0] for m in notices}
        if told >= failed or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert told == failed, f"told but not failed: {told - failed}; failed but not told: {failed - told}"
    assert len(notices) == len(told)
    print(
        "\nflaky relay:",
        json.dumps(
            {
                "messages": MESSAGES,
                **outcome,
                "senders_told": len(told),
                "faults": dict(relay.faults),
                "accepted_transactions": len(relay.accepted),
            }
        ),
    )
    assert outcome["delivered"] + outcome["failed"] == MESSAGES
    assert outcome["delivered"] > MESSAGES // 2
    assert sum(relay.faults[f] for f in ("451", "452", "drop", "421", "stall", "reset after STARTTLS")) >= 10
