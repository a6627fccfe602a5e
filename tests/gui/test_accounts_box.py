"""Settings → Accounts against the real agent and the fake Microsoft sign-in: the button
opens the sign-in in the "browser", the box shows the account once the browser is done; a
revoked sign-in turns the tray to "Sign in again" and says so; a provider IT did not set up
has its button off with the reason."""

from __future__ import annotations

import threading

import pytest

from agent.api.client import AgentClient
from gui.status import Tone
from tests.accounts.conftest import browse
from tests.accounts.test_microsoft_graph import message
from tests.gui.conftest import wait_for_tone
from tests.gui.test_screenshots import save
from tests.screenshots import screenshot_folder


@pytest.mark.screenshots
def test_signing_in_from_settings_and_signing_in_again_when_the_tray_asks(
    qtbot, account_agent, microsoft, ca, make_tray, tmp_path
):
    running, client = account_agent(microsoft)
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    tray.window.show_view("settings")
    box = tray.window.settings.accounts
    qtbot.waitUntil(lambda: box.buttons["microsoft"].isEnabled())
    assert not box.buttons["google"].isEnabled()
    assert "has not set up Google Workspace" in box.buttons["google"].toolTip()
    opened: list[str] = []
    # The system browser: follows the address in the background, as a browser would.
    box.open_url = lambda url: opened.append(url) or threading.Thread(target=browse, args=(url, ca)).start() or True
    box.buttons["microsoft"].click()
    qtbot.waitUntil(lambda: "Signed in as dr.chen@valleyclinic.example" in box.bar.text.text(), timeout=20_000)
    assert opened and opened[0].startswith(microsoft.origin)
    qtbot.waitUntil(lambda: "signed in" in box.list.item(0).text())
    assert box.list.item(0).text().startswith("dr.chen@valleyclinic.example — Microsoft 365")
    qtbot.waitUntil(lambda: box.buttons["microsoft"].isEnabled())  # ready for the next sign-in
    box.list.setCurrentRow(0)
    assert box.sign_out_button.isEnabled()
    folder = screenshot_folder(tmp_path)
    box.resize(900, box.sizeHint().height())
    save(box.grab(), folder, "tray-accounts.png")

    microsoft.revoke_all()
    AgentClient(running.api_url, running.token).submit(message("nurse.kim@valleyclinic.example"))
    wait_for_tone(qtbot, tray, Tone.ATTENTION, timeout=20_000)
    assert tray.app.status.title == "Sign in again"
    assert "Mail from dr.chen@valleyclinic.example waits until you sign in again" in tray.app.status.detail
    qtbot.waitUntil(lambda: "sign in again: AADSTS" in box.list.item(0).text())
    box.buttons["microsoft"].click()
    qtbot.waitUntil(lambda: "Signed in as" in box.bar.text.text(), timeout=20_000)
    qtbot.waitUntil(lambda: len(microsoft.delivered) == 1, timeout=20_000)
    wait_for_tone(qtbot, tray, Tone.PROTECTED, timeout=20_000)


def test_a_failed_sign_in_says_why_and_leaves_no_account(qtbot, account_agent, microsoft, ca, make_tray):
    account_agent(microsoft)
    microsoft.browser = "decline"
    tray = make_tray()
    wait_for_tone(qtbot, tray, Tone.PROTECTED)
    box = tray.window.settings.accounts
    qtbot.waitUntil(lambda: box.buttons["microsoft"].isEnabled())
    box.open_url = lambda url: threading.Thread(target=browse, args=(url, ca)).start() or True
    box.buttons["microsoft"].click()
    qtbot.waitUntil(lambda: box.bar.kind == "error", timeout=20_000)
    assert "Not signed in: the sign-in was declined in the browser" in box.bar.text.text()
    assert box.list.item(0).text().startswith("No account")
    assert box.buttons["microsoft"].isEnabled()
