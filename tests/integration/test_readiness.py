"""A set-up that cannot protect mail holds it, and says so everywhere (agent/readiness.py):
a broken managed policy holds every message — never the user's weaker settings — and a
portal URL no patient can open holds the portal's mail while the rest goes out."""

from __future__ import annotations

import json

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import free_port
from agent.runtime import AgentThread
from tests.conftest import SAMPLES, make_config
from tests.integration.test_actions import call

PORTAL_SAMPLE = SAMPLES / "03-patient-followup.eml"
INTERNAL_SAMPLE = SAMPLES / "01-internal-note.eml"
TLS_SAMPLE = SAMPLES / "04-billing-claim-tls.eml"


def test_an_invalid_managed_policy_holds_every_message_naming_source_and_key(home, ca, sink, tmp_path, monkeypatch):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"relay": {"starttls": "required", "port": "587"}}))  # a string: IT's typo
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(config_mod.to_toml(make_config(sink.port, ca)))
    config = config_mod.load(home)  # what `postseal agent` reads at start
    thread = AgentThread(home, config)
    running = thread.start()
    try:
        client = AgentClient(running.api_url, running.token, timeout=30)
        problems = client.health()["problems"]
        assert [(p["code"], p["holds"]) for p in problems][:1] == [("managed_policy_invalid", "all")]
        for sample in (INTERNAL_SAMPLE, TLS_SAMPLE, PORTAL_SAMPLE):
            record = client.wait(client.submit(sample.read_bytes()).id)
            assert record["state"] == "held", sample.name
            assert record["reason"].startswith("managed policy is invalid: ")
            assert str(policy) in record["reason"] and "relay.port" in record["reason"]
        ident = client.submit(INTERNAL_SAMPLE.read_bytes()).id
        client.wait(ident)
        status, body = call(running, "POST", f"/v1/messages/{ident}/release", {"note": "send anyway"})
        assert status == 403 and "managed policy is invalid" in body["error"]["message"]
        assert sink.received == []  # nothing left under the user's own settings
    finally:
        thread.stop()


def test_a_loopback_portal_url_holds_portal_mail_and_lets_the_rest_go(start_agent, sink):
    url = f"http://127.0.0.1:{free_port()}"
    running = start_agent(sink.port, portal={"url": url, "allow_test_url": False})
    client = AgentClient(running.api_url, running.token, timeout=30)
    assert [(p["code"], p["holds"]) for p in client.health()["problems"]] == [("portal_url_unreachable", "portal")]

    held = client.wait(client.submit(PORTAL_SAMPLE.read_bytes()).id)
    assert held["state"] == "held" and f"portal URL {url} is on this computer" in held["reason"]
    status, body = call(running, "POST", f"/v1/messages/{held['id']}/release", {})
    assert status == 403 and "portal URL" in body["error"]["message"]

    assert client.wait(client.submit(TLS_SAMPLE.read_bytes()).id)["state"] == "delivered"
    assert client.wait(client.submit(INTERNAL_SAMPLE.read_bytes()).id)["state"] == "delivered"
    assert len(sink.received) == 2 and all(url.encode() not in m.data for m in sink.received)  # no dead link went out
