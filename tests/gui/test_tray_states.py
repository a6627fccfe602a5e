"""The tray icon, tooltip and menu against a real agent: each state a person must read."""

from agent.api.client import AgentClient
from gui.status import Tone
from gui.tray_icon import status_icon
from tests.conftest import SAMPLES
from tests.gui.conftest import wait_for_tone


def menu_texts(tray) -> list[str]:
    return [a.text() for a in tray.icon.menu.actions() if a.isVisible() and not a.isSeparator()]


def test_idle_agent_reads_protected_in_icon_tooltip_and_menu(qtbot, start_agent, sink, make_tray):
    start_agent(sink.port)
    tray = make_tray(show=False)
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    assert tray.icon.icon.toolTip().startswith("Postseal: Protected\n")
    assert menu_texts(tray)[:2] == ["Protected", "All mail delivered; new mail is protected automatically."]
    assert "S&tart the agent" not in menu_texts(tray)
    assert status_icon(tray.app.status).cacheKey() == tray.icon.icon.icon().cacheKey()


def test_a_message_in_flight_reads_sending_with_its_count(qtbot, start_agent, make_tray):
    import socket

    with socket.socket() as silent_relay:  # accepts and never greets: the copy stays "sending"
        silent_relay.bind(("127.0.0.1", 0))
        silent_relay.listen()
        running = start_agent(silent_relay.getsockname()[1])
        tray = make_tray(show=False)
        wait_for_tone(qtbot, tray, Tone.PROTECTED)
        AgentClient(running.api_url, running.token).submit((SAMPLES / "01-internal-note.eml").read_bytes())
        wait_for_tone(qtbot, tray, Tone.SENDING)
        assert (tray.app.status.title, tray.app.status.count) == ("Sending 1", 1)
        assert tray.icon.icon.toolTip() == "Postseal: Sending 1\n1 message on the way, each protected."


def test_a_delivered_message_shows_up_live_from_the_event_stream(qtbot, start_agent, sink, make_tray):
    running = start_agent(sink.port)
    tray = make_tray(show=False)
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    ident = AgentClient(running.api_url, running.token).submit((SAMPLES / "01-internal-note.eml").read_bytes()).id
    qtbot.waitUntil(lambda: (m := tray.app.outbox.message(ident)) is not None and m.state == "delivered")
    assert tray.app.status.tone == Tone.PROTECTED


def test_held_message_turns_the_tray_to_attention_and_notifies_reason_and_what_to_do(
    qtbot, start_agent, sink, make_tray
):
    running = start_agent(sink.port)
    tray = make_tray(show=False)
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    with qtbot.waitSignal(tray.icon.notification_shown, timeout=10_000) as shown:
        AgentClient(running.api_url, running.token).submit((SAMPLES / "05-disability-form-ssn.eml").read_bytes())
    note = shown.args[0]
    assert note.title == "Message to records@statedisability.example held"
    assert "Social Security number" in note.text and "ask your privacy officer to release" in note.text
    assert "Disability" not in note.title + note.text  # never the subject on a lock screen
    wait_for_tone(qtbot, tray, Tone.ATTENTION)
    assert menu_texts(tray)[0] == "1 message held"


def test_offline_shows_the_waiting_count_then_protected_when_the_relay_is_back(qtbot, start_agent, ca, make_tray):
    from agent.demo_world import SmtpSink, free_port

    port = free_port()  # nothing listens here yet: the relay is "offline"
    running = start_agent(port, outbox={"retry_first_seconds": 1})
    tray = make_tray(show=False)
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    AgentClient(running.api_url, running.token).submit((SAMPLES / "01-internal-note.eml").read_bytes())
    qtbot.waitUntil(lambda: (tray.app.status.tone, tray.app.status.title) == (Tone.OFFLINE, "Offline, 1 waiting"))
    assert tray.app.status.count == 1
    assert "will be sent, protected, when the connection is back" in tray.icon.icon.toolTip()
    with SmtpSink(ca, port=port):
        wait_for_tone(qtbot, tray, Tone.PROTECTED, timeout=20_000)


def test_no_agent_reads_not_running_and_offers_to_start_it(qtbot, make_tray):
    tray = make_tray(show=False)
    wait_for_tone(qtbot, tray, Tone.STOPPED)
    qtbot.waitUntil(lambda: "not running" in tray.icon.icon.toolTip())
    assert "S&tart the agent" in menu_texts(tray)
    assert tray.window.banner.isVisibleTo(tray.window)
