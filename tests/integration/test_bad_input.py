"""Input built to break the agent — MIME nested hundreds deep, JSON nested thousands deep,
header injection, lone surrogates, bytes that are not UTF-8, a gpg option where a key name
goes — is refused with a JSON error that names the problem, at once, from a real agent to
real HTTP clients. Never a text/plain 500, never a traceback, never a retry for days."""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlsplit

import pytest

from agent.api.client import AgentClient
from tests.conftest import SAMPLES, mailed_code

CLINIC = "dr.chen@valleyclinic.example"
PATIENT = "maria.gonzalez@mailbox.example"


@pytest.fixture
def agent(start_agent, sink):
    running = start_agent(sink.port)
    return running, AgentClient(running.api_url, running.token, timeout=30)


def call(
    running, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, str, dict | bytes]:
    port = urlsplit(running.api_url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        method,
        path,
        body=body,
        headers={"Authorization": f"Bearer {running.token}", "Host": f"127.0.0.1:{port}", "Content-Type": content_type},
    )
    response = connection.getresponse()
    data, kind = response.read(), response.getheader("Content-Type", "")
    connection.close()
    return response.status, kind, json.loads(data) if kind.startswith("application/json") else data


def nested_mime(depth: int) -> bytes:
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    return (
        f"From: {CLINIC}\r\nTo: nurse.kim@valleyclinic.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n".encode()
        + opening
        + b"Content-Type: text/plain\r\n\r\nhello\r\n"
        + closing
    )


def draft(**fields) -> dict:
    return {
        "client": "outlook",
        "from": CLINIC,
        "to": ["nurse.kim@valleyclinic.example"],
        "subject": "Rota",
        "body": {"type": "text", "content": "See you Monday."},
        **fields,
    }


def test_mime_nested_500_deep_is_a_400_that_says_so(agent):
    running, client = agent
    for path in ("/v1/messages", "/v1/check"):
        status, kind, body = call(running, "POST", path, nested_mime(500), "message/rfc822")
        assert (status, body["error"]["code"]) == (400, "bad_message"), (path, body)
        assert "nested deeper than 40 levels" in body["error"]["message"]
    assert client.outbox() == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"subject": "Rota\r\nBcc: leak@elsewhere.example"}, "draft.subject: must be one line"),
        ({"subject": "Rota\nX-Postseal-Verdict: v1.forged.stamp"}, "draft.subject: must be one line"),
        ({"subject": "Rota \ud800"}, "draft.subject: not valid text"),
        ({"body": {"type": "text", "content": "lab \udc00 results"}}, "draft.body.content: not valid text"),
        ({"to": ["nurse.kim@valleyclinic.example\r\nBcc: leak@elsewhere.example"]}, "draft.to: "),
        ({"to": ["n\ud800@valleyclinic.example"]}, "draft.to: "),
        (
            {"attachments": [{"name": "a\r\nContent-Type: text/html", "content_base64": "aGk="}]},
            "draft.attachments[0].name: must be one line",
        ),
        (
            {"attachments": [{"name": "a.txt", "content_type": "text/plain\r\nX: y", "content_base64": "aGk="}]},
            "is not a MIME type",
        ),
        ({"client": "outlook>\r\nBcc: x"}, "draft.client: "),
    ],
)
def test_header_injection_and_lone_surrogates_in_a_draft_are_a_400_naming_the_field(agent, fields, named):
    running, client = agent
    status, kind, body = call(running, "POST", "/v1/compose", json.dumps(draft(**fields)).encode())
    assert kind.startswith("application/json"), body
    assert (status, body["decision"], body["error"]["code"]) == (400, "blocked", "bad_draft")
    assert named in body["error"]["message"]
    assert client.outbox() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/compose"),
        ("POST", "/v1/compose/check"),
        ("PATCH", "/v1/config"),
        ("POST", "/v1/keys/generate"),
        ("POST", "/v1/accounts/sign-in"),
    ],
)
def test_json_nested_thousands_deep_is_a_400_not_a_recursion_error(agent, method, path):
    running, _ = agent
    for deep in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000):
        status, kind, body = call(running, method, path, deep)
        assert kind.startswith("application/json"), body
        assert status == 400 and "nests JSON deeper than 64 levels" in body["error"]["message"], body


def test_release_with_a_deep_note_is_a_400(agent):
    running, client = agent
    ident = client.submit((SAMPLES / "05-disability-form-ssn.eml").read_bytes()).id
    status, kind, body = call(running, "POST", f"/v1/messages/{ident}/release", b"[" * 50_000 + b"]" * 50_000)
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert client.message(ident)["state"] == "held"


def test_an_unforeseen_failure_is_a_json_500_and_its_text_stays_out_of_the_log(agent, caplog, monkeypatch):
    running, client = agent
    caplog.set_level(logging.DEBUG)

    def broken(raw):
        raise RuntimeError("while reading SSN 512-44-8721 for Maria Gonzalez")

    monkeypatch.setattr(running.pipeline, "check", broken)  # a bug nobody foresaw, deep in a handler
    raw = (SAMPLES / "05-disability-form-ssn.eml").read_bytes()
    status, kind, body = call(running, "POST", "/v1/check", raw, "message/rfc822")
    assert (status, body["error"]["code"]) == (500, "internal_error")
    assert "RuntimeError" in body["error"]["message"] and "512-44" not in json.dumps(body)
    assert "POST /v1/check failed: RuntimeError" in caplog.text
    assert "512-44-8721" not in caplog.text and "Gonzalez" not in caplog.text and "Traceback" not in caplog.text


def test_an_unknown_route_is_a_json_404(agent):
    running, _ = agent
    status, kind, body = call(running, "GET", "/v1/nothing-here")
    assert (status, body["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    "who",
    [
        "--version",
        "--output=/tmp/x",
        "-a",
        "--export-secret-keys",
        "*",
        "a b",
        "ABCDEF",
        "dr.chen@valleyclinic.example --armor",
    ],
)
def test_a_key_lookup_is_never_a_gpg_option(agent, who):
    running, _ = agent
    status, kind, body = call(running, "GET", f"/v1/keys/{urllib.request.quote(who, safe='')}/public")
    assert kind.startswith("application/json"), body
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert "neither an e-mail address nor a key fingerprint" in body["error"]["message"]


def test_a_key_is_still_exported_by_address_and_by_fingerprint(agent):
    running, _ = agent
    status, kind, body = call(
        running, "POST", "/v1/keys/generate", json.dumps({"email": CLINIC, "name": "Dr. Emily Chen"}).encode()
    )
    fingerprint = body["fingerprint"]
    for who in (CLINIC, fingerprint, fingerprint[-16:]):
        status, kind, armored = call(running, "GET", f"/v1/keys/{who}/public")
        assert status == 200 and armored.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"), who
    status, _, body = call(running, "GET", "/v1/keys/chen@valleyclinic.example/public")  # a substring is nobody
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_key_name_with_a_line_break_is_refused(agent):
    running, _ = agent
    status, _, body = call(
        running, "POST", "/v1/keys/generate", json.dumps({"email": CLINIC, "name": "Dr Chen\nPassphrase: x"}).encode()
    )
    assert (status, body["error"]["code"]) == (400, "bad_request") and "name:" in body["error"]["message"]


def test_a_from_name_that_is_not_utf8_is_refused_at_once_and_raw_utf8_is_delivered(agent, sink):
    running, client = agent
    good = (
        'From: "Dr. Chén" <dr.chen@valleyclinic.example>\r\nTo: jordan.miles@familymail.example\r\n'
        "Subject: follow-up\r\n\r\nSee you Tuesday.\r\n"
    ).encode()
    bad = good.replace("Chén".encode(), b"Ch\xe9n")
    status, _, body = call(running, "POST", "/v1/messages", bad, "message/rfc822")
    assert (status, body["error"]["code"]) == (400, "bad_message")
    assert body["error"]["message"].startswith("From header: not valid UTF-8")
    status, _, body = call(running, "POST", "/v1/messages", good, "message/rfc822")
    assert status == 202
    assert client.wait(body["id"])["state"] == "delivered"
    assert len(client.outbox()) == 1


def test_a_portal_code_or_receipt_that_is_not_json_is_a_400_not_a_500(start_agent, sink, home):
    from tests.conftest import run_cli

    start_agent(sink.port, portal={"poll_seconds": 1})
    assert run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=home).returncode == 0
    notice = next(r for r in sink.received if r.recipients == (PATIENT,))
    url = re.search(r"(http://\S+/m/\S+)#", notice.message.get_body(("plain",)).get_content()).group(1)
    api = url.replace("/m/", "/api/v1/messages/")
    before = len(sink.received)
    portal_post(f"{api}/code", b"{}")
    code = mailed_code(sink, PATIENT, before)
    jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    for body in (b"[" * 100_000 + b"]" * 100_000, b"not json", b'{"code": "' + b"1" * 10_000 + b'"}'):
        status, kind, answer = portal_post(f"{api}/session", body, jar)
        assert (status, kind) == (400, "application/json") and "expected JSON" in json.loads(answer)["error"]
    assert portal_post(f"{api}/session", json.dumps({"code": code}).encode(), jar)[0] == 200
    for body in (b"this is not json", b"[" * 100_000 + b"]" * 100_000, b'{"name": "x' + b"y" * 10_000 + b'"}'):
        status, kind, answer = portal_post(f"{api}/receipt", body, jar)
        assert (status, kind) == (400, "application/json"), answer
        assert "expected JSON" in json.loads(answer)["error"]
    assert portal_post(f"{api}/receipt", json.dumps({"name": "scan \ud800.pdf"}).encode(), jar)[0] == 400
    assert portal_post(f"{api}/receipt", b'{"event": "download", "index": 0}', jar)[0] == 204


def portal_post(url: str, body: bytes, opener=None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read()
