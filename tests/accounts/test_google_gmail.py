"""Signed in with Google Workspace, the agent sends through the Gmail API (raw JSON, and the
media upload for large mail) or, with accounts.transport = "smtp", through XOAUTH2
submission; refresh, revocation and throttling as with Microsoft."""

from __future__ import annotations

import os
from email import message_from_bytes, policy

import pytest

from tests.accounts.conftest import browse, eventually, sign_in, wait_sign_in
from tests.accounts.fake_submission import FakeSubmission
from tests.accounts.test_microsoft_graph import PARTNER, message
from tests.conftest import SENDER, gpg_decrypt


def test_mail_goes_through_the_gmail_api_and_lands_in_sent(account_agent, google, ca, sink, partner):
    running, client = account_agent(google)
    status = sign_in(client, "google", ca)
    assert status["state"] == "signed_in" and status["address"] == SENDER, status.get("error")
    running.pipeline.pgp.generate(SENDER)
    running.pipeline.pgp.import_keys(partner.public_key())
    raw = message(
        f"nurse.kim@valleyclinic.example, jordan.miles@familymail.example, {PARTNER}",
        body="INR 3.8 today; new-onset atrial fibrillation.",
    )
    final = client.wait(client.submit(raw).id)
    assert final["state"] == "delivered", final
    assert sorted(tuple(d["recipients"]) for d in google.delivered) == [
        ("jordan.miles@familymail.example",),
        ("nurse.kim@valleyclinic.example",),
        (PARTNER,),
    ]
    pgp = next(d for d in google.delivered if d["recipients"] == [PARTNER])
    assert b"atrial fibrillation" not in pgp["mime"]
    encrypted = message_from_bytes(pgp["mime"], policy=policy.default)
    armored = next(p for p in encrypted.walk() if p.get_content_type() == "application/octet-stream")
    assert "atrial fibrillation" in gpg_decrypt(partner, armored.get_payload(decode=True))  # gpg, not our code
    notice = next(d for d in google.delivered if d["recipients"] == ["jordan.miles@familymail.example"])
    assert b"atrial" not in notice["mime"]  # the portal recipient got a notice, not the text
    assert all(s["labelIds"] == ["SENT"] for s in google.sent) and sink.received == []
    assert ("POST", "/gmail/v1/users/me/messages/send") in google.requests


def test_a_large_message_uses_the_media_upload(account_agent, google, ca):
    running, client = account_agent(google)
    sign_in(client, "google", ca)
    scan = os.urandom(6 * 1024 * 1024)
    final = client.wait(client.submit(message("nurse.kim@valleyclinic.example", attachment=scan)).id, timeout=90)
    assert final["state"] == "delivered", final
    assert ("POST", "/upload/gmail/v1/users/me/messages/send") in google.requests
    [sent] = google.delivered
    [part] = list(message_from_bytes(sent["mime"], policy=policy.default).iter_attachments())
    assert part.get_payload(decode=True) == scan


def test_an_expired_token_is_refreshed_and_a_revoked_one_waits_for_a_new_sign_in(account_agent, google, ca):
    running, client = account_agent(google)
    sign_in(client, "google", ca)
    google.expire_access_tokens()
    assert client.wait(client.submit(message("nurse.kim@valleyclinic.example")).id)["state"] == "delivered"
    google.revoke_all()
    submitted = client.submit(message("nurse.kim@valleyclinic.example", subject="Second"))
    eventually(lambda: client.accounts()["accounts"][0]["state"] == "needs_sign_in", "the account needs a sign-in")
    assert "Token has been expired or revoked" in client.accounts()["accounts"][0]["reason"]
    assert client.message(submitted.id)["state"] == "deferred" and len(google.delivered) == 1
    sign_in(client, "google", ca)
    assert client.wait(submitted.id)["state"] == "delivered" and len(google.delivered) == 2


@pytest.mark.parametrize(("status", "reason"), [(429, "rateLimitExceeded"), (403, "userRateLimitExceeded")])
def test_gmail_rate_limits_are_waited_out(account_agent, google, ca, status, reason):
    running, client = account_agent(google)
    sign_in(client, "google", ca)
    google.throttle, google.throttle_as = 1, (status, reason)
    assert client.wait(client.submit(message("nurse.kim@valleyclinic.example")).id)["state"] == "delivered"
    [deferred] = [r for r in client.audit() if r.get("event") == "deferred"]
    assert f"{status} {reason}" in deferred["reason"] and "asked us to wait" in deferred["reason"]


def test_declining_google_consent_adds_no_account(account_agent, google, ca):
    running, client = account_agent(google)
    google.browser = "decline"
    attempt = client.start_sign_in("google")
    browse(attempt["auth_url"], ca)
    status = wait_sign_in(client, attempt["id"])
    assert status["state"] == "failed" and "declined" in status["error"] and client.accounts()["accounts"] == []


def test_google_has_no_device_code_sign_in(account_agent, google):
    running, client = account_agent(google)
    from agent.api.client import ApiError

    with pytest.raises(ApiError, match="device code"):
        client.start_sign_in("google", device_code=True)


def test_xoauth2_submission_carries_the_envelope_and_a_refused_token_asks_for_sign_in(account_agent, google, ca):
    with FakeSubmission(ca, google) as smtp:
        running, client = account_agent(google, transport="smtp", google_smtp=smtp.endpoint)
        sign_in(client, "google", ca)
        final = client.wait(client.submit(message("nurse.kim@valleyclinic.example, claims@harborbilling.example")).id)
        assert final["state"] == "delivered", final
        assert sorted(r for s in smtp.received for r in s.recipients) == [
            "claims@harborbilling.example",
            "nurse.kim@valleyclinic.example",
        ]
        assert {s.user for s in smtp.received} == {SENDER} and google.delivered == []
        proof = next(r for r in final["recipients"] if r["method"] == "tls")["proof"]
        assert proof["tls_version"].startswith("TLSv1.") and proof["tls_peer"] == "127.0.0.1"
        google.revoke_all()
        google.expire_access_tokens()
        # The server ends its sessions (an authenticated one would outlive the revocation).
        smtp.restart()
        waiting = client.submit(message("nurse.kim@valleyclinic.example", subject="Later"))
        eventually(lambda: client.accounts()["accounts"][0]["state"] == "needs_sign_in", "the account needs a sign-in")
        sign_in(client, "google", ca)
        assert client.wait(waiting.id)["state"] == "delivered" and len(smtp.received) == 3
