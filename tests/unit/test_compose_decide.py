"""compose.decide (agent/ingress/compose.py) with a fake Agent: each draft planned once and
its stamp issued once; blocked, held, allowed and agent-sent drafts; every way a draft is
unusable (BadDraft) answered as a blocked envelope."""

from __future__ import annotations

import asyncio
import base64

import pytest

from agent.ingress import compose
from agent.ingress.api import answer_draft
from agent.intake import BadMessage
from agent.model import Action, Method
from agent.readiness import Holds, Problem
from agent.stamp import CLIENT_LIMIT
from tests.fake_service import PARTNER, SENDER, FakeAgent, plan

DRAFT = {
    "from": SENDER,
    "to": [PARTNER],
    "subject": "Visit",
    "body": {"type": "text", "content": "Hello"},
    "client": "outlook",
    "draft_id": "d1",
}


@pytest.fixture
def agent(home) -> FakeAgent:
    return FakeAgent(home)


def decide(agent: FakeAgent, draft: object, store: bool = True) -> compose.Answer:
    return asyncio.run(compose.decide(agent, draft, store=store))


def test_allowed_is_planned_once_and_stamped_once(agent):
    answer = decide(agent, DRAFT)
    assert answer.decision == "allow" and answer.plan == agent.answer.to_json() and not answer.id
    assert len(agent.called("plan")) == 1 and not agent.called("submit")
    assert [s for _, s in agent.stamper.issued] == [answer.stamp]
    (record,) = agent.called("record_stamp")
    assert record[1:] == (agent.stamper.issued[0][0], SENDER, [PARTNER], "outlook")
    assert answer.to_json()["found"] == [] and answer.to_json()["stamp"] == answer.stamp


def test_the_stamp_verifies_for_the_draft(agent):
    answer = decide(agent, DRAFT)
    checked = agent.stamper.verify(answer.stamp, SENDER, [PARTNER], "Visit")
    assert checked.verdict == agent.called("record_stamp")[0][1]


def test_blocked_is_recorded_through_submit_and_answers_blocked(agent):
    agent.answer = plan(Action.BLOCK, rule="ssn", reason="an SSN may not leave")
    answer = decide(agent, DRAFT)
    assert answer.decision == "blocked" and answer.plan == agent.answer.to_json()
    (submitted,) = agent.called("submit")
    assert submitted[3][1] is agent.answer  # the plan it was told is the plan recorded
    assert not agent.stamper.issued and not agent.called("record_stamp")
    assert not answer.stamp and not answer.id


def test_held_is_stored_and_says_who_releases_it(agent):
    agent.answer = plan(Action.HOLD, rule="review", reason="a diagnosis to an outside address")
    answer = decide(agent, DRAFT)
    assert answer.decision == "held" and answer.id == "m2" and not answer.stamp
    assert "privacy officer" in answer.message
    assert len(agent.called("submit")) == 1 and len(agent.called("plan")) == 1
    assert not agent.called("record_stamp")


def test_a_setup_hold_gives_the_problems_own_words(agent):
    agent.problems = (
        Problem(
            "portal_unreachable", "portal.url does not answer", Holds.PORTAL, says="the secure portal cannot be reached"
        ),
    )
    agent.answer = plan(Action.HOLD, Method.PORTAL, rule="setup", reason="portal.url does not answer")
    answer = decide(agent, DRAFT)
    assert answer.decision == "held" and "the secure portal cannot be reached" in answer.message
    assert "portal.url" not in answer.message and "IT team" in answer.message


@pytest.mark.parametrize("method", [Method.SMIME, Method.PGP, Method.PORTAL])
def test_a_protected_draft_is_sent_by_the_agent_once(agent, method):
    agent.answer = plan(method=method)
    answer = decide(agent, DRAFT)
    assert answer.decision == "sent" and answer.id == "m2" and not answer.stamp
    (submitted,) = agent.called("submit")
    assert submitted[3][1] is agent.answer and len(agent.called("plan")) == 1
    assert not agent.called("record_stamp")


def test_too_many_recipients_for_a_stamp_are_sent_by_the_agent(agent):
    many = [f"r{n}@harborbilling.example" for n in range(40)]
    agent.answer = plan(recipients=tuple(many))
    answer = decide(agent, {**DRAFT, "to": many})
    assert len(agent.stamper.issued[0][1]) > CLIENT_LIMIT
    assert answer.decision == "sent" and answer.id == "m2" and not answer.stamp
    assert len(agent.stamper.issued) == 1 and not agent.called("record_stamp")


@pytest.mark.parametrize(
    ("action", "method", "decision"),
    [
        (Action.SEND, Method.TLS, "allow"),
        (Action.SEND, Method.PORTAL, "sent"),
        (Action.HOLD, Method.TLS, "held"),
        (Action.BLOCK, Method.TLS, "blocked"),
    ],
)
def test_the_preview_stores_nothing(agent, action, method, decision):
    agent.answer = plan(action, method)
    answer = decide(agent, DRAFT, store=False)
    assert answer.decision == decision and not answer.id and not answer.stamp
    assert not agent.called("submit") and not agent.called("record_stamp")


def test_an_unreadable_attachment_blocks_without_planning(agent):
    answer = decide(agent, {**DRAFT, "attachments": [{"name": "scan.pdf", "unavailable": "a cloud link"}]})
    assert answer.decision == "blocked" and "scan.pdf" in answer.message and answer.plan is None
    assert not agent.calls


def test_a_message_intake_refuses_is_a_bad_draft(agent):
    agent.fail["plan"] = BadMessage("malformed MIME")
    with pytest.raises(compose.BadDraft, match="malformed MIME"):
        decide(agent, DRAFT)
    assert not agent.called("submit")


B64 = base64.b64encode(b"%PDF-1.4").decode()
BAD_DRAFTS = [
    ("not a dict", "must be a JSON object"),
    ({**DRAFT, "from": "nobody"}, "draft.from"),
    ({**DRAFT, "to": "x@y.example"}, "draft.to: expected a list"),
    ({**DRAFT, "cc": ["not-an-address"]}, "draft.cc"),
    ({**DRAFT, "to": [], "cc": [], "bcc": []}, "no recipients"),
    ({**DRAFT, "subject": 5}, "draft.subject: expected text"),
    ({**DRAFT, "subject": "Visit\r\nBcc: spy@evil.example"}, "draft.subject: must be one line"),
    ({**DRAFT, "subject": "\ud800"}, "lone UTF-16 surrogate"),
    ({**DRAFT, "body": {"type": "rtf", "content": ""}}, "draft.body"),
    ({**DRAFT, "attachments": {}}, "draft.attachments: expected a list"),
    ({**DRAFT, "attachments": ["x"]}, "expected an object with a name"),
    ({**DRAFT, "attachments": [{"name": "a.pdf"}]}, "content_base64 is missing"),
    ({**DRAFT, "attachments": [{"name": "a.pdf", "content_base64": "!!"}]}, "not valid base64"),
    (
        {**DRAFT, "attachments": [{"name": "a.pdf", "content_base64": "A" * (compose.MAX_ATTACHMENT * 4 // 3 + 8)}]},
        "larger than",
    ),
    ({**DRAFT, "attachments": [{"name": "a.pdf", "content_base64": B64, "content_type": "pdf"}]}, "not a MIME type"),
    ({**DRAFT, "client": "out look"}, "draft.client"),
    ({**DRAFT, "draft_id": "d1\nX-Evil: 1"}, "draft_id: must be one line"),
]


@pytest.mark.parametrize(("draft", "why"), BAD_DRAFTS)
def test_each_bad_draft_is_named_and_nothing_is_planned(agent, draft, why):
    with pytest.raises(compose.BadDraft, match=why.replace("(", r"\(")):
        decide(agent, draft)
    assert not agent.calls and not agent.stamper.issued


def test_a_draft_over_the_total_limit_is_bad(agent, monkeypatch):
    monkeypatch.setattr(compose, "MAX_DRAFT", 10)
    with pytest.raises(compose.BadDraft, match="larger than"):
        decide(agent, {**DRAFT, "attachments": [{"name": "a.pdf", "content_base64": B64}]})


@pytest.mark.parametrize(("draft", "why"), BAD_DRAFTS[:6])
def test_a_bad_draft_through_the_door_is_the_blocked_envelope(agent, draft, why):
    """answer_draft (the API's and the add-in origin's compose door) around decide."""
    import json

    from aiohttp.test_utils import make_mocked_request

    request = make_mocked_request("POST", "/v1/compose", headers={"Content-Type": "application/json"})

    async def body() -> bytes:
        return json.dumps(draft).encode()

    request.read = body
    response = asyncio.run(answer_draft(request, agent, store=True))
    answer = json.loads(response.body)
    assert response.status == 400 and set(answer) == {"decision", "message", "error"}
    assert answer["decision"] == "blocked" and answer["error"]["code"] == "bad_draft"
    assert why.split(":")[0] in answer["error"]["message"]
    assert answer["message"].startswith("Postseal cannot check this draft")
