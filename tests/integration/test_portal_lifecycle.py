"""A portal message's life without a browser: codes are rate-limited and expire, the sender is
told before an unopened message lapses, an expired message says so and serves nothing, and
a reply that does not open with the message's key is refused."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest

from agent.portal.store import SqlitePortalStore
from tests.conftest import SAMPLES, SENDER, mailed_code, run_cli

PATIENT = "maria.gonzalez@mailbox.example"


@pytest.fixture
def portal_message(start_agent, sink, home):
    running = start_agent(sink.port, portal={"poll_seconds": 1, "expiry_days": 2, "warn_days": 3})
    assert run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=home).returncode == 0
    notice = next(r for r in sink.received if r.recipients == (PATIENT,))  # the sender's warning may follow soon
    text = notice.message.get_body(("plain",)).get_content()
    url, portal_id = re.search(r"(http://\S+/m/(\S+))#\S+", text).groups()
    return running, url.replace("/m/", "/api/v1/messages/"), portal_id, text


def call(url: str, method: str = "GET", body: dict | None = None, opener=None):
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_the_notice_names_the_expiry_and_the_code_and_the_sender_is_warned_before_it_lapses(portal_message, sink):
    running, api, portal_id, text = portal_message
    assert "you will be asked for a code that we e-mail to maria.gonzalez@mailbox.example" in text
    assert "You can open it until" in text
    deadline = time.monotonic() + 20  # expiry in 2 days, warnings 3 days ahead: due at the next sync
    while not [r for r in sink.received if r.recipients == (SENDER,)]:
        assert time.monotonic() < deadline, "the sender was never told"
        time.sleep(0.2)
    [warning] = [r for r in sink.received if r.recipients == (SENDER,)]
    assert f"Your secure message to {PATIENT} has not been opened" == str(warning.message["Subject"]).strip()
    assert "metformin" not in warning.data.decode()
    time.sleep(2)  # once, not at every sync
    assert len([r for r in sink.received if r.recipients == (SENDER,)]) == 1


def test_codes_are_rate_limited_and_an_expired_message_serves_nothing(portal_message, sink, home):
    running, api, portal_id, _ = portal_message
    status, _, _ = call(f"{api}/code", "POST", {})
    assert status == 202
    status, body, headers = call(f"{api}/code", "POST", {})
    assert status == 429 and "less than a minute ago" in json.loads(body)["error"] and "Retry-After" in headers
    store = SqlitePortalStore(home / "portal")
    store.update(portal_id, expires=time.time() - 1)
    status, body, _ = call(f"{api}/info")
    assert json.loads(body)["state"] == "gone" and "expired on" in json.loads(body)["message"]
    assert call(f"{api}/blob")[0] == 410
    assert call(f"{api}/code", "POST", {})[0] == 410


def test_an_old_code_does_not_open_and_a_code_opens_once(portal_message, sink, home):
    running, api, portal_id, _ = portal_message
    before = len(sink.received)
    assert call(f"{api}/code", "POST", {})[0] == 202
    code = mailed_code(sink, PATIENT, before)
    store = SqlitePortalStore(home / "portal")
    store.update(portal_id, code_expires=time.time() - 1)
    status, body, _ = call(f"{api}/session", "POST", {"code": code})
    assert status == 403 and "expired" in json.loads(body)["error"]
    store.update(portal_id, code_expires=time.time() + 600)
    jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    assert call(f"{api}/session", "POST", {"code": code}, jar)[0] == 200
    assert call(f"{api}/blob", opener=jar)[0] == 200
    assert call(f"{api}/session", "POST", {"code": code})[0] == 400  # used: ask for a new one


def test_a_foreign_origin_cannot_drive_the_code_routes(portal_message):
    running, api, portal_id, _ = portal_message
    request = urllib.request.Request(
        f"{api}/code",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json", "Origin": "https://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


def test_a_reply_that_does_not_open_with_the_key_is_refused_not_delivered(portal_message, sink, home):
    running, api, portal_id, _ = portal_message
    store = SqlitePortalStore(home / "portal")
    store.put_reply("forgedReply0000000000", portal_id, b"\x00" * 64)  # stored by someone without the key
    deadline = time.monotonic() + 20
    # The agent records the refusal, then drops the reply: wait for both (the portal answers
    # the drop on a thread of its own, a moment after the record is written).
    while "portal_reply_refused" not in [r["event"] for r in running.pipeline.audit.records()] or store.replies():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert store.replies() == [] and not [
        r for r in sink.received if r.recipients == (SENDER,) and "secure reply" in str(r.message["From"])
    ]


def test_postseal_revoke_withdraws_the_portal_copy(portal_message, home):
    running, api, portal_id, _ = portal_message
    messages = json.loads(run_cli("outbox", "--json", home=home).stdout)["messages"]
    ident = next(m["id"] for m in messages if any(r.get("method") == "portal" for r in m["recipients"]))
    result = run_cli("revoke", ident, home=home)
    assert result.returncode == 0 and b"revoked 1 portal copy" in result.stdout
    status, body, _ = call(f"{api}/info")
    assert json.loads(body)["state"] == "gone" and "withdrew" in json.loads(body)["message"]
    again = run_cli("revoke", "no-such-id", home=home)
    assert again.returncode == 2 and b"Traceback" not in again.stderr
