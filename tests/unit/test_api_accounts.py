"""The local API's account routes (agent/ingress/accounts_api.py) against a fake Agent and a
fake set of mailbox accounts: listing, starting a sign-in, its status, cancelling, signing out."""

from __future__ import annotations

import dataclasses

import pytest

from agent.accounts import NoKeyring, ProviderUnreachable, SignInError
from tests.fake_service import SENDER, Api, FakeAgent, conforms, covers, refused


@pytest.fixture
def agent(home) -> FakeAgent:
    return FakeAgent(home)


@covers(("GET", "/v1/accounts"))
def test_accounts_with_the_providers_it_set_up(agent):
    agent.config = dataclasses.replace(
        agent.config, accounts=dataclasses.replace(agent.config.accounts, microsoft_client_id="app-id")
    )
    body = conforms(Api(agent).call("GET", "/v1/accounts"), "GET", "/v1/accounts")
    assert body == {
        "accounts": [{"provider": "microsoft", "address": SENDER, "state": "ready", "reason": "", "added": 5.0}],
        "providers": {"microsoft": True, "google": False},
        "transport": "api",
    }


@covers(("POST", "/v1/accounts/sign-in"))
def test_a_sign_in_starts(agent):
    reply = Api(agent).call("POST", "/v1/accounts/sign-in", body={"provider": "microsoft", "device_code": True})
    assert reply.status == 202
    assert conforms(reply, "POST", "/v1/accounts/sign-in") == {
        "id": "s1",
        "provider": "microsoft",
        "state": "waiting",
        "auth_url": "https://login.example/authorize",
        "started": agent.accounts.sign_ins["s1"].started,
    }
    assert agent.accounts.calls == [("start_sign_in", "microsoft", True)]


@covers(("POST", "/v1/accounts/sign-in"))
@pytest.mark.parametrize(
    ("body", "raised", "status", "code"),
    [
        ("{nope", None, 400, "bad_request"),
        ({"device_code": True}, None, 400, "bad_request"),
        ({"provider": "microsoft"}, NoKeyring("no keyring"), 409, "no_keyring"),
        ({"provider": "google"}, ProviderUnreachable("offline"), 503, "provider_unreachable"),
        ({"provider": "yahoo"}, SignInError("yahoo is not set up"), 400, "sign_in"),
    ],
)
def test_a_sign_in_refused(agent, body, raised, status, code):
    if raised is not None:
        agent.accounts.fail["start_sign_in"] = raised
    reply = Api(agent).call("POST", "/v1/accounts/sign-in", body=body, content_type="application/json")
    conforms(reply, "POST", "/v1/accounts/sign-in")
    refused(reply, status, code)
    assert len(agent.accounts.calls) == (raised is not None)


@covers(("GET", "/v1/accounts/sign-in/{id}"), ("DELETE", "/v1/accounts/sign-in/{id}"))
def test_a_sign_ins_status_and_cancelling_it(agent):
    body = conforms(Api(agent).call("GET", "/v1/accounts/sign-in/s1"), "GET", "/v1/accounts/sign-in/{id}")
    assert body["state"] == "waiting" and body["id"] == "s1"
    reply = Api(agent).call("GET", "/v1/accounts/sign-in/gone")
    conforms(reply, "GET", "/v1/accounts/sign-in/{id}")
    refused(reply, 404, "unknown_sign_in")
    reply = Api(agent).call("DELETE", "/v1/accounts/sign-in/s1")
    assert conforms(reply, "DELETE", "/v1/accounts/sign-in/{id}") == {"cancelled": "s1"}
    assert agent.accounts.calls == [("cancel_sign_in", "s1")]


@covers(("DELETE", "/v1/accounts/{address}"))
def test_signing_out(agent):
    reply = Api(agent).call("DELETE", f"/v1/accounts/{SENDER}")
    assert conforms(reply, "DELETE", "/v1/accounts/{address}") == {"removed": SENDER}
    reply = Api(agent).call("DELETE", f"/v1/accounts/{SENDER}")
    conforms(reply, "DELETE", "/v1/accounts/{address}")
    refused(reply, 404, "unknown_account")
