"""The local API's doors for mail programs (agent/ingress/api/drafts.py) against a fake Agent:
compose and its preview, stamps verified and the stamp key, the SMTP submission settings."""

from __future__ import annotations

import pytest

from agent.ingress import smtp as smtp_ingress
from agent.model import Action, Method
from agent.outbox import StorageUnavailable
from agent.service.errors import MessageIdReused
from agent.stamp import HEADER
from tests.fake_service import PARTNER, SENDER, Api, FakeAgent, conforms, covers, plan, refused

DRAFT = {
    "from": SENDER,
    "to": [PARTNER],
    "subject": "Visit",
    "body": {"type": "text", "content": "Hello"},
    "client": "outlook",
}
BLOCKED = ("decision", "message")  # a compose door's refusal also says "blocked" (ingress/envelope.py)


@pytest.fixture
def agent(home) -> FakeAgent:
    return FakeAgent(home)


@covers(("POST", "/v1/compose"))
def test_compose_allows_with_one_stamp_recorded(agent):
    reply = Api(agent).call("POST", "/v1/compose", body=DRAFT)
    body = conforms(reply, "POST", "/v1/compose")
    assert body["decision"] == "allow" and body["plan"] == agent.answer.to_json()
    assert [stamp for _, stamp in agent.stamper.issued] == [body["stamp"]]
    assert agent.called("record_stamp")[0][1] == agent.stamper.issued[0][0]
    assert not agent.called("submit")


@covers(("POST", "/v1/compose"))
def test_compose_sends_a_protected_draft_itself(agent):
    agent.answer = plan(method=Method.PGP)
    body = conforms(Api(agent).call("POST", "/v1/compose", body=DRAFT), "POST", "/v1/compose")
    assert body["decision"] == "sent" and body["id"] == "m2" and "stamp" not in body
    assert len(agent.called("submit")) == 1


@covers(("POST", "/v1/compose/check"))
@pytest.mark.parametrize(
    ("action", "method", "decision"),
    [
        (Action.SEND, Method.TLS, "allow"),
        (Action.SEND, Method.SMIME, "sent"),
        (Action.HOLD, Method.TLS, "held"),
        (Action.BLOCK, Method.TLS, "blocked"),
    ],
)
def test_the_preview_keeps_queues_and_stamps_nothing(agent, action, method, decision):
    agent.answer = plan(action, method)
    body = conforms(Api(agent).call("POST", "/v1/compose/check", body=DRAFT), "POST", "/v1/compose/check")
    assert body["decision"] == decision and "id" not in body and "stamp" not in body
    assert not agent.called("submit") and not agent.called("record_stamp")


@covers(("POST", "/v1/compose"), ("POST", "/v1/compose/check"))
@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (DRAFT, "text/plain", 415),
        ("{not json", "application/json", 400),
        ([1, 2], "application/json", 400),
        ({**DRAFT, "to": ["not an address"]}, "application/json", 400),
    ],
)
def test_a_bad_draft_is_blocked_in_the_envelope(agent, body, content_type, status):
    import json

    data = body if isinstance(body, str) else json.dumps(body)
    for path in ("/v1/compose", "/v1/compose/check"):
        reply = Api(agent).call("POST", path, body=data, content_type=content_type)
        answer = refused(reply, status, "bad_draft", *BLOCKED)
        assert answer["decision"] == "blocked" and answer["message"].startswith("Postseal cannot check this draft")
    assert not agent.called("plan") and not agent.called("submit")


@covers(("POST", "/v1/compose"))
@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (StorageUnavailable("disk full"), 503, "storage_unavailable"),
        (MessageIdReused("postseal-outlook-1@valleyclinic.example", "m9"), 409, "message_id_reused"),
    ],
)
def test_compose_refusals_from_the_outbox_say_blocked(agent, raised, status, code):
    agent.answer = plan(method=Method.PORTAL)
    agent.fail["submit"] = raised
    answer = refused(Api(agent).call("POST", "/v1/compose", body=DRAFT), status, code, *BLOCKED)
    assert answer["decision"] == "blocked" and answer["error"]["message"] == str(raised)
    assert str(raised) not in answer["message"]  # the sender reads plain words, IT the technical text


@covers(("POST", "/v1/compose"))
def test_compose_that_fails_unexpectedly_is_a_500_without_the_text_that_still_says_blocked(agent):
    agent.fail["plan"] = RuntimeError("Jane Roe's diagnosis")
    reply = Api(agent).call("POST", "/v1/compose", body=DRAFT)
    answer = refused(reply, 500, "internal_error", *BLOCKED)
    assert answer["decision"] == "blocked"  # an add-in reading only the decision fails closed
    assert "Jane" not in reply.text


def stamped(agent: FakeAgent, recipients: list[str], subject: str = "Visit") -> bytes:
    _, stamp = agent.stamper.issue(SENDER, recipients, subject)
    return (
        f"{HEADER}: {stamp}\r\nFrom: {SENDER}\r\nTo: {', '.join(recipients)}\r\nSubject: Visit\r\n\r\nHello\r\n"
    ).encode()


@covers(("POST", "/v1/stamps/verify"))
def test_a_stamp_verifies_and_is_counted(agent):
    raw = stamped(agent, [PARTNER])
    verdict = agent.stamper.issued[0][0]
    for seen in (0, 1):
        reply = Api(agent).call("POST", "/v1/stamps/verify", body=raw, content_type="message/rfc822")
        body = conforms(reply, "POST", "/v1/stamps/verify")
        assert body["valid"] is True and body["verdict"] == verdict and body["seen_before"] == seen
        assert body["key_id"] == agent.stamper.key_id


@covers(("POST", "/v1/stamps/verify"))
def test_a_stamp_for_other_recipients_or_none_is_not_valid(agent):
    raw = stamped(agent, [PARTNER])
    reply = Api(agent).call(
        "POST", "/v1/stamps/verify?recipients=other@elsewhere.example", body=raw, content_type="message/rfc822"
    )
    body = conforms(reply, "POST", "/v1/stamps/verify")
    assert body["valid"] is False and body["reason"]
    unstamped = raw.split(b"\r\n", 1)[1]
    body = Api(agent).call("POST", "/v1/stamps/verify", body=unstamped, content_type="message/rfc822").json()
    assert body["valid"] is False and body["reason"]


@covers(("POST", "/v1/stamps/verify"))
def test_a_gateway_that_sees_a_share_of_the_recipients_still_verifies(agent):
    raw = stamped(agent, [PARTNER, "ana@lakeside.example"])
    reply = Api(agent).call(
        "POST", f"/v1/stamps/verify?recipients={PARTNER},%20", body=raw, content_type="message/rfc822"
    )
    assert conforms(reply, "POST", "/v1/stamps/verify")["valid"] is True
    reply = Api(agent).call(
        "POST", f"/v1/stamps/verify?recipients={PARTNER},%20x@evil.example", body=raw, content_type="message/rfc822"
    )
    assert reply.json()["valid"] is False


@covers(("POST", "/v1/stamps/verify"))
def test_verifying_a_message_that_is_not_one_is_400(agent):
    reply = Api(agent).call("POST", "/v1/stamps/verify", body=b"   ", content_type="message/rfc822")
    refused(reply, 400, "bad_message")
    reply = Api(agent).call("POST", "/v1/stamps/verify", body=b"From: a@b.example\r\n\r\nx", content_type="text/plain")
    refused(reply, 415, "unsupported_media_type")


@covers(("GET", "/v1/stamps/key"))
def test_the_stamp_key_is_the_stampers(agent):
    body = conforms(Api(agent).call("GET", "/v1/stamps/key"), "GET", "/v1/stamps/key")
    assert body == {"key_id": agent.stamper.key_id, "public_key_pem": agent.stamper.public_pem()}
    assert body["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


@covers(("GET", "/v1/ingress/credentials"))
def test_smtp_credentials_when_submission_listens_and_404_when_off(agent):
    reply = Api(agent).call("GET", "/v1/ingress/credentials")
    conforms(reply, "GET", "/v1/ingress/credentials")
    refused(reply, 404, "smtp_off")
    reply = Api(agent, smtp_port=2525).call("GET", "/v1/ingress/credentials")
    assert conforms(reply, "GET", "/v1/ingress/credentials") == {
        "host": "127.0.0.1",
        "port": 2525,
        "security": "STARTTLS",
        "username": smtp_ingress.USERNAME,
        "password": smtp_ingress.password(agent.home),
        "ca_file": str(agent.home / "tls" / "local-ca.pem"),
    }
