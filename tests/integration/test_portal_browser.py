"""The portal page decrypts in a real browser (headless Chromium) with the key from the link."""

import re
import shutil
import subprocess

import pytest

from tests.conftest import SAMPLES, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def render(url: str, tmp_path) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=5000", "--dump-dom", url],
        capture_output=True, timeout=60, check=False,
    )
    return result.stdout.decode()


@pytest.fixture
def notice_link(start_agent, sink, home):
    start_agent(sink.port)
    run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=home)
    [notice] = sink.received
    text = notice.message.get_body(("plain",)).get_content()
    return re.search(r"(http://\S+/m/\S+#\S+)", text).group(1)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`")
def test_the_link_opens_the_message_in_the_browser(notice_link, tmp_path):
    dom = render(notice_link, tmp_path)
    assert "increase metformin to 1000 mg twice daily" in dom
    assert "Your visit on November 23" in dom
    assert "could not be decrypted" not in dom


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`")
def test_a_damaged_key_shows_an_error_and_no_content(notice_link, tmp_path):
    base, key = notice_link.split("#")
    damaged = base + "#" + ("A" if key[0] != "A" else "B") + key[1:]
    dom = render(damaged, tmp_path)
    assert "could not be decrypted" in dom and "metformin" not in dom
    dom = render(base, tmp_path)
    assert "link is incomplete" in dom
