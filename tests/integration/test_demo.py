import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from tests.conftest import run_cli


def test_demo_json_shows_every_method_a_hold_and_passing_checks(home):
    # The demo's data directory stays in the system's temporary folder: the recipients' GnuPG
    # homes inside it must stay short enough for gpg-agent's socket path (108 bytes on Linux).
    result = run_cli("demo", "--json", home=home, timeout=180)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    report = json.loads(result.stdout)
    methods = {r["method"] for m in report["messages"] for r in m["recipients"] if r["state"] == "delivered"}
    assert {"internal", "pgp", "tls", "portal"} <= methods
    assert any(m["state"] == "held" for m in report["messages"])
    assert report["checks"] and all(c["ok"] for c in report["checks"])
    # Sample patient mail and private keys do not outlive the demo.
    assert Path(report["home"]).name.startswith("postseal-demo-") and not report["kept"]
    assert not Path(report["home"]).exists()


def _lines(process: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    return lines


def _until(lines: queue.Queue, pattern: str, seen: list[str], timeout: float = 180) -> re.Match:
    while True:
        line = lines.get(timeout=timeout)  # queue.Empty fails the test with what was seen
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found


def test_demo_serve_prints_whole_portal_links_and_the_codes_then_cleans_up(home):
    env = {**os.environ, "POSTSEAL_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "demo", "--serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        lines = _lines(process)
        data = Path(_until(lines, r"data directory (\S+)", seen).group(1))
        _until(lines, r"Open a portal link", seen)
        link = _until(lines, r"^\s+\S+@\S+: (https?://\S+/m/([A-Za-z0-9_-]+)#[A-Za-z0-9_-]{20,})$", seen)
        _until(lines, r"Press Ctrl-C", seen)
        assert any("unverified" in line and "end-to-end" in line for line in seen), "".join(seen)
        url, portal_id = link.group(1), link.group(2)
        # What the browser's page does: ask for a code; the demo prints what its mailbox got.
        api = f"{url.split('/m/')[0]}/api/v1/messages/{portal_id}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

        def post(path: str, body: dict) -> bytes:
            request = urllib.request.Request(
                f"{api}{path}",
                data=json.dumps(body).encode(),
                method="POST",
                headers={"Content-Type": "application/json"},
            )
            return opener.open(request, timeout=20).read()

        post("/code", {})
        code = _until(lines, r"one-time code for \S+: (\d{6})$", seen, timeout=30).group(1)
        post("/session", {"code": code})  # the printed code is the one that opens the message
        assert opener.open(f"{api}/blob", timeout=20).read()
        assert data.is_dir()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0, "".join(seen) + process.stderr.read()[-2000:]
    assert not data.exists()
