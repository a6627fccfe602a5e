"""The local API's rules in force and this agent's portal enrolment (agent/ingress/api/settings.py)
against the fake service: what `postseal policy check` and `portal enroll` ask a running agent."""

from __future__ import annotations

import pytest

from agent.portal_enrol import EnrolFailed
from tests.fake_service import Api, FakeAgent, conforms, covers, refused


@pytest.fixture
def agent(home) -> FakeAgent:
    return FakeAgent(home)


@covers(("GET", "/v1/policy/rules"))
def test_the_rules_in_force_are_named(agent):
    body = conforms(Api(agent).call("GET", "/v1/policy/rules"), "GET", "/v1/policy/rules")
    assert body == {"source": "/etc/postseal/rules.toml", "managed": True} and agent.called("rules_in_force")


@covers(("POST", "/v1/portal/enrolment"))
def test_the_agent_enrols_with_the_code_it_is_given(agent):
    reply = Api(agent).call(
        "POST",
        "/v1/portal/enrolment",
        body={"url": "https://portal.clinic.example/", "code": "K7-code", "name": "desk"},
    )
    assert reply.status == 201
    assert conforms(reply, "POST", "/v1/portal/enrolment")["agent"] == "agent-7"
    assert agent.called("enrol_portal") == [("enrol_portal", "https://portal.clinic.example/", "K7-code", "desk")]


@covers(("POST", "/v1/portal/enrolment"))
@pytest.mark.parametrize(
    "body",
    [
        b"{",
        {"url": "https://p.example"},
        {"url": "", "code": "c"},
        {"url": "https://p.example", "code": 7},
        ["url"],
        {"url": "https://p.example", "code": "c", "name": 3},
    ],
)
def test_an_enrolment_without_url_and_code_is_refused(agent, body):
    reply = Api(agent).call("POST", "/v1/portal/enrolment", body=body, content_type="application/json")
    conforms(reply, "POST", "/v1/portal/enrolment")
    refused(reply, 400, "bad_request")
    assert not agent.called("enrol_portal")


@covers(("POST", "/v1/portal/enrolment"))
def test_a_portal_that_refuses_is_said(agent):
    agent.fail["enrol_portal"] = EnrolFailed("portal https://p.example refused the enrolment (HTTP 403): used code")
    reply = Api(agent).call("POST", "/v1/portal/enrolment", body={"url": "https://p.example", "code": "c"})
    conforms(reply, "POST", "/v1/portal/enrolment")
    assert refused(reply, 502, "enrol_failed")["error"]["message"].endswith("(HTTP 403): used code")
