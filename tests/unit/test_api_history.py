"""The local API's history (agent/ingress/api/history.py) over a real audit log in a temporary
home and a fake outbox: pages and filters, verify, the exports, secure replies."""

from __future__ import annotations

import json

import pytest

from agent.model import State
from agent.outbox import MessageRow, RecipientRow
from agent.protect.entity import PORTAL_REPLY
from tests.fake_service import PARTNER, SENDER, Api, FakeAgent, conforms, covers, refused


@pytest.fixture
def agent(home) -> FakeAgent:
    agent = FakeAgent(home)
    log = agent.audit
    log.append("accepted", message="m1", sender=SENDER, recipients=[PARTNER], method={PARTNER: "tls"})
    log.append("delivered", message="m1", recipients=[PARTNER], method="tls")
    log.append(
        "accepted",
        message="m2",
        sender=SENDER,
        recipients=["ana@lakeside.example"],
        method={"ana@lakeside.example": "pgp"},
    )
    log.append("portal_reply", message="r1", sender="ana@lakeside.example")
    log.checkpoint()
    return agent


@covers(("GET", "/v1/audit"))
def test_the_audit_is_the_last_records_oldest_first(agent):
    body = conforms(Api(agent).call("GET", "/v1/audit"), "GET", "/v1/audit")
    assert [r["event"] for r in body["records"]] == ["accepted", "delivered", "accepted", "portal_reply"]
    assert body["total"] == 4 and body["records"] == agent.audit.records()
    body = Api(agent).call("GET", "/v1/audit?limit=2").json()
    assert [r["seq"] for r in body["records"]] == [3, 4]


@covers(("GET", "/v1/audit"))
@pytest.mark.parametrize(
    ("query", "seqs", "total"),
    [
        ("offset=1&limit=2", [2, 3], 4),
        ("offset=0&event=accepted", [1, 3], 2),
        ("offset=0&recipient=LAKESIDE", [3], 1),
        ("offset=0&method=pgp", [3], 1),
        ("offset=0&method=tls", [1, 2], 2),
        ("offset=0&since=4102444800", [], 0),
        ("offset=0&until=1", [], 0),
    ],
)
def test_the_audit_filters_and_pages(agent, query, seqs, total):
    body = conforms(Api(agent).call("GET", f"/v1/audit?{query}"), "GET", "/v1/audit")
    assert [r["seq"] for r in body["records"]] == seqs and body["total"] == total


@covers(("GET", "/v1/audit"))
@pytest.mark.parametrize("query", ["limit=many", "offset=x", "since=yesterday", "until=soon"])
def test_the_audit_refuses_what_is_not_a_number(agent, query):
    refused(Api(agent).call("GET", f"/v1/audit?{query}"), 400, "bad_request")


@covers(("GET", "/v1/audit"))
def test_the_audit_is_read_again_when_the_log_grows(agent):
    api = Api(agent)
    assert api.call("GET", "/v1/audit").json()["total"] == 4

    async def twice(client):  # one app, so one cache: the second read sees the new record
        headers = {"Authorization": "Bearer t0ken-for-tests"}
        first = await (await client.get("/v1/audit", headers=headers)).json()
        agent.audit.append("held", message="m3")
        second = await (await client.get("/v1/audit", headers=headers)).json()
        return first["total"], second["total"]

    import asyncio

    assert asyncio.run(api.session(twice)) == (4, 5)


@covers(("GET", "/v1/audit/verify"))
def test_verify_says_intact_and_then_names_the_problem(agent):
    body = conforms(Api(agent).call("GET", "/v1/audit/verify"), "GET", "/v1/audit/verify")
    assert body == {"ok": True, "records": 4, "unsigned": 0, "problem": ""}
    tamper(agent)
    body = Api(agent).call("GET", "/v1/audit/verify").json()
    assert body["ok"] is False and body["problem"]


def tamper(agent: FakeAgent) -> None:
    lines = agent.audit.path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"delivered"', '"deleted"')
    agent.audit.path.write_text("".join(lines))


@covers(("GET", "/v1/audit/export"))
def test_export_csv_and_signed_json(agent):
    reply = Api(agent).call("GET", "/v1/audit/export")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert reply.text.splitlines()[0].startswith("seq,") and len(reply.text.splitlines()) == 5
    reply = Api(agent).call("GET", "/v1/audit/export?format=json")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    document = json.loads(reply.text)
    assert document["format"] == "postseal-audit-export" and len(document["records"]) == 4 and document["signature"]


@covers(("GET", "/v1/audit/export"))
def test_export_refuses_another_format_and_a_log_that_does_not_verify(agent):
    refused(Api(agent).call("GET", "/v1/audit/export?format=xml"), 400, "bad_request")
    tamper(agent)
    refused(Api(agent).call("GET", "/v1/audit/export?format=json"), 409, "audit_not_intact")


def reply_row(agent: FakeAgent, ident: str, text: str) -> None:
    raw = (
        f"From: ana@lakeside.example\r\nTo: {SENDER}\r\nSubject: Re: Visit\r\n{PORTAL_REPLY}: ana@lakeside.example"
        f"\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
    ).encode()
    row = MessageRow(
        ident,
        f"<{ident}@x>",
        "ana@lakeside.example",
        100.0,
        101.0,
        State.DELIVERED,
        "",
        {},
        (RecipientRow(SENDER, "kept", State.DELIVERED, "", 1, 0.0, None, {"reply": "kept in Postseal"}),),
        "Re: Visit",
    )
    agent.outbox.rows[ident] = (row, raw)


@covers(("GET", "/v1/replies"), ("GET", "/v1/replies/{id}"))
def test_secure_replies_are_those_the_audit_names(agent):
    reply_row(agent, "r1", "Thank you, doctor")
    reply_row(agent, "m1", "not a reply: the audit does not name it one")
    body = conforms(Api(agent).call("GET", "/v1/replies"), "GET", "/v1/replies")
    assert body == {
        "replies": [
            {
                "id": "r1",
                "from": "ana@lakeside.example",
                "subject": "Re: Visit",
                "received": 100.0,
                "method": "kept",
                "state": "delivered",
                "where": "kept in Postseal",
                "attachments": 0,
            }
        ]
    }
    body = conforms(Api(agent).call("GET", "/v1/replies/r1"), "GET", "/v1/replies/{id}")
    assert body["id"] == "r1" and body["text"].strip() == "Thank you, doctor" and body["attachments"] == []
    for unknown in ("m1", "nope"):
        reply = Api(agent).call("GET", f"/v1/replies/{unknown}")
        conforms(reply, "GET", "/v1/replies/{id}")
        refused(reply, 404, "not_found")
