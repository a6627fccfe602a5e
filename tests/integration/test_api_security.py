"""Only the user gets in: token, Host (DNS rebinding) and Origin checks on the local API."""

import http.client
import json
import os
import stat
from urllib.parse import urlsplit

import pytest

from agent.demo_world import SmtpSink


@pytest.fixture
def agent(start_agent, ca):
    with SmtpSink(ca) as sink:
        yield start_agent(sink.port)


def call(running, method, path, headers=None, body=None, host=None):
    port = urlsplit(running.api_url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_host=True)
    conn.putheader("Host", host or f"127.0.0.1:{port}")
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (
        json.loads(data) if data and response.getheader("Content-Type", "").startswith("application/json") else data
    )


def auth(running):
    return {"Authorization": f"Bearer {running.token}"}


def test_health_needs_no_token_but_everything_else_does(agent):
    assert call(agent, "GET", "/v1/health")[0] == 200
    status, body = call(agent, "GET", "/v1/outbox")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _ = call(agent, "GET", "/v1/outbox", {"Authorization": "Bearer wrong"})
    assert status == 401
    assert call(agent, "GET", "/v1/outbox", auth(agent))[0] == 200


def test_a_foreign_host_header_is_refused_even_with_the_token(agent):
    status, body = call(agent, "GET", "/v1/outbox", auth(agent), host="attacker.example:80")
    assert status == 421 and body["error"]["code"] == "bad_host"


def test_a_foreign_origin_is_refused_even_with_the_token(agent):
    status, body = call(agent, "GET", "/v1/outbox", {**auth(agent), "Origin": "https://evil.example"})
    assert status == 403 and body["error"]["code"] == "bad_origin"
    assert call(agent, "GET", "/v1/outbox", {**auth(agent), "Origin": "null"})[0] == 403


def test_the_openapi_document_describes_the_api(agent):
    status, doc = call(agent, "GET", "/v1/openapi.json", auth(agent))
    assert status == 200 and doc["openapi"].startswith("3.")
    assert {
        "/v1/check",
        "/v1/messages",
        "/v1/messages/{id}",
        "/v1/events",
        "/v1/compose",
        "/v1/stamps/verify",
        "/v1/ingress/credentials",
    } <= set(doc["paths"])
    # Every route the agent serves is described, with each of its methods.
    from agent.ingress.api import create_app

    for route in create_app(None, "token", set()).router.routes():
        path, method = route.resource.canonical, route.method.lower()
        if path != "/v1/openapi.json" and method != "head":
            assert method in doc["paths"].get(path, {}), f"{method.upper()} {path} is not in the OpenAPI document"


def test_bad_requests_get_json_errors(agent):
    headers = {**auth(agent), "Content-Type": "text/plain"}
    status, body = call(agent, "POST", "/v1/messages", headers, b"hello")
    assert status == 415 and "message/rfc822" in body["error"]["message"]
    headers["Content-Type"] = "message/rfc822"
    status, body = call(agent, "POST", "/v1/messages", headers, b"From: a@x.example\r\n\r\nno recipients")
    assert status == 400 and body["error"]["code"] == "bad_message"
    status, body = call(agent, "GET", "/v1/messages/nope", auth(agent))
    assert status == 404 and body["error"]["code"] == "not_found"


def test_check_plans_without_sending(agent):
    raw = b"From: dr.chen@valleyclinic.example\r\nTo: p@mailbox.example\r\nSubject: x\r\n\r\nMRN: VC-0048213\r\n"
    status, body = call(agent, "POST", "/v1/check", {**auth(agent), "Content-Type": "message/rfc822"}, raw)
    assert status == 200
    assert body["plan"]["recipients"][0]["method"] == "portal"
    assert body["plan"]["verdict"]["finding_counts"] == {"mrn": 1}
    assert "VC-0048213" not in json.dumps(body)
    assert call(agent, "GET", "/v1/outbox", auth(agent))[1]["messages"] == []


def test_token_and_discovery_files_are_private(start_agent, ca, home):
    with SmtpSink(ca) as sink:
        running = start_agent(sink.port)
        token = home / "api-token"
        assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
        assert token.read_text() == running.token
        info = json.loads((home / "agent.json").read_text())
        assert info["api_url"] == running.api_url and info["pid"] == os.getpid()


def test_agent_json_is_removed_on_clean_exit(home, ca):
    from agent.runtime import AgentThread
    from tests.conftest import make_config

    with SmtpSink(ca) as sink:
        with AgentThread(home, make_config(sink.port, ca)):
            assert (home / "agent.json").exists()
    assert not (home / "agent.json").exists()
