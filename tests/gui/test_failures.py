"""When things go wrong: agent down, wrong token, API errors (fake agent), the agent
restarted underneath (real agent), and the app starting the agent itself (real process).
Each time the app says what happened and what to do, in one line, and keeps running."""

import json

from agent import config as config_mod
from agent.api.client import AgentClient
from gui.errors import NOT_RUNNING, WRONG_TOKEN
from gui.status import Tone
from tests.conftest import SAMPLES, make_config
from tests.gui.conftest import wait_for_tone


def test_a_stale_discovery_file_reads_agent_not_running(qtbot, home, make_tray):
    from agent.demo_world import free_port

    (home / "agent.json").write_text(json.dumps({"pid": 1, "api_url": f"http://127.0.0.1:{free_port()}"}))
    (home / "api-token").write_text("left over by a crashed agent")
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    assert tray.app.status.detail == NOT_RUNNING
    assert tray.window.banner.text.text() == NOT_RUNNING
    assert tray.window.banner.start_button.isEnabled()


def test_a_wrong_token_says_which_file_and_what_to_do(qtbot, home, fake_agent, make_tray):
    (home / "api-token").write_text("not-the-agents-token")
    tray = make_tray()
    qtbot.waitUntil(lambda: tray.app.status.detail == WRONG_TOKEN)
    assert tray.app.status.tone == Tone.STOPPED and "api-token" in tray.window.banner.text.text()
    assert "GET /v1/events" in fake_agent.seen


def test_api_errors_are_one_line_each_and_the_app_goes_on(qtbot, fake_agent, make_tray):
    fake_agent.failures["GET /v1/outbox"] = (500, "internal", "database is locked")
    tray = make_tray()
    qtbot.waitUntil(lambda: tray.window.statusBar().currentMessage() != "")
    assert tray.window.statusBar().currentMessage() == (
        "The agent could not do that: database is locked. Try again; if it keeps failing, restart the agent."
    )

    del fake_agent.failures["GET /v1/outbox"]
    tray.app.refresh()
    qtbot.waitUntil(lambda: tray.app.outbox.rowCount() == 1)
    fake_agent.failures["POST /v1/messages/fake000000000001/release"] = (
        403,
        "managed",
        "your organization does not allow releasing held messages here; ask your privacy officer",
    )
    outbox = tray.window.outbox
    tray.window.show_view("outbox")
    outbox.select("fake000000000001")
    outbox._release(outbox.selected(), "checked with the patient")
    qtbot.waitUntil(lambda: outbox.bar.kind == "error")
    assert outbox.bar.text.text() == (
        "Your organization does not allow releasing held messages here; ask your privacy officer."
    )

    fake_agent.failures["GET /v1/audit/verify"] = (503, "storage_unavailable", "disk full on /var")
    audit = tray.window.audit
    audit.verify_button.click()
    qtbot.waitUntil(lambda: audit.verify_result.kind == "error")
    assert audit.verify_result.text.text() == (
        "The log could not be checked: The agent could not do that: disk full "
        "on /var. Try again; if it keeps failing, restart the agent."
    )
    assert audit.verify_button.isEnabled()


def test_live_events_from_the_agent_update_the_window(qtbot, fake_agent, make_tray):
    tray = make_tray()
    qtbot.waitUntil(lambda: tray.app.outbox.rowCount() == 1)
    with qtbot.waitSignal(tray.icon.notification_shown) as shown:
        fake_agent.send(
            {
                "type": "notice",
                "level": "error",
                "id": "fake000000000001",
                "text": "Not delivered to records@statedisability.example: 550 mailbox unavailable",
            }
        )
    assert shown.args[0].title == "Not delivered" and "550 mailbox unavailable" in shown.args[0].text
    fake_agent.send({"type": "status", "offline_since": 1700000000.0})
    qtbot.waitUntil(lambda: tray.app.offline_since == 1700000000.0)


def test_the_agent_restarted_underneath_is_found_again(qtbot, live_agent, make_tray):
    first = live_agent.start()
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    live_agent.stop()
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    assert tray.window.banner.isVisibleTo(tray.window)
    second = live_agent.start()
    assert (second.api_url, second.token) != (first.api_url, first.token)
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    ident = AgentClient(second.api_url, second.token).submit((SAMPLES / "01-internal-note.eml").read_bytes()).id
    qtbot.waitUntil(lambda: (m := tray.app.outbox.message(ident)) is not None and m.state == "delivered")
    assert not tray.window.banner.isVisibleTo(tray.window)


def test_the_app_starts_the_agent_when_none_is_running(qtbot, home, ca, sink, make_tray, monkeypatch):
    # The agent runs as its own process, where the in-memory keyring is not: its keys go to files,
    # and the tray says so rather than "Protected".
    monkeypatch.setenv("POSTSEAL_KEYRING", "file")
    (home / "config.toml").write_text(config_mod.to_toml(make_config(sink.port, ca)))
    tray = make_tray(autostart=True)
    wait_for_tone(qtbot, tray, Tone.ATTENTION, timeout=30_000)
    assert tray.app.status.title == "Keys kept in files"
    assert f"keys are kept in files in {home / 'secrets'}, beside the data" in tray.app.keys_in_files  # from health
    assert tray.app.status.detail.startswith("Keys are stored beside your mail data")
    assert tray.icon.icon.toolTip().startswith("Postseal: Keys kept in files\n")
    qtbot.waitUntil(lambda: tray.app.launched is not None and not tray.app.launching)
    assert json.loads((home / "agent.json").read_text())["pid"] == tray.app.launched.pid


def test_an_agent_that_cannot_start_says_why(qtbot, home, make_tray):
    (home / "config.toml").write_text('[relay]\nhots = "smtp.clinic.example"\n')
    tray = make_tray(autostart=True, show=False)
    with qtbot.waitSignal(tray.app.notified, timeout=30_000) as told:
        pass
    note = told.args[0]
    assert note.title == "Postseal agent did not start"
    assert "line 2: unknown key 'hots' in [relay]" in note.text
    assert note.text.startswith("The agent could not start: ") and "choose “Start the agent” again" in note.text
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    assert tray.app.status.detail == note.text


def test_a_broken_managed_policy_turns_the_tray_to_held_mail(qtbot, live_agent, make_tray):
    live_agent.start(managed={"relay": {"port": "587"}})  # a string where IT meant a number
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.ATTENTION)
    qtbot.waitUntil(lambda: tray.app.status.title == "Mail held: policy problem")
    assert tray.app.setup_problems[0]["code"] == "managed_policy_invalid"
    assert "relay.port" in tray.app.setup_problems[0]["message"]  # IT's words stay in health and the log
    assert tray.icon.icon.toolTip().startswith("Postseal: Mail held: policy problem\n")
