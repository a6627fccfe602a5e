"""The drafts the add-ins hand over (POST /v1/compose): allow with a stamp, sent by the agent,
held, blocked — and stamps that verify only on the message they were issued for."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from email import message_from_bytes, policy

import pytest

from agent.api.client import AgentClient
from agent.ingress.compose import MAX_ATTACHMENT

CLINIC = "dr.chen@valleyclinic.example"


def draft(**fields) -> dict:
    out = {
        "client": "outlook",
        "from": CLINIC,
        "to": ["nurse.kim@valleyclinic.example"],
        "cc": [],
        "bcc": [],
        "subject": "Rota for December",
        "body": {"type": "html", "content": "<p>See you Monday.</p>"},
        "attachments": [],
    }
    out.update(fields)
    return out


def post(running, path: str, body, content_type: str = "application/json") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{running.api_url}{path}",
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {running.token}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def agent(start_agent, sink):
    running = start_agent(sink.port)
    return running, AgentClient(running.api_url, running.token, timeout=30)


def stamped_message(fields: dict, stamp: str, **changes) -> bytes:
    """The message as the client would send it, with the header the add-in adds."""
    d = {**fields, **changes}
    lines = [f"From: {d['from']}", f"To: {', '.join(d['to'])}", f"Subject: {d['subject']}"]
    if d.get("cc"):
        lines.append(f"Cc: {', '.join(d['cc'])}")
    lines += [f"X-Postseal-Verdict: {stamp}", "", "body", ""]
    return "\r\n".join(lines).encode()


def test_internal_draft_is_allowed_with_a_stamp_that_fits_only_its_own_message(agent):
    running, client = agent
    fields = draft(cc=["billing@valleyclinic.example"], bcc=["claims@harborbilling.example"])
    status, answer = post(running, "/v1/compose", fields)
    assert status == 200 and answer["decision"] == "allow", answer
    assert {r["method"] for r in answer["plan"]["recipients"]} == {"internal", "tls"}
    stamp = answer["stamp"]
    assert stamp.startswith("v1.") and "valleyclinic" not in stamp  # recipients are digests, not names
    assert client.outbox() == []  # the client sends it, not the agent

    ok = post(running, "/v1/stamps/verify", stamped_message(fields, stamp), "message/rfc822")[1]
    assert ok["valid"] and ok["seen_before"] == 0
    assert post(running, "/v1/stamps/verify", stamped_message(fields, stamp), "message/rfc822")[1]["seen_before"] == 1
    # The gateway of one domain sees only its share of the recipients: still valid.
    share = stamped_message(fields, stamp, to=["claims@harborbilling.example"], cc=[])
    assert post(running, "/v1/stamps/verify", share, "message/rfc822")[1]["valid"]
    for changes, why in (
        ({"to": ["someone@elsewhere.example"]}, "not issued for 1 of the recipients"),
        ({"subject": "Another message"}, "another subject"),
        ({"from": "intruder@valleyclinic.example"}, "another sender"),
    ):
        result = post(running, "/v1/stamps/verify", stamped_message(fields, stamp, **changes), "message/rfc822")[1]
        assert not result["valid"] and why in result["reason"], changes
    forged = stamp[:-6] + ("AAAAAA" if not stamp.endswith("AAAAAA") else "BBBBBB")
    result = post(running, "/v1/stamps/verify", stamped_message(fields, forged), "message/rfc822")[1]
    assert not result["valid"] and "signature" in result["reason"]
    missing = post(running, "/v1/stamps/verify", stamped_message(fields, ""), "message/rfc822")[1]
    assert not missing["valid"] and "no X-Postseal-Verdict" in missing["reason"]
    # The stamp is in the audit log, with who and why.
    records = [r for r in client.audit() if r.get("event") == "stamped"]
    assert len(records) == 1 and records[0]["sender"] == CLINIC and len(records[0]["recipients"]) == 3


def test_external_draft_is_sent_by_the_agent_and_asking_twice_queues_it_once(agent, sink):
    running, client = agent
    fields = draft(
        to=["jordan.miles@familymail.example"],
        subject="Your follow-up",
        body={"type": "text", "content": "Your follow-up visit is on Friday."},
        attachments=[
            {
                "name": "visit.txt",
                "content_type": "text/plain",
                "content_base64": base64.b64encode(b"Friday 10:00").decode(),
            }
        ],
    )
    status, answer = post(running, "/v1/compose", fields)
    assert status == 200 and answer["decision"] == "sent" and "stamp" not in answer, answer
    assert "portal" in answer["message"] and answer["plan"]["recipients"][0]["method"] == "portal"
    assert client.wait(answer["id"])["state"] == "delivered"
    again = post(running, "/v1/compose", fields)[1]
    assert again["decision"] == "sent" and again["id"] == answer["id"]  # a lost answer does not send twice
    assert len(client.outbox()) == 1
    notice = message_from_bytes(sink.received[-1].data, policy=policy.default)
    assert "Friday" not in notice.get_body(("plain",)).get_content()  # the portal notice, not the text


def test_phi_draft_is_held_and_waits_in_the_outbox(agent):
    running, client = agent
    fields = draft(
        to=["records@statedisability.example"],
        subject="Disability form",
        body={"type": "text", "content": "SSN: 512-44-8721, DOB: 03/14/1958."},
    )
    preview = post(running, "/v1/compose/check", fields)[1]
    assert preview["decision"] == "held" and client.outbox() == []  # the preview keeps nothing
    status, answer = post(running, "/v1/compose", fields)
    assert status == 200 and answer["decision"] == "held"
    assert "Held for review" in answer["message"] and "Social Security number" in answer["message"]
    assert ".." not in answer["message"]
    assert client.message(answer["id"])["state"] == "held"


def test_preview_of_an_internal_draft_stamps_nothing(agent):
    running, client = agent
    answer = post(running, "/v1/compose/check", draft())[1]
    assert answer["decision"] == "allow" and "stamp" not in answer
    assert not [r for r in client.audit() if r.get("event") == "stamped"]


def test_an_attachment_the_client_could_not_read_blocks_the_send(agent):
    running, client = agent
    fields = draft(attachments=[{"name": "scan.pdf", "unavailable": "cloud attachment (link only)"}])
    status, answer = post(running, "/v1/compose", fields)
    assert status == 200 and answer["decision"] == "blocked"
    assert "'scan.pdf' (cloud attachment (link only))" in answer["message"]
    assert "Attach the file from your computer" in answer["message"] and client.outbox() == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"from": "not an address"}, "draft.from"),
        ({"to": [], "cc": [], "bcc": []}, "no recipients"),
        ({"to": "nurse@valleyclinic.example"}, "draft.to"),
        ({"to": ["nurse@@valleyclinic"]}, "draft.to"),
        ({"body": {"type": "rtf", "content": ""}}, "draft.body"),
        ({"attachments": [{"name": "a.pdf", "content_base64": "***"}]}, "not valid base64"),
        ({"attachments": [{"name": "a.pdf"}]}, "content_base64 is missing"),
        (
            {"attachments": [{"name": "a.bin", "content_base64": "A" * (MAX_ATTACHMENT // 3 * 4 + 8)}]},
            "larger than 25 MB",
        ),
        ({"attachments": [{"name": "a.txt", "content_type": "text", "content_base64": "YQ=="}]}, "not a MIME type"),
    ],
)
def test_bad_drafts_are_blocked_with_the_field_named(agent, fields, named):
    running, client = agent
    status, answer = post(running, "/v1/compose", draft(**fields))
    assert status == 400 and answer["decision"] == "blocked" and named in answer["error"]["message"], answer
    # The sender reads the field as the compose window names it; the path is for IT.
    assert "draft." not in answer["message"] and answer["message"].startswith("Postseal cannot check this draft")
    assert client.outbox() == []


def test_not_json_is_refused(agent):
    running, _ = agent
    assert post(running, "/v1/compose", b"{not json")[0] == 400
    assert post(running, "/v1/compose", b"From: a@b\r\n\r\n", "message/rfc822")[0] == 415
    assert post(running, "/v1/compose", [1, 2])[1]["decision"] == "blocked"


def test_the_stamp_key_is_published_for_gateways(agent):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    running, _ = agent
    request = urllib.request.Request(
        f"{running.api_url}/v1/stamps/key", headers={"Authorization": f"Bearer {running.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        key = json.loads(response.read())
    load_pem_public_key(key["public_key_pem"].encode())
    assert len(key["key_id"]) == 16


def test_every_answer_has_the_documented_shape_and_plain_words_for_people(agent):
    """The OpenAPI document's ComposeAnswer, checked with jsonschema on real answers: the
    sentences people read (message, found, each recipient's `says`) are plain words, while
    the technical reason stays beside them for IT."""
    import jsonschema

    from agent.ingress.openapi import OPENAPI
    from tests.plain_text import assert_plain, jargon_in

    running, _ = agent
    schema = {"$ref": "#/components/schemas/ComposeAnswer", "components": OPENAPI["components"]}
    phi = {"type": "text", "content": "SSN: 512-44-8721, DOB: 03/14/1958."}
    drafts = [
        draft(),
        draft(to=["claims@harborbilling.example", "jordan.miles@familymail.example"]),
        draft(to=["records@statedisability.example"], body=phi),
        draft(to=["nurse@@valleyclinic"]),
    ]
    for fields in drafts:
        for path in ("/v1/compose/check", "/v1/compose"):
            _, answer = post(running, path, fields)
            jsonschema.validate(answer, schema, cls=jsonschema.Draft202012Validator)
            assert_plain(answer["message"], f"{path} {answer['decision']}")
            for line in answer.get("found", []):
                assert_plain(line, "found")
            for recipient in answer.get("plan", {}).get("recipients", []):
                assert recipient["says"] and recipient["reason"], recipient
                assert_plain(recipient["says"], recipient["address"])
    portal = post(running, "/v1/compose/check", drafts[1])[1]["plan"]["recipients"][1]
    assert jargon_in(portal["reason"])  # "no key on file: …": still there for IT, never shown


@pytest.mark.parametrize(
    "fields",
    [
        draft(),  # allowed: the client sends it with a stamp
        draft(to=["maria.gonzalez@mailbox.example"], body={"type": "text", "content": "Your results are ready."}),
        draft(to=["records@statedisability.example"], body={"type": "text", "content": "SSN 512-44-8721"}),
    ],
    ids=["allowed", "sent by the agent", "held"],
)
def test_a_draft_is_planned_once_and_its_stamp_issued_once(agent, fields, monkeypatch):
    running, _ = agent
    service = running.agent
    calls = {"plan": 0, "issue": 0}
    plan, issue = service.plan, service.stamper.issue

    def counted_plan(*args, **kwargs):
        calls["plan"] += 1
        return plan(*args, **kwargs)

    def counted_issue(*args, **kwargs):
        calls["issue"] += 1
        return issue(*args, **kwargs)

    monkeypatch.setattr(service, "plan", counted_plan)
    monkeypatch.setattr(service.stamper, "issue", counted_issue)
    status, answer = post(running, "/v1/compose", fields)
    assert status == 200, answer
    # What the sender was told is what was stored: one plan; one stamp, measured and given.
    assert calls == {"plan": 1, "issue": 1}, (answer["decision"], calls)
