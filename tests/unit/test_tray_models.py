"""The tray's two table models, with fakes at their seams instead of an agent.

The outbox model is fed typed records (what `AgentClient.outbox()` returns); the audit model
asks a fake tray app, whose `call` runs the request against a fake client when the test says
so, for its pages. Offscreen Qt; no server, no thread.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QModelIndex, Qt  # noqa: E402

from agent.api.client import AuditFilter, AuditPage  # noqa: E402
from agent.api.messages import OutboxMessage  # noqa: E402
from gui.audit_model import AuditModel  # noqa: E402
from gui.outbox_model import MESSAGE_ROLE, RECIPIENTS, STATE, SUBJECT, OutboxFilter, OutboxModel  # noqa: E402

DISPLAY = Qt.ItemDataRole.DisplayRole


def record(
    ident: str,
    created: float,
    state: str = "queued",
    updated: float | None = None,
    subject: str = "Referral",
    recipients: tuple[tuple[str, str, str], ...] = (),
) -> OutboxMessage:
    recipients = recipients or (("referrals@lakesidecardiology.example", "pgp", state),)
    return OutboxMessage.from_json(
        {
            "id": ident,
            "subject": subject,
            "sender": "dr.chen@valleyclinic.example",
            "created": created,
            "updated": created if updated is None else updated,
            "state": state,
            "reason": "",
            "recipients": [{"address": a, "method": m, "state": s} for a, m, s in recipients],
        }
    )


def ids(model: OutboxModel) -> list[str]:
    return [model.index(row, 0).data(MESSAGE_ROLE).id for row in range(model.rowCount())]


@pytest.fixture
def outbox(qapp) -> OutboxModel:
    return OutboxModel()


def test_messages_are_kept_newest_first_whatever_order_they_arrive_in(outbox):
    for ident, created in (("b", 20.0), ("c", 30.0), ("a", 10.0)):
        assert outbox.upsert(record(ident, created)) is None
    assert ids(outbox) == ["c", "b", "a"]
    assert [outbox.row_of(i) for i in ("c", "b", "a", "gone")] == [0, 1, 2, -1]


def test_an_answer_older_than_the_shown_record_is_ignored(outbox):
    outbox.upsert(record("m", 10.0, "sending", updated=50.0))
    old = outbox.upsert(record("m", 10.0, "queued", updated=40.0))
    assert old.state == "sending" and outbox.message("m").state == "sending"
    outbox.upsert(record("m", 10.0, "delivered", updated=60.0))
    assert outbox.index(0, STATE).data(DISPLAY) == outbox.message("m").state_name
    assert outbox.message("m").state == "delivered"


def test_an_event_updates_a_known_message_and_reports_an_unknown_one(outbox, qtbot):
    outbox.upsert(record("m", 10.0, recipients=(("a@x.example", "pgp", "queued"), ("b@y.example", "portal", "queued"))))
    with qtbot.waitSignal(outbox.dataChanged):
        assert outbox.apply_event("m", "sending", {"a@x.example": "delivered"})
    states = [r.state for r in outbox.message("m").recipients]
    assert outbox.message("m").state == "sending" and states == ["delivered", "queued"]
    assert outbox.index(0, 4).data(DISPLAY) == "1 of 2 delivered"
    assert not outbox.apply_event("new", "queued", {})  # the tray then fetches it


def test_replacing_the_outbox_drops_the_gone_and_names_only_the_newly_held(outbox):
    outbox.replace_all([record("a", 1.0), record("b", 2.0, "held")])
    assert ids(outbox) == ["b", "a"]
    newly = outbox.replace_all([record("b", 2.0, "held", updated=3.0), record("c", 4.0, "held"), record("d", 5.0)])
    assert [m.id for m in newly] == ["c"]  # b was held already; a is gone
    assert ids(outbox) == ["d", "c", "b"]


def test_the_columns_say_subject_recipients_and_a_placeholder_for_no_subject(outbox):
    outbox.upsert(
        record(
            "m",
            1.0,
            subject="",
            recipients=(
                ("pat@mailbox.example", "portal", "queued"),
                ("nurse@valleyclinic.example", "internal", "queued"),
            ),
        )
    )
    assert outbox.index(0, SUBJECT).data(DISPLAY) == "(no subject)"
    text = outbox.index(0, RECIPIENTS).data(DISPLAY)
    assert "pat@mailbox.example" in text and "nurse@valleyclinic.example inside the organization" in text
    assert outbox.data(QModelIndex()) is None and outbox.rowCount(outbox.index(0, 0)) == 0


def test_the_filter_keeps_what_the_search_and_the_kind_both_match(outbox):
    outbox.replace_all(
        [
            record("held1", 1.0, "held", subject="Disability form"),
            record("sent1", 2.0, "delivered", subject="Lab results"),
            record(
                "wait1",
                3.0,
                "queued",
                subject="Lab follow-up",
                recipients=(("claims@harborbilling.example", "tls", "queued"),),
            ),
        ]
    )
    shown = OutboxFilter()
    shown.setSourceModel(outbox)

    def visible() -> list[str]:
        return sorted(shown.index(r, 0).data(MESSAGE_ROLE).id for r in range(shown.rowCount()))

    assert visible() == ["held1", "sent1", "wait1"]
    shown.set_kind("Held for review")
    assert visible() == ["held1"]
    shown.set_kind("no such kind")  # falls back to everything, not to nothing
    shown.set_search("  lab ")
    assert visible() == ["sent1", "wait1"]
    shown.set_search("harborbilling")
    assert visible() == ["wait1"]
    shown.set_kind("Delivered")
    assert visible() == []


class FakeClient:
    """`audit_page` over a list of records, oldest first, as the agent counts them."""

    def __init__(self, count: int) -> None:
        self.records = [
            {
                "seq": n,
                "time": "2026-12-07T10:00:00+00:00",
                "event": "delivered",
                "recipients": [f"r{n}@x.example"],
                "method": {"x": "tls"},
                "state": "delivered",
            }
            for n in range(count)
        ]
        self.asked: list[tuple[int | None, int, AuditFilter]] = []

    def audit_page(self, offset: int | None, limit: int, where: AuditFilter) -> AuditPage:
        self.asked.append((offset, limit, where))
        start = len(self.records) - limit if offset is None else offset
        start = max(0, start)
        return AuditPage(self.records[start : start + limit], len(self.records))


class FakeApp:
    """The tray app's `call`, held until the test answers it (as the background thread would)."""

    def __init__(self, client: FakeClient) -> None:
        self.client = client
        self.pending: list[tuple] = []

    def call(self, owner, fn, on_done, on_error) -> None:
        self.pending.append((fn, on_done, on_error))

    def answer(self, error: BaseException | None = None) -> None:
        fn, on_done, on_error = self.pending.pop(0)
        if error is not None:
            on_error(error)
        else:
            on_done(fn(self.client))


def seqs(model: AuditModel) -> list[int]:
    return [row["seq"] for row in model.rows]


def test_the_audit_is_fetched_newest_page_first_then_older_pages_on_demand(qapp):
    app = FakeApp(FakeClient(7))
    model = AuditModel(app, page=3)
    model.reload()
    assert model.loading and not model.canFetchMore()  # one page at a time
    app.answer()
    assert seqs(model) == [6, 5, 4] and model.total == 7 and model.canFetchMore()
    model.fetchMore()
    app.answer()
    model.fetchMore()
    app.answer()
    assert seqs(model) == [6, 5, 4, 3, 2, 1, 0] and not model.canFetchMore()
    assert [asked[:2] for asked in app.client.asked] == [(None, 3), (1, 3), (0, 1)]
    assert model.index(0, 3).data(DISPLAY) == "tls" and model.index(0, 2).data(DISPLAY) == "r6@x.example"


def test_records_written_after_the_first_page_do_not_shift_the_older_pages(qapp):
    app = FakeApp(FakeClient(6))
    model = AuditModel(app, page=3)
    model.reload()
    app.answer()
    app.client.records.append({"seq": 6, "event": "accepted"})  # a new record arrives meanwhile
    model.fetchMore()
    app.answer()
    assert seqs(model) == [5, 4, 3, 2, 1, 0]  # counted from the oldest: nothing twice, nothing skipped


def test_an_answer_for_a_filter_no_longer_shown_is_dropped(qapp):
    app = FakeApp(FakeClient(5))
    model = AuditModel(app, page=2)
    model.reload()
    model.reload(AuditFilter(event="held"))  # the user changed the filter before the answer came
    app.answer()  # the old filter's page: ignored
    assert model.rows == [] and model.loading
    app.answer()
    assert seqs(model) == [4, 3] and app.client.asked[-1][2].event == "held"


def test_a_page_that_fails_is_reported_and_the_next_try_can_follow(qapp, qtbot):
    app = FakeApp(FakeClient(4))
    model = AuditModel(app, page=2)
    model.reload()
    with qtbot.waitSignal(model.failed) as failure:
        app.answer(ConnectionError("agent gone"))
    assert isinstance(failure.args[0], ConnectionError) and not model.loading and model.rows == []
    model.reload()
    app.answer()
    assert seqs(model) == [3, 2]


def test_a_log_that_shrank_stops_asking_for_more(qapp):
    app = FakeApp(FakeClient(4))
    model = AuditModel(app, page=2)
    model.reload()
    app.answer()
    del app.client.records[:]  # repaired to nothing between two pages
    model.fetchMore()
    app.answer()
    assert seqs(model) == [3, 2] and model.total == 2 and not model.canFetchMore()
