"""The Outlook add-in's origin: HTTPS with the per-install CA, the pairing secret, and every
way another page or another user might try to reach the agent through it."""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from agent.demo_world import free_port
from tests.integration.test_compose import draft
from tests.portal_pg import as_nobody


@pytest.fixture
def origin(start_agent, sink, home):
    running = start_agent(sink.port, ingress={"addin_port": free_port()})
    context = ssl.create_default_context(cafile=str(home / "tls" / "local-ca.pem"))
    pairing = json.loads(fetch(running.addin_url, "/addin/v1/pairing", context)[1])["token"]
    return running, context, pairing


def fetch(base: str, path: str, context, body=None, headers=None, method=None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60, context=context) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_the_origin_is_https_that_verifies_against_the_install_ca_only(origin, home):
    running, context, _ = origin
    assert running.addin_url.startswith("https://localhost:")
    status, body, headers = fetch(running.addin_url, "/.well-known/microsoft-officeaddins-allowed.json", context)
    assert status == 200 and f"{running.addin_url}/addin/launchevent.js" in json.loads(body)["allowed"]
    assert "Access-Control-Allow-Origin" not in headers
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(
            f"{running.addin_url}/addin/v1/health", timeout=30, context=ssl.create_default_context()
        )  # the system store does not know it
    # openssl, not our code, checks the chain and the name constraints of the CA.
    tls = home / "tls"
    out = subprocess.run(
        ["openssl", "verify", "-CAfile", tls / "local-ca.pem", "-verify_hostname", "localhost", tls / "localhost.pem"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", tls / "local-ca.pem", "-noout", "-text"], capture_output=True, text=True
    ).stdout
    assert "Name Constraints: critical" in text and "DNS:localhost" in text
    assert (tls / "local-ca.key").stat().st_mode & 0o777 == 0o600


def test_a_paired_page_gets_answers_and_nobody_else_does(origin):
    running, context, pairing = origin
    own = {"X-Postseal-Pairing": pairing, "Origin": running.addin_url}
    status, body, _ = fetch(running.addin_url, "/addin/v1/compose", context, draft(), own)
    answer = json.loads(body)
    assert status == 200 and answer["decision"] == "allow" and answer["stamp"].startswith("v1.")
    assert json.loads(fetch(running.addin_url, "/addin/v1/check", context, draft(), own)[1])["decision"] == "allow"

    refused = [
        ({"Origin": running.addin_url}, 401, "not_paired"),  # no pairing secret
        ({"X-Postseal-Pairing": "0" * 48, "Origin": running.addin_url}, 401, "not_paired"),
        ({"X-Postseal-Pairing": pairing, "Origin": "https://evil.example"}, 403, "bad_origin"),
        ({"X-Postseal-Pairing": pairing, "Origin": "null"}, 403, "bad_origin"),
        ({"X-Postseal-Pairing": pairing, "Host": "attacker.example:443"}, 421, "bad_host"),
    ]
    for headers, code, error in refused:
        status, body, _ = fetch(running.addin_url, "/addin/v1/compose", context, draft(), headers)
        answer = json.loads(body)
        assert (status, answer["error"]["code"], answer["decision"]) == (code, error, "blocked"), headers
    # The pairing secret is for the add-in's own pages: not for a cross-site fetch.
    for site in ("cross-site", "same-site"):
        status, body, _ = fetch(running.addin_url, "/addin/v1/pairing", context, headers={"Sec-Fetch-Site": site})
        assert status == 403 and pairing not in body.decode()
    status, body, _ = fetch(running.addin_url, "/addin/v1/pairing", context, headers={"Origin": "https://evil.example"})
    assert status == 403 and pairing not in body.decode()


def test_the_add_in_origin_can_be_switched_off(start_agent, sink):
    running = start_agent(sink.port)  # tests default to addin_port = 0
    assert running.addin_url == ""


@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0 or not shutil.which("curl") or not os.path.exists("/proc/net/tcp"),
    reason="needs root (to act as a second local user) and curl",
)
def test_another_user_of_this_computer_is_refused(origin):
    running, context, pairing = origin
    out = subprocess.run(
        as_nobody([shutil.which("curl"), "-sk", "-w", "\n%{http_code}", f"{running.addin_url}/addin/v1/pairing"]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    body, code = out.stdout.rsplit("\n", 1)
    assert code == "403" and json.loads(body)["error"]["code"] == "other_user", out
    assert pairing not in body
    # The same request from this user is answered (the check is about who, not how).
    assert fetch(running.addin_url, "/addin/v1/pairing", context)[0] == 200


# --- pairing tokens: fresh per page, gone at restart, bound to the program that fetched them --


def page_token(running, context, page: str = "taskpane.html") -> str:
    status, body, _ = fetch(running.addin_url, f"/addin/{page}", context)
    assert status == 200
    return re.search(rb'<meta name="postseal-pairing" content="([^"]+)">', body).group(1).decode()


def test_each_page_carries_its_own_token_and_none_is_kept_on_disk(origin, home):
    running, context, pairing = origin
    tokens = {
        page_token(running, context),
        page_token(running, context),
        page_token(running, context, "commands.html"),
        pairing,
    }
    assert len(tokens) == 4 and all(t.startswith("v1.") for t in tokens)
    own = {"Origin": running.addin_url}
    for token in tokens:
        status, body, _ = fetch(
            running.addin_url, "/addin/v1/check", context, draft(), {**own, "X-Postseal-Pairing": token}
        )
        assert status == 200, body
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    assert not any(t.encode() in stored for t in tokens)
    assert not (home / "secrets" / "addin-pairing").exists()


def test_a_token_from_before_a_restart_is_refused_and_a_new_one_works(sink, ca, home):
    from agent import config as config_mod
    from agent.runtime import AgentThread
    from tests.conftest import make_config

    config = make_config(sink.port, ca, ingress={"addin_port": free_port()})
    (home / "config.toml").write_text(config_mod.to_toml(config))
    with AgentThread(home, config) as running:
        context = ssl.create_default_context(cafile=str(home / "tls" / "local-ca.pem"))
        old = json.loads(fetch(running.addin_url, "/addin/v1/pairing", context)[1])["token"]
    with AgentThread(home, config) as running:
        own = {"Origin": running.addin_url}
        status, body, _ = fetch(
            running.addin_url, "/addin/v1/check", context, draft(), {**own, "X-Postseal-Pairing": old}
        )
        assert (status, json.loads(body)["error"]["code"]) == (401, "not_paired")
        assert "get a new one at /addin/v1/pairing" in json.loads(body)["error"]["message"]
        new = json.loads(fetch(running.addin_url, "/addin/v1/pairing", context)[1])["token"]
        assert (
            fetch(running.addin_url, "/addin/v1/check", context, draft(), {**own, "X-Postseal-Pairing": new})[0] == 200
        )


OTHER_PROGRAM = """
import json, ssl, sys, urllib.error, urllib.request
base, cafile, token = sys.argv[1:4]
context = ssl.create_default_context(cafile=cafile)
def check(token):
    request = urllib.request.Request(base + "/addin/v1/check", method="POST", data=json.dumps({
        "client": "outlook", "from": "dr.chen@valleyclinic.example", "to": ["nurse.kim@valleyclinic.example"],
        "subject": "Rota"}).encode(), headers={"Content-Type": "application/json", "X-Postseal-Pairing": token})
    try:
        return urllib.request.urlopen(request, context=context, timeout=60).status
    except urllib.error.HTTPError as exc:
        return exc.code
own = json.loads(urllib.request.urlopen(base + "/addin/v1/pairing", context=context, timeout=60).read())["token"]
print(check(token), check(own))
"""


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="the process behind a socket is known on Linux only")
def test_a_token_is_refused_from_any_other_program_than_the_one_it_was_given_to(origin, home):
    running, context, pairing = origin
    out = subprocess.run(
        [sys.executable, "-c", OTHER_PROGRAM, running.addin_url, str(home / "tls" / "local-ca.pem"), pairing],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.split() == ["401", "200"], out.stderr  # ours copied over: refused; its own: answered


def test_the_manifest_written_for_this_port_names_only_what_the_agent_serves_there(origin):
    from agent.ingress import outlook_manifest

    running, context, _ = origin
    port = int(running.addin_url.rsplit(":", 1)[1])
    assert port != outlook_manifest.TEMPLATE_PORT  # a port other than the templates' default
    manifest = outlook_manifest.render_xml(outlook_manifest.origin_for(port)).decode()
    urls = set(re.findall(r'DefaultValue="(https://[^"]+)"', manifest))
    assert len(urls) >= 8 and all(u.startswith(f"{running.addin_url}/addin/") for u in urls)
    for url in sorted(urls):
        status, _, _ = fetch(running.addin_url, url[len(running.addin_url) :], context)
        assert status == 200, url
    # Classic Outlook on Windows runs launchevent.js without a page: its fallback origin is this one.
    status, script, _ = fetch(running.addin_url, "/addin/launchevent.js", context)
    assert status == 200 and f'const DEFAULT_ORIGIN = "{running.addin_url}";'.encode() in script
    assert b"localhost:8743" not in script
