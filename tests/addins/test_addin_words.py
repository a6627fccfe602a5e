"""Every text the add-ins' own code can show a clinician — the Outlook task pane and Smart
Alerts for each answer and each failure, the Gmail page's banners and notes for each reply —
is plain words: no configuration keys, no mail-server jargon, no method codes, no exception
text (tests/plain_text.py). tests/addins/texts.mjs produces them from the real modules, fed
technical detail on purpose; what the pages show from the agent is checked as rendered in
test_outlook_taskpane.py and test_gmail_extension.py, and where it is made in
tests/unit/test_plain_words.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.ingress import native
from tests.plain_text import assert_plain, jargon_in

REPO = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is installed by `make test`")
def test_every_text_the_add_ins_can_show_is_plain_words():
    result = subprocess.run([NODE, "tests/addins/texts.mjs"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    texts = json.loads(result.stdout)
    for part in (
        "outlook MESSAGES",
        "outlook error",
        "task pane",
        "gmail TEXTS",
        "gmail outcome",
        "gmail disconnect",
        "gmail timeout",
    ):
        assert any(t["where"].startswith(part) for t in texts), f"texts.mjs no longer gives the {part} texts"
    problems = [f"{t['where']}: {jargon_in(t['text'])} in {t['text']!r}" for t in texts if jargon_in(t["text"])]
    assert not problems, "\n".join(problems)
    # The detail fed in (HTTP 502, TypeError, the failing Office call) is for the console only.
    assert not [t for t in texts if "502" in t["text"] or "Failed to fetch" in t["text"]]


def test_the_native_hosts_own_sentences_are_plain_words():
    for text in (native.NOT_RUNNING, native.SLOW):
        assert_plain(text, "the native host")
