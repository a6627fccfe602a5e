"""What the tray app (gui/tray_app.py) makes of the agent's answers, against a fake AgentClient
(tests/gui/fake_client.py) standing where the AgentLink does: no agent, no server; the calls
still run on the tray's worker threads and come back on the UI thread, as in the app. (The
outbox and audit table models alone: tests/unit/test_tray_models.py.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.api.client import AgentUnreachable, ApiError, AuditFilter
from gui.audit_model import AuditModel
from gui.errors import NOT_RUNNING
from gui.status import Tone
from gui.tray_app import TrayApp
from tests.gui.fake_client import SENDER, FakeClient, FakeLink, message, record


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


def test_the_tray_shows_what_the_agent_answers_and_says_held_mail_without_its_subject(qtbot, app, client):
    client.outbox_rows = [
        message(
            "m1",
            state="held",
            subject="Patient HIV results",
            recipients=("records@statedisability.example", "b@y.example"),
        ),
        message("m2", created=2.0),
    ]
    client.key_rows = [
        {"type": "pgp", "fingerprint": "AB" * 20, "emails": [SENDER], "secret": True, "usable": True, "expires": 0}
    ]
    app.connected = True  # as the event stream's hello sets it
    notes: list = []
    app.notified.connect(notes.append)
    with qtbot.waitSignal(app.keys_changed):
        app.refresh()
    qtbot.waitUntil(lambda: app.outbox.rowCount() == 2 and app.config is not None and not app.background.busy)
    assert [n.title for n in notes] == ["Message to records@statedisability.example and 1 more held"]
    assert "HIV" not in notes[0].text and notes[0].message_id == "m1"  # a notification may show on a locked screen
    assert (app.status.tone, app.status.title) == (Tone.ATTENTION, "1 message held")
    assert [k.fingerprint for k in app.keys] == ["AB" * 20]
    client.outbox_rows[0] = message(
        "m1", state="delivered", updated=5.0, recipients=("records@statedisability.example", "b@y.example")
    )
    app.refresh_message("m1")
    qtbot.waitUntil(lambda: app.outbox.message("m1").state == "delivered")
    qtbot.waitUntil(lambda: app.status.tone == Tone.PROTECTED)
    assert ("message", "m1") in client.calls and len(notes) == 1


def test_more_changes_than_a_batch_reload_the_outbox_instead_of_one_call_each(qtbot, app, client):
    client.outbox_rows = [message(f"m{i}", created=float(i)) for i in range(30)]
    for i in range(30):
        app.refresh_message(f"m{i}")
    qtbot.waitUntil(lambda: app.outbox.rowCount() == 30 and not app.background.busy)
    assert not [c for c in client.calls if c[0] == "message"] and ("outbox",) in client.calls


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (AgentUnreachable("no running agent found"), NOT_RUNNING),
        (
            ApiError(500, "internal_error", "the agent could not handle GET /v1/keys", {}),
            "The agent could not do that: the agent could not handle GET /v1/keys. Try again; if it keeps failing, "
            "restart the agent.",
        ),
    ],
)
def test_a_call_that_fails_is_one_line_for_the_windows(qtbot, app, client, raised, said):
    client.fail["keys"] = raised
    with qtbot.waitSignal(app.failed) as failed:
        app.refresh_keys()
    assert failed.args == [said] and app.keys == []


def test_an_audit_page_answered_late_for_an_old_filter_is_dropped_on_the_tray_threads(qtbot, app, client):
    # The tray's worker threads really answer out of order here (unit test: a fake app's queue).
    client.records = [record(1, "accepted"), record(2, "delivered"), record(3, "accepted")]
    client.hold["audit_page"] = late = threading.Event()
    model = AuditModel(app, page=10)
    model.reload()  # every record: held back by the fake until `late` is set
    qtbot.waitUntil(lambda: len([c for c in client.calls if c[0] == "audit_page"]) == 1)
    del client.hold["audit_page"]
    model.reload(AuditFilter(event="accepted"))
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    late.set()
    qtbot.waitUntil(lambda: not app.background.busy)
    assert [r["seq"] for r in model.rows] == [3, 1] and model.total == 2
