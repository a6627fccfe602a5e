"""Offline: the outbox pauses instead of burning retries, and flushes when the relay is back."""

import json
import shutil
import subprocess
import sys

import pytest

from agent.api.client import AgentClient
from agent.demo_world import SmtpSink, free_port
from agent.service import offline as pipeline
from tests.conftest import SAMPLES


def test_offline_mail_waits_without_spending_retries_and_flushes_on_reconnect(start_agent, ca, home):
    port = free_port()
    running = start_agent(port)
    client = AgentClient(running.api_url, running.token)
    ids = [
        client.submit((SAMPLES / name).read_bytes()).id
        for name in ("01-internal-note.eml", "03-patient-followup.eml", "04-billing-claim-tls.eml")
    ]
    for ident in ids:
        record = client.wait(ident, timeout=10, final=("deferred",))
        [rcpt] = record["recipients"]
        assert rcpt["waiting_for_network"] and rcpt["attempts"] == 0
        assert rcpt["reason"].startswith("waiting for the network:")
    assert running.pipeline.offline_since is not None

    with SmtpSink(ca, port=port) as sink:  # the network is back
        records = [client.wait(i, timeout=60) for i in ids]
        assert [r["state"] for r in records] == ["delivered"] * 3
        assert len(sink.received) == 3
    # One delivery attempt each: waiting spent none.
    assert [r["recipients"][0]["attempts"] for r in records] == [1, 1, 1]
    events = [json.loads(line)["event"] for line in (home / "audit.log").read_text().splitlines()]
    assert events.index("offline") < events.index("online")


def _lo_address(action: str, address: str = "127.0.0.77/8") -> bool:
    """Add or remove an address on lo: a real network change, seen by rtnetlink."""
    result = subprocess.run(["ip", "addr", action, address, "dev", "lo"], capture_output=True, check=False)
    return result.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="rtnetlink is Linux's")
def test_a_network_change_flushes_at_once_without_waiting_for_the_probe(start_agent, ca, monkeypatch):
    if not shutil.which("ip") or not _lo_address("add"):
        pytest.skip("cannot change network addresses here (needs CAP_NET_ADMIN and iproute2)")
    _lo_address("del")
    # The periodic probe is put an hour away: only the network change event can bring the
    # mail out within this test's time.
    monkeypatch.setattr(pipeline, "PROBE_FIRST", 3600.0)
    monkeypatch.setattr(pipeline, "PROBE_MAX", 3600.0)
    port = free_port()
    running = start_agent(port)
    client = AgentClient(running.api_url, running.token)
    ident = client.submit((SAMPLES / "01-internal-note.eml").read_bytes()).id
    assert client.wait(ident, timeout=10, final=("deferred",))["recipients"][0]["waiting_for_network"]
    with SmtpSink(ca, port=port) as sink:
        try:
            assert _lo_address("add")  # e.g. Wi-Fi reconnects
            record = client.wait(ident, timeout=30)
        finally:
            _lo_address("del")
        assert record["state"] == "delivered" and len(sink.received) == 1
