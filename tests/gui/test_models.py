"""The tray's models against a fake AgentClient (tests/gui/fake_client.py): the outbox table and
its filter, the audit log's lazy pages, and what TrayApp makes of the agent's answers — no
agent, no server; the calls still run on the tray's worker threads and come back on the UI
thread, as they do in the app."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from agent.api.client import AgentUnreachable, AuditFilter
from agent.api.messages import OutboxMessage
from gui.audit_model import AuditModel
from gui.outbox_model import MESSAGE_ROLE, STATE, SUBJECT, OutboxFilter, OutboxModel
from gui.status import Tone
from gui.tray_app import TrayApp
from tests.gui.fake_client import FakeClient, FakeLink, message, record


def shown(data: dict) -> OutboxMessage:
    return OutboxMessage.from_json(data)


# --- the outbox table: pure model ---------------------------------------------------------------
def test_the_outbox_is_newest_first_and_an_older_answer_never_undoes_a_newer_one(qapp):
    model = OutboxModel()
    model.upsert(shown(message("old", created=1.0)))
    model.upsert(shown(message("new", created=5.0)))
    model.upsert(shown(message("mid", created=3.0)))
    assert [model.index(r, 0).data(MESSAGE_ROLE).id for r in range(model.rowCount())] == ["new", "mid", "old"]
    model.upsert(shown(message("mid", state="delivered", created=3.0, updated=9.0)))
    before = model.upsert(shown(message("mid", state="sending", created=3.0, updated=4.0)))  # crossed on the way
    assert before is not None and model.message("mid").state == "delivered"
    assert model.index(model.row_of("mid"), STATE).data() == model.message("mid").state_name


def test_an_event_shows_at_once_and_a_message_new_to_the_model_is_left_to_a_fetch(qapp):
    model = OutboxModel()
    model.upsert(shown(message("m1", state="queued", recipients=("a@x.example", "b@y.example"))))
    assert model.apply_event("m1", "sending", {"a@x.example": "delivered"})
    assert [r.state for r in model.message("m1").recipients] == ["delivered", "queued"]
    assert model.index(0, 4).data() == "1 of 2 delivered"
    assert not model.apply_event("unknown", "sending", {}) and model.rowCount() == 1


def test_replacing_the_outbox_drops_what_is_gone_and_names_only_the_newly_held(qapp):
    model = OutboxModel()
    assert [m.id for m in model.replace_all([shown(message("h1", state="held")), shown(message("d1"))])] == ["h1"]
    newly = model.replace_all([shown(message("h1", state="held")), shown(message("h2", state="held", created=2.0))])
    assert [m.id for m in newly] == ["h2"]  # h1 was held already: not said twice
    assert sorted(m.id for m in model.messages()) == ["h1", "h2"]
    assert model.index(0, SUBJECT).data() == "Lab results"
    assert model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole) == "ana@lakeside.example: OpenPGP, held for review"


def test_the_filter_finds_by_state_and_by_recipient_subject_or_id(qapp):
    model = OutboxModel()
    model.replace_all([shown(message("held-1", state="held", subject="Disability form")),
                       shown(message("sent-1", recipients=("ana@lakeside.example",))),
                       shown(message("gone-1", state="failed", recipients=("bob@harbor.example",)))])
    proxy = OutboxFilter()
    proxy.setSourceModel(model)

    def ids() -> list[str]:
        return sorted(proxy.index(r, 0).data(MESSAGE_ROLE).id for r in range(proxy.rowCount()))
    assert ids() == ["gone-1", "held-1", "sent-1"]
    proxy.set_kind("Held for review")
    assert ids() == ["held-1"]
    proxy.set_kind("no such kind")  # falls back to all
    proxy.set_search("HARBOR")
    assert ids() == ["gone-1"]
    proxy.set_search("disability")
    assert ids() == ["held-1"]
    proxy.set_kind("Delivered")
    assert ids() == []


# --- with the fake client: the audit pages and the tray app -----------------------------------------
@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def app(home: Path, client: FakeClient) -> Iterator[TrayApp]:
    tray = TrayApp(home, autostart=False)
    tray.link = FakeLink(client)
    yield tray
    for event in client.hold.values():
        event.set()
    tray.shutdown()


def audit_calls(client: FakeClient) -> list[tuple]:
    return [c[1:3] for c in client.calls if c[0] == "audit_page"]


def test_the_audit_is_fetched_newest_page_first_then_by_offset_from_the_oldest(qtbot, app, client):
    client.records = [record(seq) for seq in range(1, 8)]
    model = AuditModel(app, page=3)
    model.reload()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == 3)
    assert model.total == 7 and [r["seq"] for r in model.rows] == [7, 6, 5]
    client.records.append(record(8))  # written since: it must not shift the pages asked for next
    assert model.canFetchMore()
    model.fetchMore()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == 6)
    model.fetchMore()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == 7)
    assert [r["seq"] for r in model.rows] == [7, 6, 5, 4, 3, 2, 1] and not model.canFetchMore()
    assert audit_calls(client) == [(None, 3), (1, 3), (0, 1)] and model.fetches == 3


def test_an_answer_for_a_filter_no_longer_shown_is_dropped(qtbot, app, client):
    client.records = [record(1, "accepted"), record(2, "delivered"), record(3, "accepted")]
    client.hold["audit_page"] = late = threading.Event()
    model = AuditModel(app, page=10)
    model.reload()  # all records: held back by the fake until `late` is set
    qtbot.waitUntil(lambda: len(audit_calls(client)) == 1)
    del client.hold["audit_page"]
    model.reload(AuditFilter(event="accepted"))
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    late.set()  # the first answer arrives after the second: not shown
    qtbot.waitUntil(lambda: not app.background.busy)
    assert [r["seq"] for r in model.rows] == [3, 1] and model.total == 2


def test_a_page_that_cannot_be_fetched_is_said_and_loading_ends(qtbot, app, client):
    client.fail["audit_page"] = AgentUnreachable("no running agent found")
    model = AuditModel(app)
    with qtbot.waitSignal(model.failed) as failed:
        model.reload()
    assert isinstance(failed.args[0], AgentUnreachable) and not model.loading and model.rowCount() == 0


def test_the_tray_app_shows_what_the_agent_answers_and_says_held_mail_without_its_subject(qtbot, app, client):
    client.outbox_rows = [message("m1", state="held", subject="Patient HIV results",
                                  recipients=("records@statedisability.example", "b@y.example")),
                          message("m2", created=2.0)]
    client.key_rows = [{"type": "pgp", "fingerprint": "AB" * 20, "emails": [client.outbox_rows[0]["sender"]],
                        "secret": True, "usable": True, "expires": 0}]
    app.connected = True  # as the event stream's hello sets it
    notes: list = []
    app.notified.connect(notes.append)
    with qtbot.waitSignal(app.keys_changed):
        app.refresh()
    qtbot.waitUntil(lambda: app.outbox.rowCount() == 2 and app.config is not None and not app.background.busy)
    assert [n.title for n in notes] == ["Message to records@statedisability.example and 1 more held"]
    assert "HIV" not in notes[0].text and notes[0].message_id == "m1"
    assert (app.status.tone, app.status.title) == (Tone.ATTENTION, "1 message held")
    assert [k.fingerprint for k in app.keys] == ["AB" * 20]
    client.outbox_rows[0] = message("m1", state="delivered", updated=5.0,
                                    recipients=("records@statedisability.example", "b@y.example"))
    app.refresh_message("m1")
    qtbot.waitUntil(lambda: app.outbox.message("m1").state == "delivered")
    qtbot.waitUntil(lambda: app.status.tone == Tone.PROTECTED)
    assert ("message", "m1") in client.calls and len(notes) == 1
