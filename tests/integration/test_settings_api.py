"""Settings changed through PATCH /v1/config: what cannot be written as a config the agent
starts on is refused before anything is written, naming the field; the relay password goes
to the secret store, never into config.toml, and the relay login keeps working after a
restart."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from agent import config as config_mod
from agent import settings
from agent.api.client import AgentClient
from agent.runtime import AgentThread
from tests.conftest import SAMPLES, make_config

INTERNAL = SAMPLES / "01-internal-note.eml"
PASSWORD = "Relay-Pa55word-7f3e9c"


def patch(running, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{running.api_url}/v1/config",
        data=body,
        method="PATCH",
        headers={"Authorization": f"Bearer {running.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        assert exc.headers.get_content_type() == "application/json"
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (rb'{"relay": {"host": "\ud800"}}', "relay.host is not valid text"),
        (rb'{"relay": {"username": "clinic\udfff"}}', "relay.username is not valid text"),
        (rb'{"relay": {"password": "pw\ud83d"}}', "relay.password is not valid text"),
        (rb'{"portal": {"url": "https://portal.example/\ud800"}}', "portal.url is not valid text"),
        (rb'{"relay": {"host": "smtp.clinic.example\nport = 25"}}', "relay.host must not hold control characters"),
    ],
)
def test_a_setting_that_would_stop_the_agent_is_refused_and_nothing_is_written(start_agent, sink, home, body, named):
    running = start_agent(sink.port)
    before = (home / "config.toml").read_bytes()
    status, answer = patch(running, body)
    assert (status, answer["error"]["code"]) == (400, "bad_config")
    assert named in answer["error"]["message"]
    assert (home / "config.toml").read_bytes() == before
    assert not list(home.glob("*.tmp"))
    config_mod.load(home)  # the agent still starts on what is there


def relay_requiring_login(ca, received: list) -> Controller:
    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append((session.auth_data, envelope.rcpt_tos))
            return "250 2.0.0 queued"

    def authenticate(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"clinic-relay", PASSWORD.encode())
        return AuthResult(success=ok, auth_data="clinic-relay" if ok else None)

    from agent.demo_world import free_port

    return Controller(
        Handler(),
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        tls_context=ca.server_context(),
        require_starttls=True,
        auth_require_tls=True,
        auth_required=True,
        authenticator=authenticate,
    )


def test_the_relay_password_lives_in_the_secret_store_and_the_relay_login_keeps_working(sink, ca, home):
    received: list = []
    relay = relay_requiring_login(ca, received)
    relay.start()
    try:
        config = make_config(sink.port, ca)
        (home / "config.toml").write_text(config_mod.to_toml(config))
        with AgentThread(home, config) as running:
            status, _ = patch(
                running,
                json.dumps({"relay": {"port": relay.port, "username": "clinic-relay", "password": PASSWORD}}).encode(),
            )
            assert status == 200
            client = AgentClient(running.api_url, running.token, timeout=30)
            assert client.wait(client.submit(INTERNAL.read_bytes()).id)["state"] == "delivered"
            assert client.config().values["relay"]["password"] == "***"
        assert received and received[-1][0] == "clinic-relay"
        forms = (PASSWORD.encode(), base64.b64encode(PASSWORD.encode()), PASSWORD.encode().hex().encode())
        for path in home.rglob("*"):
            if path.is_file() and path.parent != home / "secrets":
                data = path.read_bytes()
                assert not any(form in data for form in forms), f"the relay password is in {path}"
        assert b"password" not in (home / "config.toml").read_bytes()
        with AgentThread(home, config_mod.load(home)) as running:  # a restart reads it from the store
            client = AgentClient(running.api_url, running.token, timeout=30)
            assert (
                client.wait(client.submit(INTERNAL.read_bytes().replace(b"<2026", b"<again-2026")).id)["state"]
                == "delivered"
            )
        assert len(received) == 2 and received[-1][0] == "clinic-relay"
    finally:
        relay.stop()


def test_a_password_written_into_config_toml_by_hand_moves_to_the_secret_store(start_agent, sink, home):
    running = start_agent(sink.port)
    text = (
        (home / "config.toml")
        .read_text()
        .replace('username = ""', f'username = "clinic-relay"\npassword = "{PASSWORD}"')
    )
    (home / "config.toml").write_text(text)
    assert patch(running, b'{"relay": {"timeout": 20}}')[0] == 200
    assert PASSWORD not in (home / "config.toml").read_text()
    assert settings.with_relay_password(home, config_mod.load(home)).relay.password == PASSWORD
