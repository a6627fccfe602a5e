"""Audit history against a real agent's log: the table and a record's detail, filters,
export, the integrity check (intact and tampered), a 50,000-record log paged lazily
without freezing the window, and the 30-day chart."""

import csv
import io
import json
import threading
import time

from agent.api.client import AgentClient
from agent.audit import AuditLog
from gui import file_dialogs
from gui.status import Tone
from tests.conftest import SAMPLES, run_cli
from tests.gui.conftest import wait_for_tone


def sent(qtbot, running, tray, *names: str) -> None:
    client = AgentClient(running.api_url, running.token)
    ids = [client.submit((SAMPLES / n).read_bytes()).id for n in names]
    qtbot.waitUntil(
        lambda: all((m := tray.app.outbox.message(i)) and m.state in ("delivered", "held") for i in ids), timeout=15_000
    )


def audit_view(qtbot, tray):
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    tray.window.show_view("audit")
    view = tray.window.audit
    view.reload()
    qtbot.waitUntil(lambda: view.model.total is not None and not view.model.loading)
    return view


def test_records_show_newest_first_with_a_detail_view_and_filters(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    sent(qtbot, running, tray, "01-internal-note.eml", "02-referral-lab-results.eml")
    view = audit_view(qtbot, tray)
    rows = view.model.rows
    assert len(rows) == view.model.total >= 6
    assert [r["seq"] for r in rows] == sorted((r["seq"] for r in rows), reverse=True)
    view.table.selectRow(0)
    detail = view.detail.toPlainText()
    assert detail.startswith(f"seq: {rows[0]['seq']}\ntime: ") and f"hash: {rows[0]['hash']}" in detail

    qtbot.keyClicks(view.recipient, "lakeside")
    view.outcome.setCurrentText("delivered")
    qtbot.waitUntil(lambda: view.model.total == 1 and len(view.model.rows) == 1)
    record = view.model.rows[0]
    assert record["event"] == "delivered" and record["recipients"] == ["referrals@lakesidecardiology.example"]
    assert view.model.index(0, 3).data() == "portal"
    assert view.count.text() == "1 record"


def test_export_csv_and_json_write_the_whole_log(qtbot, start_agent, sink, make_tray, monkeypatch, tmp_path):
    running = start_agent(sink.port)
    tray = make_tray()
    sent(qtbot, running, tray, "01-internal-note.eml")
    view = audit_view(qtbot, tray)
    for fmt in ("csv", "json"):
        target = tmp_path / f"audit.{fmt}"
        monkeypatch.setattr(file_dialogs, "save_file", lambda *a, t=target: t)
        (view.csv_button if fmt == "csv" else view.json_button).click()
        qtbot.waitUntil(lambda t=target: view.bar.text.text().startswith(f"Exported the audit log to {t}"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "audit.csv").read_text())))
    records = json.loads((tmp_path / "audit.json").read_text())["records"]
    assert [r["seq"] for r in rows] == [str(r["seq"]) for r in records] and len(records) == view.model.total
    assert "Robert Alvarez" not in (tmp_path / "audit.json").read_text()  # never content, never a subject
    # The JSON export is evidence: it verifies away from the agent, in a folder with no data of it.
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    checked = run_cli("audit", "verify", "--file", str(tmp_path / "audit.json"), home=elsewhere)
    assert checked.returncode == 0 and b"audit export intact" in checked.stdout, checked.stderr
    assert list(elsewhere.iterdir()) == []


def test_verify_reports_an_intact_log_then_a_tampered_one(qtbot, start_agent, sink, make_tray, home):
    running = start_agent(sink.port)
    tray = make_tray()
    sent(qtbot, running, tray, "01-internal-note.eml")
    view = audit_view(qtbot, tray)
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_result.kind == "ok")
    assert view.verify_result.text.text().startswith("Log intact:")

    log = home / "audit.log"
    lines = log.read_text().splitlines()
    record = json.loads(lines[1])
    record["recipients"] = ["someone.else@elsewhere.example"]  # an edit that hides where mail went
    lines[1] = json.dumps(record, sort_keys=True)
    log.write_text("\n".join(lines) + "\n")
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_result.kind == "error")
    assert view.verify_result.text.text() == (
        "Log integrity check FAILED: record 2 (line 2) was changed: its hash does not match its content. "
        "Keep a copy of audit.log as it is and tell your security officer; do not edit the file."
    )


def test_a_50000_record_log_is_paged_lazily_and_the_window_never_freezes(
    qtbot, home, start_agent, sink, make_tray, monkeypatch
):
    log = AuditLog(home)
    for n in range(50_000):
        log.append(
            "delivered",
            message=f"m{n:05d}",
            recipients=[f"patient{n % 997}@mailbox.example"],
            method="portal" if n % 3 else "pgp",
            state="delivered",
            reply=f"250 2.0.0 Ok: queued as Q{n}",
        )
    log.checkpoint()
    start_agent(sink.port)
    # Every page is asked for off the UI thread, and none is the whole log: that is what keeps
    # the window responsive, proven by where and what, not by a timing (a busy machine stalls
    # any thread now and then).
    asked: list[tuple[bool, int]] = []
    page = AgentClient.audit_page

    def recorded(client, offset, limit, where=None):
        asked.append((threading.current_thread() is threading.main_thread(), limit))
        return page(client, offset, limit, where)

    monkeypatch.setattr(AgentClient, "audit_page", recorded)
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    tray.window.show_view("audit")
    view = tray.window.audit
    qtbot.waitUntil(lambda: view.model.total == 50_000 and not view.model.loading, timeout=20_000)
    assert len(view.model.rows) == 500 and view.model.rows[0]["message"] == "m49999"
    assert view.count.text() == "Showing the newest 500 of 50,000 records; scroll for more"
    for _ in range(3):
        rows = len(view.model.rows)
        view.table.scrollToBottom()
        qtbot.waitUntil(lambda r=rows: len(view.model.rows) > r and not view.model.loading, timeout=10_000)
    assert len(view.model.rows) == 2000 and view.model.rows[-1]["message"] == "m48000"

    qtbot.keyClicks(view.recipient, "patient996@")
    qtbot.waitUntil(lambda: view.model.total == 50 and len(view.model.rows) == 50, timeout=10_000)
    assert len(asked) >= 5 and not any(on_ui for on_ui, _ in asked), asked
    assert max(limit for _, limit in asked) <= 500, asked


def test_chart_counts_messages_per_method_for_today(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray()
    sent(qtbot, running, tray, "01-internal-note.eml", "02-referral-lab-results.eml", "06-care-team-update.eml")
    view = audit_view(qtbot, tray)
    view.tabs.setCurrentIndex(1)
    chart = view.chart
    qtbot.waitUntil(lambda: chart.series is not None, timeout=10_000)
    today = time.strftime("%Y-%m-%d")
    assert chart.counts[today] == {"internal": 2, "portal": 2}  # the care-team update counts once per method
    sets = {s.label(): [s.at(i) for i in range(s.count())] for s in chart.series.barSets()}
    assert sets["secure portal"][-1] == 2 and sets["inside the organization"][-1] == 2
    assert len(sets["secure portal"]) == 30
    assert chart.summary.text() == (
        "Last 30 days, messages delivered per method: inside the organization 2, secure portal 2."
    )
