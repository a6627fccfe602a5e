"""`postseal demo --serve`: the agent and the portal stay up after the demo, with whole portal
links and every one-time code printed, so a person can try the portal in a browser at once.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from agent.api.client import AgentClient
from agent.demo.cast import ORG, samples_dir
from agent.demo_world import Received, SmtpSink


def serve(
    home: Path, running, client: AgentClient, results: list[dict[str, Any]], sink: SmtpSink, as_json: bool
) -> None:
    """Keep the agent and portal up, print each portal link whole and every one-time code the
    demo mailbox (the sink) receives, so the portal can be tried in a browser at once."""
    tell = (
        (lambda text: print(text, file=sys.stderr, flush=True)) if as_json else (lambda text: print(text, flush=True))
    )
    tell(f"\nServing: agent API {running.api_url} (token in {home / 'api-token'}), portal {running.portal_url}.")
    # The checks above opened every portal copy with a code, and the portal sends no second
    # code for a message within a minute (its guard against code flooding): fresh copies for
    # the person at the browser, so the first "send me a code" works at once.
    links = portal_links(_send_fresh_portal_copies(client, results), sink)
    if links:
        tell("Open a portal link in a browser, ask for a code, and it appears here:")
        for address, url in links:
            tell(f"  {address}: {url}")
    tell("Press Ctrl-C to stop.")
    seen = len(sink.received)
    try:
        while True:
            if not sink.wait_for(seen + 1, timeout=3600):
                continue
            for mail in sink.received[seen:]:
                code = _code_in(mail)
                if code:
                    tell(f"one-time code for {', '.join(mail.recipients)}: {code}")
            seen = len(sink.received)
    except KeyboardInterrupt:
        tell("stopping")


def _send_fresh_portal_copies(client: AgentClient, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each sample that went to someone via the portal, again, to those recipients only, under
    a new Message-ID (the same one would be recognised and not sent again)."""
    from email import policy
    from email.parser import BytesParser
    from email.utils import make_msgid

    fresh = []
    for result in results:
        portal = [r["address"] for r in result["recipients"] if r["method"] == "portal" and r["state"] == "delivered"]
        if not portal:
            continue
        message = BytesParser(policy=policy.default).parsebytes((samples_dir() / result["file"]).read_bytes())
        for header in ("To", "Cc", "Bcc", "Message-ID"):
            del message[header]
        message["To"] = ", ".join(portal)
        message["Message-ID"] = make_msgid(domain=ORG)
        ident = client.submit(message.as_bytes()).id
        fresh.append(client.wait(ident, timeout=60))
    return fresh


def portal_links(results: list[dict[str, Any]], sink: SmtpSink) -> list[tuple[str, str]]:
    """The link in each delivered portal notice, key fragment and all."""
    links = []
    for result in results:
        for rcpt in result["recipients"]:
            copy = sink.by_reply(rcpt["proof"].get("reply", "")) if rcpt["method"] == "portal" else None
            body = copy.message.get_body(("plain",)) if copy is not None else None
            found = re.search(r"https?://\S+/m/[A-Za-z0-9_-]+#[A-Za-z0-9_-]+", body.get_content()) if body else None
            if found:
                links.append((rcpt["address"], found.group(0)))
    return links


def _code_in(mail: Received) -> str:
    body = mail.message.get_body(("plain",))
    found = re.search(r"Your code is (\d{6})", body.get_content()) if body is not None else None
    return found.group(1) if found else ""
