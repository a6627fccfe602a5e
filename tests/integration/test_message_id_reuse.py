"""A Message-ID seen before is the same message only if its content is the same: a client
that lost our 202 and sends again gets the first id (nothing queued twice); a different
message reusing the id is refused with 409 — never silently dropped as a "duplicate"."""

from __future__ import annotations

import sqlite3

import pytest

from agent.api.client import AgentClient, ApiError

MESSAGE = (
    b"From: Dr. Emily Chen <dr.chen@valleyclinic.example>\r\nTo: nurse.kim@valleyclinic.example\r\n"
    b"Subject: Rota\r\nDate: Tue, 24 Nov 2026 09:12:00 -0500\r\nMessage-ID: <rota-2026-12@valleyclinic.example>\r\n"
    b"\r\nSee you Monday.\r\n"
)


@pytest.fixture
def agent(start_agent, sink):
    running = start_agent(sink.port)
    return running, AgentClient(running.api_url, running.token, timeout=30)


def refused(client: AgentClient, raw: bytes) -> ApiError:
    with pytest.raises(ApiError) as error:
        client.submit(raw)
    return error.value


def test_the_same_message_again_is_the_first_one_even_with_a_new_date(agent):
    running, client = agent
    first = client.submit(MESSAGE)
    again = client.submit(MESSAGE.replace(b"09:12:00", b"09:14:31"))  # a client that re-dates its retry
    assert again.duplicate and again.id == first.id
    assert len(client.outbox()) == 1


@pytest.mark.parametrize(
    "change",
    [
        (b"See you Monday.", b"See you Tuesday."),  # another body
        (b"Subject: Rota", b"Subject: Rota (corrected)"),  # another subject
        (b"To: nurse.kim@valleyclinic.example", b"To: nurse.kim@valleyclinic.example, billing@valleyclinic.example"),
    ],
)
def test_another_message_with_the_same_message_id_is_refused_with_409(agent, change):
    running, client = agent
    first = client.submit(MESSAGE)
    error = refused(client, MESSAGE.replace(*change))
    assert (error.status, error.code) == (409, "message_id_reused")
    assert f"already belongs to a different message in the outbox (id {first.id})" in str(error)
    assert [m["id"] for m in client.outbox()] == [first.id]


def test_a_message_accepted_before_digests_were_kept_is_compared_by_its_content(agent, home):
    running, client = agent
    first = client.submit(MESSAGE)
    with sqlite3.connect(home / "outbox.sqlite3") as db:  # as an outbox written by an older agent
        db.execute("UPDATE messages SET digest=NULL")
    assert client.submit(MESSAGE).id == first.id
    assert refused(client, MESSAGE.replace(b"Monday", b"Friday")).status == 409
