"""Settings: what managed policy fixes is locked and says so; start at login."""

from gui.status import Tone
from tests.gui.conftest import wait_for_tone


def test_managed_settings_are_locked_and_release_is_refused_everywhere(qtbot, live_agent, make_tray, sink):
    live_agent.start(managed={"relay": {"starttls": "opportunistic"}, "policy": {"allow_release": False}})
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    view = tray.window.settings
    qtbot.waitUntil(lambda: tray.app.config is not None)
    tray.window.show_view("settings")
    for name in ("relay.starttls", "policy.allow_release"):
        assert not view.fields[name].isEnabled()
        assert view.locks[name].isVisibleTo(view)
        assert view.locks[name].text.text() == "Managed by your organization"
        assert view.fields[name].accessibleDescription() == "Managed by your organization"
    assert view.fields["relay.host"].isEnabled() and not view.locks["relay.host"].isVisibleTo(view)
    assert view.fields["relay.starttls"].text() == "When offered"
    assert view.fields["policy.allow_release"].text() == "Not allowed"
    assert "2 settings managed by your organization" in view.source.text()

    from gui.agent_client import AgentClient
    from tests.conftest import SAMPLES

    client = AgentClient(live_agent.running.api_url, live_agent.running.token)
    ident = client.submit((SAMPLES / "05-disability-form-ssn.eml").read_bytes()).id
    qtbot.waitUntil(lambda: (m := tray.app.outbox.message(ident)) is not None and m.held, timeout=10_000)
    outbox = tray.window.outbox
    tray.window.show_view("outbox")
    outbox.select(ident)
    assert not outbox.release_button.isEnabled()
    assert outbox.release_button.toolTip().startswith("Your organization does not allow releasing")
    assert "ask your privacy officer" in outbox.detail.text()
    outbox._release(tray.app.outbox.message(ident), "stale click")  # the agent refuses it too
    qtbot.waitUntil(lambda: outbox.bar.kind == "error")
    assert outbox.bar.text.text() == ("Your organization does not allow releasing held messages here; "
                                      "ask your privacy officer to release it.")


def test_start_at_login_writes_and_removes_the_autostart_entry(qtbot, start_agent, sink, make_tray, tmp_path):
    start_agent(sink.port)
    tray = make_tray()
    view = tray.window.settings
    entry = tmp_path / "xdg" / "autostart" / "postseal-tray.desktop"
    assert not view.start_at_login.isChecked()
    view.start_at_login.click()
    assert "tray" in entry.read_text() and view.bar.text.text() == "Postseal will start when you log in."
    view.start_at_login.click()
    assert not entry.exists()


def test_start_at_login_that_cannot_be_written_says_so_and_stays_off(qtbot, make_tray, tmp_path, monkeypatch):
    (tmp_path / "xdg").write_text("not a folder")
    tray = make_tray()
    view = tray.window.settings
    view.start_at_login.click()
    assert not view.start_at_login.isChecked()
    assert view.bar.text.text().startswith("Could not change start at login:")
