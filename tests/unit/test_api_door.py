"""The local API's door (agent/ingress/api/door.py): the token, the Host and the Origin are
checked before any handler runs, /v1/health alone is open, and whatever goes wrong leaves in
the one error envelope."""

from __future__ import annotations

import pytest

from tests.fake_service import TOKEN, Api, FakeAgent, covers, refused


@pytest.fixture
def agent(home) -> FakeAgent:
    return FakeAgent(home)


@covers(("GET", "/v1/outbox"))
@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_no_or_a_wrong_token_is_401_and_reaches_no_handler(agent, token):
    headers = {"Authorization": token} if token == "" else None
    reply = Api(agent).call("GET", "/v1/outbox", token=None if token == "" else token, headers=headers)
    refused(reply, 401, "unauthorized")
    assert not agent.calls


@covers(("GET", "/v1/outbox"))
def test_the_token_must_come_as_a_bearer(agent):
    reply = Api(agent).call("GET", "/v1/outbox", token=None, headers={"Authorization": TOKEN})
    refused(reply, 401, "unauthorized")
    assert Api(agent).call("GET", "/v1/outbox").status == 200


@covers(("GET", "/v1/outbox"), ("GET", "/v1/health"))
@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1", "localhost:1", "attacker.example:80"])
def test_a_foreign_host_is_421_even_with_the_token(agent, host):
    reply = Api(agent).call("GET", "/v1/outbox", headers={"Host": host})
    assert "DNS rebinding" in refused(reply, 421, "bad_host")["error"]["message"]
    refused(Api(agent).call("GET", "/v1/health", headers={"Host": host}), 421, "bad_host")
    assert not agent.calls


@covers(("GET", "/v1/outbox"))
def test_a_foreign_origin_is_403_and_a_listed_one_passes(agent):
    reply = Api(agent).call("GET", "/v1/outbox", headers={"Origin": "https://evil.example"})
    refused(reply, 403, "bad_origin")
    assert not agent.calls
    assert Api(agent).call("GET", "/v1/outbox", headers={"Origin": "https://outlook.office.com"}).status == 200


@covers(("GET", "/v1/health"))
def test_health_is_open_without_a_token_and_nothing_else_is(agent):
    assert Api(agent).call("GET", "/v1/health", token=None).status == 200
    assert Api(agent).call("GET", "/v1/health", token="wrong").status == 200


def test_an_unknown_path_and_a_wrong_method_answer_in_the_envelope(agent):
    refused(Api(agent).call("GET", "/v1/nothing-here"), 404, "not_found")
    refused(Api(agent).call("DELETE", "/v1/outbox"), 405, "method_not_allowed")


@covers(("POST", "/v1/messages"))
def test_a_message_over_the_limit_is_413(agent):
    from agent.intake import MAX_MESSAGE_BYTES

    reply = Api(agent).call("POST", "/v1/messages", body=b"x" * (MAX_MESSAGE_BYTES + 2), content_type="message/rfc822")
    refused(reply, 413, "too_large")
    assert not agent.called("submit")


@covers(("GET", "/v1/outbox/summary"))
def test_a_surprise_in_any_handler_is_a_json_500_naming_the_route_not_the_text(agent, caplog):
    def broken() -> dict[str, int]:
        raise ValueError("secret subject: HIV test result")

    agent.counts = broken
    reply = Api(agent).call("GET", "/v1/outbox/summary")
    body = refused(reply, 500, "internal_error")
    assert "HIV" not in reply.text and "GET /v1/outbox/summary" in body["error"]["message"]
    assert "HIV" not in caplog.text and "/v1/outbox/summary" in caplog.text
