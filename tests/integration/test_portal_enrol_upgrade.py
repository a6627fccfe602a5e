"""An agent of an earlier release moves from the shared upload token to its own credential
without losing its messages: a standalone portal adopts its old token file as the agent
"local", which owns what was uploaded with it; the agent, once enrolled and restarted, claims
back its earlier messages, so a reply to one sent before enrolment still reaches the sender.
No other enrolled agent can take them once claimed."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time

import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agent import config as config_mod
from agent import portal_enrol
from agent.api.client import AgentClient
from agent.portal import enrolment
from agent.portal.interface import LOCAL_AGENT
from agent.portal.store import SqlitePortalStore
from agent.protect.portal import b64url_decode
from agent.runtime import AgentThread
from tests.conftest import SAMPLES, make_config, run_cli
from tests.integration.test_portal_agents import LOCAL_SECRET, Portal

PATIENT = "maria.gonzalez@mailbox.example"


def wait(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_an_agent_enrolled_after_the_shared_token_keeps_its_earlier_messages(tmp_path, home, sink, ca):
    store = SqlitePortalStore(tmp_path / "portal-state")
    codes: list[str] = []
    portal = Portal(store, mailer=lambda sealed, code: codes.append(code)).start()  # adopts LOCAL_SECRET
    config = make_config(
        sink.port, ca, portal={"url": portal.url, "embedded": False, "upload_token": LOCAL_SECRET, "poll_seconds": 1}
    )
    (home / "config.toml").write_text(config_mod.to_toml(config))
    try:
        with AgentThread(home, config):  # the release before: the shared token
            sent = run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=home)
            assert sent.returncode == 0, sent.stderr + sent.stdout
        [notice] = [r for r in sink.received if r.recipients == (PATIENT,)]
        link = re.search(r"(http://\S+/m/\S+#\S+)", notice.message.get_body(("plain",)).get_content()).group(1)
        ident, key_text = link.split("/m/")[1].split("#")
        assert store.get(ident).agent == LOCAL_AGENT

        code, _ = enrolment.new_code(store, 2, 3600)
        assert run_cli("portal", "enroll", "--url", portal.url, "--code", code, home=home).returncode == 0
        mine = portal_enrol.enrolled_with(home)["agent"]
        with AgentThread(home, config) as running:  # restarted: its own credential, then the claim
            assert running.pipeline.portal_credential != LOCAL_SECRET
            wait(lambda: store.get(ident).agent == mine, "the earlier message was never claimed")
            assert portal_enrol.enrolled_with(home)["claimed"] is True
            # The recipient replies to the message sent before enrolment; it reaches the sender.
            api = f"{portal.url}/api/v1/messages/{ident}"
            browser = requests.Session()
            assert browser.post(f"{api}/code", json={}, timeout=10).status_code == 202
            assert browser.post(f"{api}/session", json={"code": codes[-1]}, timeout=10).status_code == 200
            reply_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
            nonce = secrets.token_bytes(12)
            document = {"format": "postseal-portal-reply-v1", "text": "Thank you, doctor.", "attachments": []}
            sealed = nonce + AESGCM(b64url_decode(key_text)).encrypt(
                nonce, json.dumps(document).encode(), f"{ident}/reply/{reply_id}".encode()
            )
            assert browser.put(f"{api}/replies/{reply_id}", data=sealed, timeout=10).status_code == 201
            client = AgentClient(running.api_url, running.token)  # kept for the tray: no S/MIME identity
            wait(
                lambda: [r for r in client.replies() if r["state"] == "delivered"], "the reply never reached the sender"
            )
        other = requests.post(f"{portal.url}/api/v1/enroll", json={"code": code, "name": "someone else"}, timeout=10)
        stolen = requests.post(
            f"{portal.url}/api/v1/messages/{ident}/claim",
            timeout=10,
            headers={"Authorization": f"Bearer {other.json()['credential']}"},
        )
        assert stolen.status_code == 404 and store.get(ident).agent == mine
    finally:
        portal.stop()
        store.close()
