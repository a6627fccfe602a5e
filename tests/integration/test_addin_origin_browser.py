"""A web page on another origin, in a real browser, tries every way to use the add-in origin:
read the pairing secret, read an add-in page, post a draft with and without CORS. Nothing
works, and the agent stamps and keeps nothing."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading

import pytest
from aiohttp import web

from agent.api.client import AgentClient
from agent.demo_world import free_port
from tests.integration.test_compose import draft

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

ATTACK = """<!doctype html><html><body><pre id="out"></pre>
<iframe id="frame" src="{origin}/addin/v1/health"></iframe>
<script>
const origin = "{origin}";
const out = document.getElementById("out");
const say = (line) => {{ out.textContent += line + "\\n"; }};
const draft = {draft};
// Registered before the frame can finish: until it loads, the frame holds the parent's own
// about:blank document, which would read as "" and say nothing about the add-in origin.
const frameLoaded = new Promise((resolve) => document.getElementById("frame").addEventListener("load", resolve));
async function attempt(name, run) {{
  try {{ say(name + ": read " + JSON.stringify(await run())); }}
  catch (e) {{ say(name + ": refused " + e.name); }}
}}
(async () => {{
  await attempt("pairing", async () => (await fetch(origin + "/addin/v1/pairing")).json());
  await attempt("page", async () => (await fetch(origin + "/addin/v1/health")).text());
  await attempt("cors-post", async () => (await fetch(origin + "/addin/v1/compose", {{method: "POST",
      headers: {{"Content-Type": "application/json", "X-Postseal-Pairing": "guess"}},
      body: JSON.stringify(draft)}})).json());
  await attempt("simple-post", async () => {{
      const r = await fetch(origin + "/addin/v1/compose", {{method: "POST", mode: "no-cors",
          headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify(draft)}});
      return r.type; }});
  await attempt("frame", async () => {{
      await frameLoaded;
      const doc = document.getElementById("frame").contentDocument;
      if (doc === null) throw new DOMException("cross-origin frame", "SecurityError");
      return doc.body.textContent; }});
  say("done");
}})();
</script></body></html>"""


class AttackerSite:
    """A plain HTTP site on another port: another origin, as any web page the user visits."""

    def __init__(self, page: str) -> None:
        self.port = free_port()
        self.page = page
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def serve(_request):
            return web.Response(text=self.page, content_type="text/html")

        async def main():
            app = web.Application()
            app.router.add_get("/", serve)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            self.stop = asyncio.Event()
            self.loop = asyncio.get_running_loop()
            self.ready.set()
            await self.stop.wait()
            await runner.cleanup()

        asyncio.run(main())

    def __enter__(self) -> AttackerSite:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`")
def test_a_page_on_another_origin_gets_nothing_from_the_add_in_origin(start_agent, sink, tmp_path):
    running = start_agent(sink.port, ingress={"addin_port": free_port()})
    page = ATTACK.format(origin=running.addin_url, draft=json.dumps(draft()))
    with AttackerSite(page) as site:
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--ignore-certificate-errors",  # TLS is not the question here; the origin checks are
                f"--user-data-dir={tmp_path / 'chromium'}",
                "--virtual-time-budget=8000",
                "--dump-dom",
                f"http://127.0.0.1:{site.port}/",
            ],
            capture_output=True,
            timeout=90,
            check=False,
        )
    dom = result.stdout.decode()
    assert "done" in dom, result.stderr.decode()[-2000:]
    lines = dict(
        line.split(": ", 1)
        for line in dom[dom.index("<pre") :].split(">", 1)[1].split("</pre>")[0].strip().splitlines()
        if ": " in line
    )
    assert lines["pairing"].startswith("refused"), lines
    assert lines["page"].startswith("refused") and lines["cors-post"].startswith("refused")
    assert lines["simple-post"] == 'read "opaque"'  # sent blind, refused by the agent (foreign Origin)
    assert lines["frame"].startswith("refused SecurityError")
    client = AgentClient(running.api_url, running.token)
    assert client.outbox() == [] and not [r for r in client.audit() if r.get("event") == "stamped"]
