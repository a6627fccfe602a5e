"""What a person can do to one message through the API (the tray's buttons), and the views
the tray reads: configuration with locks, audit pages, keys."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from agent.api.client import AgentClient
from tests.conftest import SAMPLES
from tests.relays import HoldsDomain, refusing_relay, relay_with

SSN_SAMPLE = SAMPLES / "05-disability-form-ssn.eml"
PORTAL_SAMPLE = SAMPLES / "03-patient-followup.eml"
INTERNAL_SAMPLE = SAMPLES / "01-internal-note.eml"
TLS_SAMPLE = SAMPLES / "04-billing-claim-tls.eml"


def call(running, method: str, path: str, body: dict | None = None) -> tuple[int, dict | str]:
    request = urllib.request.Request(
        f"{running.api_url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {running.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw, kind = response.read(), response.headers.get_content_type()
            return response.status, json.loads(raw) if kind == "application/json" else raw.decode()
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def agent(start_agent, sink):
    running = start_agent(sink.port)
    return running, AgentClient(running.api_url, running.token, timeout=30)


def test_a_held_message_is_released_after_review_and_delivered(agent, sink):
    running, client = agent
    ident = client.submit(SSN_SAMPLE.read_bytes()).id
    record = client.message(ident)
    assert record["state"] == "held" and record["subject"]  # the tray shows the subject, locally
    status, body = call(running, "POST", f"/v1/messages/{ident}/release", {"note": "patient asked for it"})
    assert (status, body["released"]) == (202, 1)
    assert client.wait(ident)["state"] == "delivered"
    released = [r for r in client.audit() if r["event"] == "released"]
    assert released and "patient asked for it" in released[0]["reason"]
    assert "subject" not in json.dumps(client.audit())  # never in the audit log
    assert call(running, "POST", f"/v1/messages/{ident}/release", {})[1]["error"]["code"] == "not_held"


def test_release_is_refused_when_managed_policy_forbids_it(start_agent, sink, tmp_path):
    (tmp_path / "no-managed-policy.json").write_text(json.dumps({"policy": {"allow_release": False}}))
    from agent import config as config_mod

    running = start_agent(sink.port)
    assert config_mod.load(running.pipeline.home).locked == {"policy.allow_release"}
    running.pipeline.config = config_mod.load(running.pipeline.home)  # what a start under this policy reads
    client = AgentClient(running.api_url, running.token)
    ident = client.submit(SSN_SAMPLE.read_bytes()).id
    status, body = call(running, "POST", f"/v1/messages/{ident}/release", {"note": "x"})
    assert status == 403 and body["error"]["code"] == "managed" and "privacy officer" in body["error"]["message"]
    assert call(running, "POST", f"/v1/messages/{ident}/portal")[0] in (403, 409)  # no way around it
    assert client.message(ident)["state"] == "held"
    status, view = call(running, "GET", "/v1/config")
    assert view["locked"] == ["policy.allow_release"] and view["values"]["policy"]["allow_release"] is False


def test_retry_now_and_send_via_portal_instead(start_agent):
    with refusing_relay("harborbilling.example") as port:
        running = start_agent(
            port, relay={"starttls": "off"}, tls={"required_domains": []}, outbox={"retry_first_seconds": 3600}
        )
        client = AgentClient(running.api_url, running.token, timeout=30)
        ident = client.submit(TLS_SAMPLE.read_bytes()).id
        record = client.wait(ident, timeout=20, final=("deferred",))
        assert record["state"] == "deferred" and record["recipients"][0]["method"] == "portal"
        status, body = call(running, "POST", f"/v1/messages/{ident}/retry")
        assert (status, body["retried"]) == (202, 1)
        deadline = time.monotonic() + 20
        while client.message(ident)["recipients"][0]["attempts"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.message(ident)["recipients"][0]["attempts"] == 2  # tried again at once, not in an hour
        # The portal method is already planned here: nothing to reroute.
        assert call(running, "POST", f"/v1/messages/{ident}/portal")[1]["error"]["code"] == "nothing_to_reroute"


def test_send_via_portal_during_a_delivery_attempt_waits_for_its_outcome_then_reroutes(start_agent, partner):
    # The sender chooses the portal while the old copy is at the relay: the old copy's
    # outcome (deferred, next try in an hour) must not undo the choice.
    relay = HoldsDomain("lakesidecardiology.example")
    with relay_with(relay) as port:
        running = start_agent(
            port, relay={"starttls": "off"}, tls={"required_domains": []}, outbox={"retry_first_seconds": 3600}
        )
        client = AgentClient(running.api_url, running.token, timeout=30)
        client.import_key(partner.public_key().encode())
        ident = client.submit((SAMPLES / "02-referral-lab-results.eml").read_bytes()).id
        record = client.wait(ident, timeout=20, final=("deferred",))
        assert record["recipients"][0]["method"] == "pgp"
        relay.hold = True
        assert call(running, "POST", f"/v1/messages/{ident}/retry")[0] == 202
        assert relay.arrived.wait(20)  # the second attempt is at the relay, not yet answered
        status, body = call(running, "POST", f"/v1/messages/{ident}/portal")
        assert (status, body["rerouted"]) == (202, 1)
        relay.hold, relay.refusing = False, False
        relay.go.set()  # the held attempt is refused (4xx): that outcome comes after the choice
        record = client.wait(ident, timeout=20)
        assert record["state"] == "delivered" and record["recipients"][0]["method"] == "portal"
        assert record["recipients"][0]["attempts"] == 3  # pgp twice, then the portal copy


def test_a_held_pgp_recipient_goes_via_the_portal_instead_and_can_then_be_revoked(agent, sink, partner):
    running, client = agent
    client.import_key(partner.public_key().encode())
    raw = (
        (SAMPLES / "02-referral-lab-results.eml")
        .read_bytes()
        .replace(b"Dear colleagues,", b"Dear colleagues, (his SSN is 512-44-8721 for the disability form)", 1)
    )
    ident = client.submit(raw).id
    record = client.message(ident)
    assert record["state"] == "held" and record["recipients"][0]["method"] == "pgp"
    status, body = call(running, "POST", f"/v1/messages/{ident}/portal")
    assert (status, body["rerouted"]) == (202, 1)
    record = client.wait(ident)
    assert record["state"] == "delivered" and record["recipients"][0]["method"] == "portal"
    # The plan now says so, in the sender's words (agent/plain_words.py).
    assert record["plan"]["recipients"][0]["says"].startswith("Goes to the secure portal, as you asked:")
    portal_id = record["recipients"][0]["proof"]["portal_id"]
    info_url = f"{running.portal_url}/api/v1/messages/{portal_id}/info"
    assert json.loads(urllib.request.urlopen(info_url, timeout=10).read())["state"] == "ok"

    status, body = call(running, "POST", f"/v1/messages/{ident}/revoke")
    assert (status, body["revoked"]) == (200, 1)
    assert json.loads(urllib.request.urlopen(info_url, timeout=10).read())["state"] == "gone"
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{running.portal_url}/api/v1/messages/{portal_id}/blob", timeout=10)
    assert gone.value.code == 410  # withdrawn: not even a verified recipient gets it now
    assert client.message(ident)["recipients"][0]["proof"]["revoked"]
    assert call(running, "POST", f"/v1/messages/{ident}/retry")[1]["error"]["code"] == "nothing_to_retry"
    internal = client.submit(INTERNAL_SAMPLE.read_bytes()).id
    assert call(running, "POST", f"/v1/messages/{internal}/revoke")[1]["error"]["code"] == "not_portal"
    assert call(running, "POST", "/v1/messages/nope/retry")[0] == 404


def test_audit_pages_filters_verifies_and_exports(agent):
    running, client = agent
    for sample in (INTERNAL_SAMPLE, PORTAL_SAMPLE):
        client.wait(client.submit(sample.read_bytes()).id)
    status, everything = call(running, "GET", "/v1/audit?offset=0&limit=1000")
    total = everything["total"]
    assert status == 200 and total == len(everything["records"]) >= 6
    _, page = call(running, "GET", "/v1/audit?offset=2&limit=3")
    assert page["records"] == everything["records"][2:5] and page["total"] == total
    _, portal = call(running, "GET", "/v1/audit?offset=0&limit=100&method=portal&event=delivered")
    assert portal["total"] == 1 and portal["records"][0]["recipients"] == ["maria.gonzalez@mailbox.example"]
    _, by_recipient = call(running, "GET", "/v1/audit?offset=0&limit=100&recipient=NURSE.PATEL")
    assert by_recipient["total"] >= 2
    _, nothing = call(running, "GET", "/v1/audit?offset=0&limit=100&since=4102444800")  # 2100
    assert nothing == {"records": [], "total": 0}
    status, verdict = call(running, "GET", "/v1/audit/verify")
    assert verdict["ok"] and verdict["records"] == total
    status, csv_text = call(running, "GET", "/v1/audit/export?format=csv")
    assert status == 200 and csv_text.splitlines()[0].startswith("seq,time,event")
    assert call(running, "GET", "/v1/audit?offset=x")[0] == 400


def test_keys_generate_export_and_delete_through_the_api(agent, partner):
    running, client = agent
    status, body = call(
        running, "POST", "/v1/keys/generate", {"email": "dr.chen@valleyclinic.example", "name": "Dr. Emily Chen"}
    )
    assert status == 201
    own = body["fingerprint"]
    status, armored = call(running, "GET", "/v1/keys/dr.chen@valleyclinic.example/public")
    assert status == 200 and armored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert call(running, "DELETE", f"/v1/keys/{own}")[1]["error"]["code"] == "own_key"
    [theirs] = client.import_key(partner.public_key().encode())
    assert call(running, "DELETE", f"/v1/keys/{theirs}") == (200, {"deleted": theirs})
    assert theirs not in [k["fingerprint"] for k in client.keys()]
    assert call(running, "DELETE", f"/v1/keys/{theirs}")[0] == 404


def test_only_your_own_unrevoked_key_is_renewed_through_the_api(agent, partner, home):
    running, client = agent
    own = client.generate_key("dr.chen@valleyclinic.example")
    status, body = call(running, "POST", f"/v1/keys/{own}/renew")
    assert status == 200 and body["expires"] > time.time() + 700 * 86400
    [theirs] = client.import_key(partner.public_key().encode())
    assert call(running, "POST", f"/v1/keys/{theirs}/renew")[1]["error"]["code"] == "not_found"
    # gpg wrote a revocation certificate when it made the key; importing it revokes the key.
    certificate = (home / "gnupg" / "openpgp-revocs.d" / f"{own}.rev").read_text()
    client.import_key(
        certificate.replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----").encode()
    )
    status, body = call(running, "POST", f"/v1/keys/{own}/renew")
    assert (status, body["error"]["code"]) == (409, "revoked")
    assert "create a new key" in body["error"]["message"]


def test_relay_settings_change_from_the_tray_take_effect_at_once(start_agent, sink, ca, home, tmp_path):
    from agent.demo_world import SmtpSink

    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=30)
    with SmtpSink(ca) as new_relay:
        status, body = call(running, "PATCH", "/v1/config", {"relay": {"port": new_relay.port}})
        assert (status, body["restart_required"]) == (200, False)
        assert client.wait(client.submit(INTERNAL_SAMPLE.read_bytes()).id)["state"] == "delivered"
        assert len(new_relay.received) == 1 and sink.received == []
    written = home / "config.toml"
    assert f"port = {new_relay.port}" in written.read_text() and written.stat().st_mode & 0o777 == 0o600
    assert call(running, "PATCH", "/v1/config", {"portal": {"url": "http://127.0.0.1:9"}})[1]["restart_required"]
    assert call(running, "GET", "/v1/config")[1]["pending"] == {"portal.url": "http://127.0.0.1:9"}
    for change, code in (
        ({"relay": {"port": "twenty-five"}}, "bad_config"),
        ({"outbox": {"concurrency": 9}}, "bad_config"),
        ({"relay": {"nonsense": 1}}, "bad_config"),
        (["relay"], "bad_request"),
    ):
        status, body = call(running, "PATCH", "/v1/config", change)
        assert (status, body["error"]["code"]) == (400, code), change


def test_a_managed_relay_setting_cannot_be_changed(start_agent, sink, tmp_path):
    from agent import config as config_mod

    (tmp_path / "no-managed-policy.json").write_text(json.dumps({"relay": {"host": "127.0.0.1"}}))
    running = start_agent(sink.port)
    running.pipeline.config = config_mod.load(running.pipeline.home)
    status, body = call(running, "PATCH", "/v1/config", {"relay": {"host": "smtp.elsewhere.example"}})
    assert status == 403 and "managed by your organization" in body["error"]["message"]
