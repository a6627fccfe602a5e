"""The portal embedded in the agent answers only to its own URL's host (DNS rebinding: a page
on another site whose name resolves to 127.0.0.1 must not reach it) and checks Origin
against that URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests


def test_embedded_portal_refuses_other_host_names(start_agent, sink):
    running = start_agent(sink.port)
    url = running.portal_url
    own = urlsplit(url)
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    info = f"{url}/api/v1/messages/no-such-message-0000001/info"
    assert requests.get(info, timeout=10).status_code == 404  # its own host: answered (no such message)
    rebound = requests.get(info, headers={"Host": f"attacker.example:{own.port}"}, timeout=10)
    assert rebound.status_code == 421 and "error" in rebound.json()
    other_origin = requests.post(
        f"{url}/api/v1/messages/no-such-message-0000001/code", timeout=10, headers={"Origin": "http://attacker.example"}
    )
    assert other_origin.status_code == 403
    own_origin = requests.post(
        f"{url}/api/v1/messages/no-such-message-0000001/code",
        timeout=10,
        headers={"Origin": f"{own.scheme}://{own.netloc}"},
    )
    assert own_origin.status_code == 404
