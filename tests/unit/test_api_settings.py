"""The local API's settings and events (agent/ingress/api/settings.py) against a fake Agent: the
effective configuration with secrets redacted, changes from the tray (live, after a restart,
refused), and the server-sent events."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from agent import config as config_mod
from tests.fake_service import TOKEN, Api, FakeAgent, conforms, covers, refused


@pytest.fixture
def agent(home) -> FakeAgent:
    agent = FakeAgent(home)
    # As `postseal init` leaves it: the user's file holds what the agent runs with.
    (home / "config.toml").write_text(config_mod.to_toml(agent.config))
    return agent


@covers(("GET", "/v1/config"))
def test_config_shows_values_with_secrets_redacted(agent):
    agent.config = dataclasses.replace(agent.config, locked=frozenset({"relay.host", "portal.url"}))
    agent.pending_settings = {"portal.url": "https://new.example"}
    body = conforms(Api(agent).call("GET", "/v1/config"), "GET", "/v1/config")
    assert set(body) == {"values", "locked", "source", "pending"}
    assert set(body["values"]) == set(config_mod.SECTIONS)
    assert (
        body["values"]["relay"]["password"] == "***" and body["values"]["relay"]["host"] == "smtp.valleyclinic.example"
    )
    assert "relay-secret" not in Api(agent).call("GET", "/v1/config").text
    assert body["values"]["portal"]["upload_token"] == ""  # an empty secret is shown empty, not starred
    assert body["locked"] == ["portal.url", "relay.host"]
    assert body["source"] == str(agent.home / "config.toml") and body["pending"] == {
        "portal.url": "https://new.example"
    }


@covers(("PATCH", "/v1/config"))
def test_a_relay_change_is_live(agent):
    reply = Api(agent).call("PATCH", "/v1/config", body={"relay": {"host": "smtp2.valleyclinic.example"}})
    assert conforms(reply, "PATCH", "/v1/config") == {"restart_required": False, "locked": []}
    (call,) = agent.called("reconfigure")
    assert (
        call[1].relay.host == "smtp2.valleyclinic.example" and agent.config.relay.host == "smtp2.valleyclinic.example"
    )
    assert "smtp2.valleyclinic.example" in (agent.home / "config.toml").read_text()
    assert agent.pending_settings == {}


@covers(("PATCH", "/v1/config"), ("GET", "/v1/config"))
def test_a_portal_change_waits_for_a_restart(agent):
    reply = Api(agent).call("PATCH", "/v1/config", body={"portal": {"url": "https://portal2.valleyclinic.example"}})
    assert conforms(reply, "PATCH", "/v1/config")["restart_required"] is True
    assert agent.config.portal.url == "https://portal.valleyclinic.example"  # not live
    assert Api(agent).call("GET", "/v1/config").json()["pending"] == {
        "portal.url": "https://portal2.valleyclinic.example"
    }


@covers(("PATCH", "/v1/config"))
def test_a_locked_setting_is_403_managed(agent):
    agent.config = dataclasses.replace(agent.config, locked=frozenset({"relay.host"}))
    reply = Api(agent).call("PATCH", "/v1/config", body={"relay": {"host": "elsewhere.example"}})
    conforms(reply, "PATCH", "/v1/config")
    refused(reply, 403, "managed")
    assert not agent.called("reconfigure") and "elsewhere" not in (agent.home / "config.toml").read_text()


@covers(("PATCH", "/v1/config"))
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"relay": {"port": "many"}}, "bad_config"),
        ({"policy": {"rules_file": "/tmp/x"}}, "bad_config"),
        ({"relay": "smtp"}, "bad_config"),
        ("{nope", "bad_request"),
        ([1], "bad_request"),
    ],
)
def test_a_bad_change_is_refused_and_nothing_changes(agent, body, code):
    before = (agent.home / "config.toml").read_text()
    reply = Api(agent).call("PATCH", "/v1/config", body=body, content_type="application/json")
    if code == "bad_config":
        conforms(reply, "PATCH", "/v1/config")
    refused(reply, 400, code)
    assert not agent.called("reconfigure") and (agent.home / "config.toml").read_text() == before


@covers(("GET", "/v1/events"))
def test_events_say_hello_then_pass_what_the_agent_tells(agent):
    async def listen(client):
        async with client.get("/v1/events", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            assert response.status == 200 and response.headers["Content-Type"] == "text/event-stream"
            hello = [await response.content.readline() for _ in range(3)]
            assert hello == [b"event: hello\n", b'data: {"type": "hello"}\n', b"\n"]
            (tell,) = agent.listeners
            tell({"type": "state", "id": "m1", "state": "delivered"})
            event = [await response.content.readline() for _ in range(3)]
        return event

    event = asyncio.run(Api(agent).session(listen))
    assert event == [b"event: state\n", b'data: {"type": "state", "id": "m1", "state": "delivered"}\n', b"\n"]
    assert agent.listeners == []  # unsubscribed once the stream ended


@covers(("GET", "/v1/events"))
def test_events_need_the_token(agent):
    refused(Api(agent).call("GET", "/v1/events", token=None), 401, "unauthorized")
    assert not agent.called("subscribe")
