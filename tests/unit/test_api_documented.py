"""Every answer a local-API handler gives is in the OpenAPI document (agent/ingress/openapi.py):
the statuses the handlers' unit tests found undocumented, and the door's refusals on every route."""

from __future__ import annotations

import pytest

from agent.ingress.api import ROUTES
from agent.ingress.openapi import OPENAPI
from tests.fake_service import Api, FakeAgent, conforms

FOUND_UNDOCUMENTED = [
    ("post", "/v1/check", "415"),
    ("post", "/v1/messages", "415"),
    ("post", "/v1/bounces", "415"),
    *(
        ("post", f"/v1/messages/{{id}}/{a}", s)
        for a in ("retry", "release", "portal", "revoke")
        for s in ("500", "503")
    ),
    *(("post", "/v1/compose", s) for s in ("409", "415", "500", "503")),
    ("post", "/v1/keys/generate", "400"),
    ("post", "/v1/keys/generate", "500"),
    ("post", "/v1/keys/{fingerprint}/renew", "500"),
    ("get", "/v1/audit", "400"),
    ("get", "/v1/audit/export", "400"),
    ("get", "/v1/audit/export", "409"),
    ("post", "/v1/stamps/verify", "400"),
    ("post", "/v1/stamps/verify", "415"),
]


@pytest.mark.parametrize(("method", "path", "status"), FOUND_UNDOCUMENTED)
def test_a_status_a_handler_answers_is_documented(method, path, status):
    assert status in OPENAPI["paths"][path][method]["responses"]


@pytest.mark.parametrize(("method", "path"), [(m.lower(), p) for m, p, _ in ROUTES])
def test_every_route_documents_the_doors_refusals(method, path):
    responses = OPENAPI["paths"][path][method]["responses"]
    expected = {"421", "403", "500"} | ({"401"} if path != "/v1/health" else set())
    assert expected <= set(responses), sorted(expected - set(responses))


def test_an_unforeseen_failure_at_the_compose_door_is_a_documented_blocked_answer(home):
    agent = FakeAgent(home)
    agent.fail["plan"] = RuntimeError("surprise")
    reply = Api(agent).call(
        "POST",
        "/v1/compose",
        body={
            "client": "outlook",
            "from": "dr.chen@valleyclinic.example",
            "to": ["a@b.example"],
            "subject": "s",
            "body": {"type": "text", "content": "x"},
            "attachments": [],
        },
    )
    assert reply.status == 500 and conforms(reply, "POST", "/v1/compose")["decision"] == "blocked"
