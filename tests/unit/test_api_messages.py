"""The local API's message handlers (agent/ingress/api/messages.py) against a fake Agent:
each success answer's shape (the OpenAPI document) and each error the handler maps, in the
one envelope."""

from __future__ import annotations

import pytest

from agent.bounces import NotADsn
from agent.ingress.openapi import OPENAPI
from agent.intake import BadMessage
from agent.model import Action
from agent.outbox import StorageUnavailable
from agent.protect.portal import PortalUnavailable
from agent.service.errors import MessageIdReused, NotAllowed, NothingToDo, UnknownMessage
from agent.webhooks import BadCallback
from tests.fake_service import PARTNER, SENDER, Api, FakeAgent, conforms, covers, plan, refused

RAW = (
    f"From: {SENDER}\r\nTo: {PARTNER}\r\nSubject: Visit\r\nMessage-ID: <a1@valleyclinic.example>\r\n\r\nHello\r\n"
).encode()
RFC822 = "message/rfc822"


@pytest.fixture
def agent(home) -> FakeAgent:
    return FakeAgent(home)


@covers(("GET", "/v1/health"))
def test_health_says_where_the_keys_are_and_the_problems(agent):
    reply = Api(agent).call("GET", "/v1/health", token=None)
    body = conforms(reply, "GET", "/v1/health")
    assert body == {
        "ok": True,
        "service": "postseal-agent",
        "secrets": agent.secrets.to_json(),
        "problems": [p.to_json() for p in agent.problems],
    }


@covers(("GET", "/v1/openapi.json"))
def test_openapi_is_the_document(agent):
    reply = Api(agent).call("GET", "/v1/openapi.json")
    assert reply.status == 200 and reply.json() == OPENAPI


@covers(("POST", "/v1/check"))
def test_check_answers_the_plan(agent):
    reply = Api(agent).call("POST", "/v1/check", body=RAW, content_type=RFC822)
    assert conforms(reply, "POST", "/v1/check") == {"plan": agent.answer.to_json()}
    assert agent.called("check") == [("check", RAW)] and not agent.called("submit")


@covers(("POST", "/v1/check"))
def test_check_refuses_a_bad_message_and_a_wrong_content_type(agent):
    agent.fail["check"] = BadMessage("no From header")
    reply = Api(agent).call("POST", "/v1/check", body=RAW, content_type=RFC822)
    conforms(reply, "POST", "/v1/check")
    assert refused(reply, 400, "bad_message")["error"]["message"] == "no From header"
    reply = Api(agent).call("POST", "/v1/check", body=RAW, content_type="text/plain")
    refused(reply, 415, "unsupported_media_type")


@covers(("POST", "/v1/messages"))
def test_submit_accepts_with_id_state_plan(agent):
    reply = Api(agent).call("POST", "/v1/messages", body=RAW, content_type=RFC822)
    body = conforms(reply, "POST", "/v1/messages")
    assert reply.status == 202
    assert body == {"id": "m2", "state": "queued", "plan": agent.answer.to_json(), "duplicate": False}
    assert agent.called("submit")[0][2] == ""  # no callback asked for


@covers(("POST", "/v1/messages"))
def test_submit_with_a_callback_gives_its_secret(agent):
    url = "http://127.0.0.1:9/hook"
    reply = Api(agent).call("POST", f"/v1/messages?callback_url={url}", body=RAW, content_type=RFC822)
    assert conforms(reply, "POST", "/v1/messages")["callback_secret"] == "s3cret"
    assert agent.called("submit")[0][2] == url


@covers(("POST", "/v1/messages"))
@pytest.mark.parametrize(
    ("raised", "status", "code", "extra"),
    [
        (BadMessage("no From header"), 400, "bad_message", ()),
        (BadCallback("callback_url must be loopback"), 400, "bad_callback", ()),
        (StorageUnavailable("disk full"), 503, "storage_unavailable", ()),
        (MessageIdReused("a1@valleyclinic.example", "m9"), 409, "message_id_reused", ("id",)),
    ],
)
def test_submit_maps_each_refusal(agent, raised, status, code, extra):
    agent.fail["submit"] = raised
    reply = Api(agent).call("POST", "/v1/messages", body=RAW, content_type=RFC822)
    conforms(reply, "POST", "/v1/messages")
    body = refused(reply, status, code, *extra)
    assert body["error"]["message"] == str(raised)
    if extra:
        assert body["id"] == "m9"


@covers(("POST", "/v1/messages"))
def test_submit_blocked_carries_the_plan(agent):
    agent.answer = plan(Action.BLOCK, rule="ssn-external", reason="an SSN may not leave")
    reply = Api(agent).call("POST", "/v1/messages", body=RAW, content_type=RFC822)
    conforms(reply, "POST", "/v1/messages")
    body = refused(reply, 422, "blocked", "plan")
    assert body["plan"] == agent.answer.to_json() and body["error"]["message"] == "an SSN may not leave"


@covers(("POST", "/v1/messages"))
def test_an_unexpected_failure_is_a_json_500_without_its_text(agent):
    agent.fail["submit"] = RuntimeError("patient Jane Roe 123-45-6789")
    reply = Api(agent).call("POST", "/v1/messages", body=RAW, content_type=RFC822)
    body = refused(reply, 500, "internal_error")
    assert "Jane" not in reply.text and "6789" not in reply.text
    assert "POST /v1/messages" in body["error"]["message"] and "RuntimeError" in body["error"]["message"]


@covers(("GET", "/v1/messages/{id}"))
def test_one_message_and_an_unknown_one(agent):
    reply = Api(agent).call("GET", "/v1/messages/m1")
    assert conforms(reply, "GET", "/v1/messages/{id}") == agent.rows["m1"].to_json()
    reply = Api(agent).call("GET", "/v1/messages/nope")
    conforms(reply, "GET", "/v1/messages/{id}")
    refused(reply, 404, "not_found")


ACTIONS = [
    ("retry", 202, "retried", 1),
    ("release", 202, "released", 2),
    ("portal", 202, "rerouted", 3),
    ("revoke", 200, "revoked", 4),
]


@covers(*[("POST", f"/v1/messages/{{id}}/{a}") for a, *_ in ACTIONS])
def test_an_action_says_how_many_recipients(agent):
    for action, status, key, count in ACTIONS:
        reply = Api(agent).call("POST", f"/v1/messages/m1/{action}")
        assert reply.status == status
        assert conforms(reply, "POST", f"/v1/messages/{{id}}/{action}") == {"id": "m1", key: count}
        assert agent.called(action)[0][1] == "m1"


@covers(*[("POST", f"/v1/messages/{{id}}/{a}") for a, *_ in ACTIONS])
@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (UnknownMessage("no message m1"), 404, "not_found"),
        (NotAllowed("your organization does not allow it"), 403, "managed"),
        (NothingToDo("nothing"), 409, None),
        (PortalUnavailable("the portal is down"), 503, "portal_unavailable"),
        (KeyError("m1"), 500, "internal_error"),
    ],
)
def test_an_action_maps_each_refusal(agent, raised, status, code):
    conflict = {
        "retry": "nothing_to_retry",
        "release": "not_held",
        "portal": "nothing_to_reroute",
        "revoke": "not_portal",
    }
    for action, *_ in ACTIONS:
        agent.fail = {action: raised}
        reply = Api(agent).call("POST", f"/v1/messages/m1/{action}")
        if status < 500:  # the document names 403, 404 and 409 for every action
            conforms(reply, "POST", f"/v1/messages/{{id}}/{action}")
        refused(reply, status, code or conflict[action])


@covers(("POST", "/v1/messages/{id}/release"))
def test_release_passes_the_note_and_refuses_a_body_that_is_not_json(agent):
    reply = Api(agent).call("POST", "/v1/messages/m1/release", body={"note": "checked with the patient"})
    assert reply.status == 202 and agent.called("release") == [("release", "m1", "checked with the patient")]
    reply = Api(agent).call("POST", "/v1/messages/m1/release", body="{not json", content_type="application/json")
    assert "note" in refused(reply, 400, "bad_request")["error"]["message"]
    assert len(agent.called("release")) == 1


@covers(("POST", "/v1/bounces"))
def test_a_bounce_and_its_refusals(agent):
    reply = Api(agent).call("POST", "/v1/bounces", body=RAW, content_type=RFC822)
    assert conforms(reply, "POST", "/v1/bounces") == {
        "id": "m1",
        "recipients": [{"address": PARTNER, "status": "5.1.1", "state": "failed"}],
        "unmatched": ["x@y.example"],
    }
    agent.fail["apply_bounce"] = NotADsn("no message/delivery-status part")
    reply = Api(agent).call("POST", "/v1/bounces", body=RAW, content_type=RFC822)
    conforms(reply, "POST", "/v1/bounces")
    refused(reply, 400, "not_a_dsn")
    agent.fail["apply_bounce"] = UnknownMessage("no message matches")
    reply = Api(agent).call("POST", "/v1/bounces", body=RAW, content_type=RFC822)
    conforms(reply, "POST", "/v1/bounces")
    refused(reply, 404, "unknown_message")


@covers(("GET", "/v1/outbox"), ("GET", "/v1/outbox/summary"))
def test_the_outbox_and_its_summary(agent):
    reply = Api(agent).call("GET", "/v1/outbox")
    assert conforms(reply, "GET", "/v1/outbox") == {"messages": [agent.rows["m1"].to_json()]}
    agent.audit_problem = "the audit log cannot be written"
    reply = Api(agent).call("GET", "/v1/outbox/summary")
    assert conforms(reply, "GET", "/v1/outbox/summary") == {
        "counts": {"queued": 1, "held": 2},
        "offline_since": 12.5,
        "audit_problem": "the audit log cannot be written",
    }
