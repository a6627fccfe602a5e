"""Offline: the outbox pauses instead of burning retries, and flushes when the relay is back."""

import json

from agent.demo_world import SmtpSink, free_port
from gui.agent_client import AgentClient
from tests.conftest import SAMPLES


def test_offline_mail_waits_without_spending_retries_and_flushes_on_reconnect(start_agent, ca, home):
    port = free_port()
    running = start_agent(port)
    client = AgentClient(running.api_url, running.token)
    ids = [client.submit((SAMPLES / name).read_bytes()).id
           for name in ("01-internal-note.eml", "03-patient-followup.eml", "04-billing-claim-tls.eml")]
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
