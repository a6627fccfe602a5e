"""The outbox's parts on their own: the sealing (agent/outbox/sealing.py) and the webhook queue
(agent/outbox/webhook_queue.py) over the outbox's real layout in a file of its own."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from agent.model import State
from agent.outbox.layout import LAYOUT_0_1_0
from agent.outbox.sealing import Sealer
from agent.outbox.webhook_queue import WebhookQueue

KEY = bytes(range(32))


def test_a_sealed_value_opens_only_under_its_own_label():
    sealer = Sealer(KEY)
    sealed = sealer.seal(b"Dear Dr Chen", "message:aaaa")
    assert b"Dear" not in sealed and len(sealed) == 12 + len(b"Dear Dr Chen") + 16  # nonce, ciphertext, tag
    assert sealer.open(sealed, "message:aaaa") == b"Dear Dr Chen"
    with pytest.raises(InvalidTag):  # a value moved to another row does not open there
        sealer.open(sealed, "message:bbbb")
    with pytest.raises(InvalidTag):
        Sealer(os.urandom(32)).open(sealed, "message:aaaa")


def test_plans_are_sealed_and_a_plain_plan_of_0_1_0_still_reads():
    sealer = Sealer(KEY)
    plan = {"sender": "dr.chen@valleyclinic.example", "findings": ["attachment:maria-lopez.pdf"]}
    sealed = sealer.seal_plan("aaaa", plan)
    assert b"maria" not in sealed and sealer.open_plan("aaaa", sealed) == plan
    assert sealer.open_plan("aaaa", json.dumps(plan)) == plan


def test_content_digests_are_kept_keyed():
    digest = "ab" * 32
    assert Sealer(KEY).keyed(digest) == Sealer(KEY).keyed(digest) != digest
    assert Sealer(os.urandom(32)).keyed(digest) != Sealer(KEY).keyed(digest)


@pytest.fixture
def queue(tmp_path: Path) -> WebhookQueue:
    db = sqlite3.connect(tmp_path / "outbox.sqlite3", isolation_level=None)
    db.executescript(LAYOUT_0_1_0)
    for ident in ("m1", "m2", "m3"):
        db.execute(
            "INSERT INTO messages (id, message_id, sender, created, updated, state, plan, content)"
            " VALUES (?, ?, 'dr.chen@valleyclinic.example', 0, 0, 'delivered', '{}', x'00')",
            (ident, f"<{ident}@valleyclinic.example>"),
        )
        db.execute(
            "INSERT INTO recipients (message, address, method, state, updated)"
            " VALUES (?, 'maria@mailbox.example', 'tls', 'delivered', 0)",
            (ident,),
        )
    return WebhookQueue(db, Sealer(KEY))


def test_only_messages_with_a_callback_get_events_and_the_secret_is_sealed(queue):
    queue.register("m1", "https://ehr.example/hook", "s3cret-of-m1")
    queue.queue_event("m1", "maria@mailbox.example", State.DELIVERED, "", 10.0)
    queue.queue_event("m2", "maria@mailbox.example", State.DELIVERED, "", 10.0)  # no callback: nothing
    [event] = queue.due(10.0)
    body = json.loads(event.body)
    assert (event.message, body["type"], body["recipient"], body["message_id"]) == (
        "m1",
        "recipient.delivered",
        "maria@mailbox.example",
        "<m1@valleyclinic.example>",
    )
    assert queue.callback("m1") == ("https://ehr.example/hook", "s3cret-of-m1") and queue.callback("m2") is None
    (stored,) = queue.db.execute("SELECT secret FROM callbacks").fetchone()
    assert b"s3cret" not in stored


def test_a_message_s_events_go_in_order_even_when_one_is_retried(queue):
    for ident in ("m1", "m3"):
        queue.register(ident, "https://ehr.example/hook", "secret")
    queue.queue_event("m1", "maria@mailbox.example", State.DEFERRED, "busy", 10.0)
    queue.queue_event("m1", "maria@mailbox.example", State.DELIVERED, "", 11.0)
    queue.queue_event("m3", "maria@mailbox.example", State.DELIVERED, "", 12.0)
    first, other = queue.due(20.0)
    assert (first.message, json.loads(first.body)["state"], other.message) == ("m1", "deferred", "m3")
    queue.retry(first.id, 100.0, "connection refused")
    # m1's later event waits behind its retried head; m3 is not held up by it.
    assert [e.message for e in queue.due(50.0)] == ["m3"] and queue.next_attempt() == 12.0
    queue.done(other.id)
    assert queue.due(50.0) == [] and queue.next_attempt() == 100.0
    [again] = queue.due(100.0)
    assert (again.id, again.attempts) == (first.id, 1)
    queue.done(again.id)
    [last] = queue.due(100.0)
    assert json.loads(last.body)["state"] == "delivered"
    queue.done(last.id)
    assert queue.next_attempt() is None
