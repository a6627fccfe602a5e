"""Settings: relay and portal saved through the real agent; what managed policy fixes is
locked and says so; start at login."""

import tomllib

from gui.main_window import VIEWS
from gui.settings_view import SAVED_PORTAL, SAVED_RELAY
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
    assert view.shown("relay.starttls") == "When offered"
    assert view.shown("policy.allow_release") == "Not allowed"
    view.fields["relay.host"].setText("smtp.other.example")  # a locked field is never part of a save
    assert view.changes() == {"relay": {"host": "smtp.other.example"}}
    assert "2 settings managed by your organization" in view.source.text()

    from agent.api.client import AgentClient
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
    assert outbox.bar.text.text() == (
        "Your organization does not allow releasing held messages here; ask your privacy officer to release it."
    )


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


def test_relay_saved_from_the_tray_is_used_for_the_next_message(qtbot, start_agent, sink, ca, make_tray, home):
    from agent import secret_store
    from agent.api.client import AgentClient
    from agent.settings import RELAY_PASSWORD
    from tests.conftest import SAMPLES, SmtpSink

    secret_store.put(home, RELAY_PASSWORD, b"old-secret")  # saved from the tray earlier: kept in the secret store
    running = start_agent(sink.port, relay={"username": "clinic"})
    tray = make_tray()
    view = tray.window.settings
    qtbot.waitUntil(lambda: tray.app.config is not None)
    tray.window.show_view("settings")
    password = view.fields["relay.password"]
    assert password.text() == "" and "set" in password.placeholderText()  # never shown
    assert not view.apply_button.isEnabled() and view.changes() == {}
    with SmtpSink(ca) as new_relay:
        view.fields["relay.port"].setValue(new_relay.port)
        view.fields["relay.username"].setText("")  # the new relay takes mail from localhost without AUTH
        assert view.apply_button.isEnabled() and view.revert_button.isEnabled()
        view.apply_button.click()
        qtbot.waitUntil(lambda: view.bar.kind == "ok", timeout=10_000)
        assert view.bar.text.text() == SAVED_RELAY
        qtbot.waitUntil(lambda: tray.app.config.value("relay", "port") == new_relay.port)
        assert not view.apply_button.isEnabled()
        client = AgentClient(running.api_url, running.token)
        assert client.wait(client.submit((SAMPLES / "01-internal-note.eml").read_bytes()).id)["state"] == "delivered"
        assert len(new_relay.received) == 1 and sink.received == []
    saved = tomllib.loads((home / "config.toml").read_text())["relay"]
    assert saved["port"] == new_relay.port and "password" not in saved  # never in config.toml
    assert secret_store.get(home, RELAY_PASSWORD) == b"old-secret"  # and "***" never written back


def test_portal_address_waits_for_a_restart_and_bad_values_are_not_saved(qtbot, start_agent, sink, make_tray, home):
    start_agent(sink.port)
    tray = make_tray()
    view = tray.window.settings
    qtbot.waitUntil(lambda: tray.app.config is not None)
    before = (home / "config.toml").read_text()
    for name, value, named in (
        ("relay.host", "", "relay.host"),
        ("portal.url", "clinic portal", "portal.url"),
        ("relay.ca_file", str(home / "no-such-ca.pem"), "no-such-ca.pem"),
    ):
        view.revert_button.click()
        view.fields[name].setText(value)
        view.apply_button.click()
        qtbot.waitUntil(lambda: view.bar.kind == "error", timeout=10_000)
        assert view.bar.text.text().startswith("Not saved:") and named in view.bar.text.text()
        assert (home / "config.toml").read_text() == before and view.apply_button.isEnabled()
    view.revert_button.click()
    assert view.shown("relay.host") == tray.app.config.value("relay", "host") and view.changes() == {}

    view.fields["portal.url"].setText("http://127.0.0.1:9")
    view.apply_button.click()
    qtbot.waitUntil(lambda: view.bar.kind == "ok", timeout=10_000)
    assert view.bar.text.text() == SAVED_PORTAL
    qtbot.waitUntil(lambda: tray.app.config.pending == {"portal.url": "http://127.0.0.1:9"})
    assert view.shown("portal.url") == "http://127.0.0.1:9"
    assert "used after Postseal restarts" in view.source.text()


def test_desktop_mail_settings_show_the_local_smtp_submission(qtbot, start_agent, sink, make_tray):
    from agent.demo_world import free_port

    running = start_agent(sink.port, ingress={"smtp_port": free_port()})
    tray = make_tray()
    box = tray.window.settings.desktop
    qtbot.waitUntil(lambda: box.values["port"].text() == str(running.smtp_port), timeout=10_000)
    assert box.values["username"].text() == "postseal" and box.values["security"].text() == "STARTTLS"
    assert box.password.echoMode() == box.password.EchoMode.Password and len(box.password.text()) == 36
    box.show_button.click()
    assert box.password.echoMode() == box.password.EchoMode.Normal
    box.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == box.password.text()


def test_desktop_mail_settings_say_when_the_submission_is_off(qtbot, start_agent, sink, make_tray):
    start_agent(sink.port)  # tests default to ingress.smtp_port = 0
    tray = make_tray()
    box = tray.window.settings.desktop
    qtbot.waitUntil(lambda: "Switched off" in box.note.text(), timeout=10_000)
    assert not box.password.isEnabled() and box.password.text() == ""


def test_the_first_run_page_asks_for_what_is_missing_and_follows_what_is_saved(
    qtbot, start_agent, sink, make_tray, home
):
    # A computer set up by hand: no domains, the default portal address on this computer.
    start_agent(sink.port, organization={"internal_domains": []}, portal={"allow_test_url": False})
    tray = make_tray(show=False)
    qtbot.waitUntil(lambda: tray.window.isVisible(), timeout=10_000)  # opened by itself, once
    view = tray.window.settings
    assert tray.window.tabs.currentIndex() == VIEWS.index("settings")
    qtbot.waitUntil(lambda: view.first_run.isVisibleTo(view))
    assert "secure portal address" in view.first_run.text() and "mail domains" in view.first_run.text()
    assert tray.app.status.title == "Portal not set up"

    view.fields["organization.internal_domains"].setText("valleyclinic.example; Lab.ValleyClinic.example")
    view.fields["portal.url"].setText("https://secure.valleyclinic.example")
    assert view.changes()["organization"] == {"internal_domains": ["valleyclinic.example", "lab.valleyclinic.example"]}
    view.apply_button.click()
    qtbot.waitUntil(lambda: view.bar.kind == "ok", timeout=10_000)
    saved = tomllib.loads((home / "config.toml").read_text())
    assert saved["organization"]["internal_domains"] == ["valleyclinic.example", "lab.valleyclinic.example"]
    assert saved["portal"]["embedded"] is False  # an address elsewhere is the clinic's own portal
    # Domains count at once; the portal address after a restart, so portal mail is still held.
    qtbot.waitUntil(lambda: "mail domains" not in view.first_run.text(), timeout=10_000)
    assert "secure portal address" in view.first_run.text()
    assert [p["code"] for p in tray.app.setup_problems] == ["portal_url_unreachable"]


def test_no_first_run_page_when_it_set_everything_that_was_missing(qtbot, live_agent, make_tray):
    live_agent.start(managed={"portal": {"url": "https://secure.valleyclinic.example", "embedded": False}})
    tray = make_tray(show=False)
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    qtbot.waitUntil(lambda: tray.app._health_seen and tray.app.config is not None)
    assert not tray.window.isVisible() and not tray.window.settings.first_run.isVisibleTo(tray.window.settings)
