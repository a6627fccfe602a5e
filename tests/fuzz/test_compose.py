"""The add-in compose JSON (addins/PROTOCOL.md) at every door that takes it — the local API's
/v1/compose and /v1/compose/check, and the Outlook add-in origin's /addin/v1/… — in process
and against one real agent: a draft is a message with exactly its own sender and
recipients, or a bad draft; every answer is JSON with a decision; a draft the agent says it
keeps is in the outbox, and a check keeps nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent import intake
from agent.ingress import compose
from tests.fuzz.drafts import drafts
from tests.fuzz.messages import EXTERNAL, SENDER
from tests.fuzz.timebox import timeboxed
from tests.fuzz.world import assert_in_outbox, call, json_answer, start_world

DECISIONS = ("allow", "sent", "held", "blocked")
DOORS = ("/v1/compose", "/v1/compose/check", "/addin/v1/compose", "/addin/v1/check")
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module")


@pytest.fixture(scope="module")
def world(tmp_path_factory, log_tap):
    yield from start_world(tmp_path_factory, log_tap, addin=True)


@timeboxed(share=0.3)
@given(data=drafts())
def test_a_draft_is_a_message_with_exactly_its_sender_and_recipients_or_a_bad_draft(data):
    try:
        draft = compose.parse_draft(data)
    except compose.BadDraft as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    raw = compose.build_message(draft)
    try:
        parsed = intake.parse(raw)
    except intake.BadMessage:
        return  # decide() answers it as a bad draft (an attachment labelled multipart/…)
    assert parsed.sender == draft.sender
    assert set(parsed.recipients) == set(draft.recipients)
    assert "Bcc" not in intake.without_bcc(parsed.message)


def bodies() -> st.SearchStrategy[bytes]:
    valid = st.one_of(
        drafts().map(lambda d: json.dumps(d).encode()),
        st.sampled_from((b"null", b"[]", b'"draft"', b'{"to": ["a@b.example"]}')),
    )
    return st.one_of(
        valid,
        drafts().map(lambda d: json.dumps(d).encode()[:-3]),  # cut short
        st.binary(max_size=100),
        st.sampled_from((b"", b"{", b"\xff\xfe{}")),
    )


# Every door gets any body (found here: the add-in origin answered a body that is not JSON,
# or not sent as application/json, in text/plain).
@st.composite
def requests(draw) -> tuple[str, bytes, str]:
    door = draw(st.sampled_from(DOORS))
    ctype = draw(st.sampled_from(("application/json",) * 5 + ("text/plain", "message/rfc822")))
    return door, draw(bodies()), ctype


def outbox_ids(world) -> set[str]:
    return {m["id"] for m in json_answer(*call(world, "GET", "/v1/outbox"))["messages"]}


@timeboxed(share=0.7)
@given(request=requests())
def test_any_body_at_any_compose_door_is_answered_in_json_with_a_decision(world, log_tap, request):
    door, body, ctype = request
    stores = not door.endswith("check")
    before = None if stores else outbox_ids(world)
    status, answer_type, raw = call(world, "POST", door, body, ctype)
    answer = json_answer(status, answer_type, raw)
    assert status in (200, 400, 415), (status, answer)
    # A draft the agent read is answered with a decision; a body that is not a JSON draft at
    # all may be a plain API error (bad_request, unsupported_media_type).
    if status == 200 or answer["error"]["code"] == "bad_draft":
        assert answer.get("decision") in DECISIONS and isinstance(answer.get("message"), str), answer
    if status == 200:
        if answer["decision"] in ("sent", "held") and stores:
            assert_in_outbox(world, answer["id"])
        if answer["decision"] == "allow" and stores:
            assert answer.get("stamp", "").startswith("v1."), answer
    if not stores:
        assert outbox_ids(world) == before, "a check kept something"
    assert log_tap.leaks() == []


def draft(**fields) -> dict:
    return {
        "client": "outlook",
        "from": SENDER,
        "to": [EXTERNAL[0]],
        "subject": "Follow-up",
        "body": {"type": "text", "content": "See you Monday."},
        **fields,
    }


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"subject": "line one\r\nBcc: x@evil.example"}, id="CR/LF in the subject"),
        pytest.param({"attachments": [{"name": "a\nb.txt", "content_base64": "aGk="}]}, id="LF in a file name"),
        pytest.param({"subject": "\ud800"}, id="lone surrogate"),
        pytest.param({"client": "outl\u00f6\u00f6k"}, id="non-ASCII client name"),
        pytest.param(
            {"attachments": [{"name": "a.txt", "content_base64": "aGk=", "content_type": "/ ; \x80"}]},
            id="non-ASCII content type",
        ),
    ],
)
def test_header_breaking_draft_fields_are_a_bad_draft_not_a_500(world, fields):
    body = json.dumps(draft(**fields)).encode()  # json.dumps writes "\ud800" as an escape
    status, ctype, raw = call(world, "POST", "/v1/compose/check", body)
    answer = json_answer(status, ctype, raw)
    assert status in (200, 400) and answer["decision"] in DECISIONS


def test_deeply_nested_draft_json_is_a_bad_draft_not_a_500(world):
    body = json.dumps(draft()).encode()[:-1] + b', "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, ctype, raw = call(world, "POST", "/v1/compose/check", body)
    assert json_answer(status, ctype, raw)["decision"] in DECISIONS


@pytest.mark.parametrize(("body", "ctype"), [(b"{", "application/json"), (json.dumps(draft()).encode(), "text/plain")])
def test_the_addin_origin_answers_a_body_it_cannot_read_in_json(world, body, ctype):
    status, answer_type, raw = call(world, "POST", "/addin/v1/compose", body, ctype)
    assert json_answer(status, answer_type, raw)["decision"] == "blocked"
