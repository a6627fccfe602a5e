"""Signed in with Microsoft 365, the agent sends every copy through Graph from the clinician's
own mailbox: each copy to its own recipients only, the external ones protected, the sent
copies in Sent Items; expired tokens refresh, revoked ones hold the outbox until a new sign-in."""

from __future__ import annotations

import base64
import os
import time
from email import message_from_bytes, policy

from agent.demo.checks import phi_values
from tests.accounts.conftest import browse, eventually, sign_in, wait_sign_in
from tests.accounts.fake_microsoft import OTHER_TENANT
from tests.conftest import SAMPLES, SENDER, gpg_decrypt

REFERRAL = SAMPLES / "02-referral-lab-results.eml"
PARTNER = "referrals@lakesidecardiology.example"


def message(
    to: str,
    subject: str = "Follow-up",
    body: str = "Your follow-up visit is on Friday.",
    attachment: bytes = b"",
    name: str = "scan.pdf",
) -> bytes:
    lines = [
        f"From: Dr Chen <{SENDER}>",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: <{time.time_ns()}@valleyclinic.example>",
        "MIME-Version: 1.0",
    ]
    if not attachment:
        return ("\r\n".join([*lines, "Content-Type: text/plain; charset=utf-8", "", body, ""])).encode()
    encoded = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
    return (
        "\r\n".join(
            [
                *lines,
                'Content-Type: multipart/mixed; boundary="b1"',
                "",
                "--b1",
                "Content-Type: text/plain; charset=utf-8",
                "",
                body,
                "--b1",
                f'Content-Type: application/pdf; name="{name}"',
                f'Content-Disposition: attachment; filename="{name}"',
                "Content-Transfer-Encoding: base64",
                "",
                encoded,
                "--b1--",
                "",
            ]
        )
    ).encode()


def test_mail_leaves_from_the_mailbox_with_each_copy_only_to_its_own_recipients(
    account_agent, microsoft, ca, partner, sink
):
    running, client = account_agent(microsoft)
    status = sign_in(client, "microsoft", ca)
    assert status["state"] == "signed_in" and status["address"] == SENDER
    assert client.accounts()["accounts"][0]["state"] == "ready"
    running.pipeline.pgp.generate(SENDER)
    running.pipeline.pgp.import_keys(partner.public_key())
    raw = REFERRAL.read_bytes().replace(
        PARTNER.encode(),
        (
            f"{PARTNER}, nurse.kim@valleyclinic.example, claims@harborbilling.example, jordan.miles@familymail.example"
        ).encode(),
        1,
    )
    submitted = client.submit(raw)
    final = client.wait(submitted.id, timeout=60)
    assert final["state"] == "delivered", final
    methods = {r["address"]: r["method"] for r in final["recipients"]}
    assert sorted(methods.values()) == ["internal", "pgp", "portal", "tls"]
    assert sink.received == []  # nothing went through the relay
    copies = {tuple(d["recipients"]): d for d in microsoft.delivered}
    # One copy per method, each named in its headers to its own recipients only: Graph
    # delivers to the header recipients, so a TLS copy naming the portal recipient would leak.
    assert sorted(copies) == sorted((a,) for a in methods)
    values = phi_values(REFERRAL.read_bytes())
    for address in (PARTNER, "jordan.miles@familymail.example"):
        wire = copies[(address,)]["mime"]
        assert not [v for v in values if v.encode() in wire], f"PHI in clear in the copy to {address}"
    pgp = message_from_bytes(copies[(PARTNER,)]["mime"], policy=policy.default)
    assert pgp.get_content_type() == "multipart/encrypted"
    armored = next(p for p in pgp.walk() if p.get_content_type() == "application/octet-stream").get_payload(decode=True)
    assert "atrial fibrillation" in gpg_decrypt(partner, armored)  # gpg, not our code
    assert len(microsoft.sent_items) == 4
    proof = next(r for r in final["recipients"] if r["method"] == "tls")["proof"]
    assert proof["tls_version"].startswith("TLSv1.") and proof["tls_peer"] == "127.0.0.1"
    assert "Microsoft Graph" in proof["reply"]


def test_an_expired_access_token_is_refreshed_without_the_user_noticing(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    microsoft.expire_access_tokens()
    before = len([r for r in microsoft.token_requests if r.get("grant_type") == "refresh_token"])
    submitted = client.submit(message("nurse.kim@valleyclinic.example"))
    assert client.wait(submitted.id)["state"] == "delivered"
    refreshes = [r for r in microsoft.token_requests if r.get("grant_type") == "refresh_token"]
    assert len(refreshes) == before + 1
    assert client.accounts()["accounts"][0]["state"] == "ready"


def test_a_revoked_sign_in_holds_the_outbox_and_it_resumes_after_a_new_sign_in(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    microsoft.revoke_all()  # an admin revoked the sessions; the saved token is refused
    events = client.open_events()
    submitted = client.submit(message("nurse.kim@valleyclinic.example"))
    eventually(
        lambda: "sign in" in (client.message(submitted.id)["recipients"][0].get("reason") or ""),
        "the message waits for a sign-in",
    )
    waiting = client.message(submitted.id)
    assert waiting["state"] == "deferred" and waiting["recipients"][0]["waiting_for_network"]
    assert f"sign in to {SENDER} again" in waiting["recipients"][0]["reason"]
    [account] = client.accounts()["accounts"]
    assert account["state"] == "needs_sign_in" and "AADSTS" in account["reason"]
    notice = next(e for e in events if e.get("type") == "notice")
    assert f"Sign in to {SENDER} again" in notice["text"]
    events.close()
    assert microsoft.delivered == []
    time.sleep(1.5)  # a retry would have come by now, had the outbox not been waiting
    assert client.message(submitted.id)["state"] == "deferred" and microsoft.delivered == []
    sign_in(client, "microsoft", ca)
    assert client.wait(submitted.id)["state"] == "delivered"
    assert len(microsoft.delivered) == 1 and client.accounts()["accounts"][0]["state"] == "ready"


def test_graph_throttling_is_waited_out_as_retry_after_says(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    microsoft.throttle = 1
    submitted = client.submit(message("nurse.kim@valleyclinic.example"))
    assert client.wait(submitted.id)["state"] == "delivered"
    deferred = [r for r in client.audit() if r.get("event") == "deferred"]
    assert deferred and "asked us to wait" in deferred[0]["reason"] and "429" in deferred[0]["reason"]
    assert len(microsoft.delivered) == 1


def test_a_large_message_goes_as_a_draft_with_an_upload_session(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    scan = bytes(range(256)) * (6 * 1024 * 1024 // 256 + 7)  # 6 MB: far over the 4 MB request limit
    submitted = client.submit(message("nurse.kim@valleyclinic.example", attachment=scan))
    assert client.wait(submitted.id, timeout=90)["state"] == "delivered"
    [sent] = microsoft.delivered
    assert sent["via"] == "draft" and ("PUT", "/upload/") not in microsoft.requests
    arrived = message_from_bytes(sent["mime"], policy=policy.default)
    [part] = [p for p in arrived.iter_attachments()]
    assert part.get_filename() == "scan.pdf" and part.get_payload(decode=True) == scan
    assert sum(1 for method, path in microsoft.requests if method == "PUT") >= 2  # in ranges
    assert microsoft.drafts == {}


def test_a_large_openpgp_message_is_held_with_the_way_out(account_agent, microsoft, ca, partner):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    running.pipeline.pgp.generate(SENDER)
    running.pipeline.pgp.import_keys(partner.public_key())
    scan = b"%PDF-1.4 " + os.urandom(5 * 1024 * 1024)  # incompressible: gpg's compression cannot shrink it
    submitted = client.submit(message(PARTNER, attachment=scan))
    held = client.wait(submitted.id, timeout=90)
    assert held["state"] == "held", held
    assert "send it via the portal instead" in held["recipients"][0]["reason"]
    assert microsoft.delivered == []
    client.send_via_portal(submitted.id)  # the way out the reason names (tray: "Send via portal")
    assert client.wait(submitted.id, timeout=90)["state"] == "delivered"
    [notice] = microsoft.delivered
    assert notice["recipients"] == [PARTNER] and len(notice["mime"]) < 100_000  # a notice, not the file


def test_a_mailbox_over_quota_holds_the_message_with_what_to_do(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    microsoft.quota_exceeded = True
    submitted = client.submit(message("nurse.kim@valleyclinic.example"))
    held = client.wait(submitted.id)
    assert held["state"] == "held" and "over its size limit" in held["recipients"][0]["reason"]
    microsoft.quota_exceeded = False
    client.release(submitted.id, "mailbox cleaned up")
    assert client.wait(submitted.id)["state"] == "delivered"


def test_an_account_of_another_organization_is_refused_at_sign_in(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    microsoft.tenant = OTHER_TENANT
    attempt = client.start_sign_in("microsoft")
    browse(attempt["auth_url"], ca)
    status = wait_sign_in(client, attempt["id"])
    assert status["state"] == "failed" and "another organization" in status["error"]
    assert client.accounts()["accounts"] == []


def test_closing_the_browser_ends_the_sign_in_and_says_to_start_again(account_agent, microsoft, ca):
    running, client = account_agent(microsoft, sign_in_timeout=2)
    microsoft.browser = "close"
    attempt = client.start_sign_in("microsoft")
    assert "Sign in to your account" in browse(attempt["auth_url"], ca)  # and the user closes the window
    status = wait_sign_in(client, attempt["id"])
    assert status["state"] == "failed" and "not finished in the browser" in status["error"]
    assert "start it again" in status["error"] and client.accounts()["accounts"] == []


def test_declining_consent_is_reported_as_such(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    microsoft.browser = "decline"
    attempt = client.start_sign_in("microsoft")
    assert "Sign-in not completed" in browse(attempt["auth_url"], ca)
    status = wait_sign_in(client, attempt["id"])
    assert status["state"] == "failed" and "declined" in status["error"]


def test_the_device_code_flow_signs_in_where_there_is_no_browser(account_agent, microsoft, ca):
    running, client = account_agent(microsoft)
    attempt = client.start_sign_in("microsoft", device_code=True)
    assert attempt["user_code"] == "PSL-7Q4X" and "enter PSL-7Q4X" in attempt["message"]
    time.sleep(1.2)
    assert client.sign_in_status(attempt["id"])["state"] == "waiting"  # pending until approved elsewhere
    microsoft.approve_device()
    status = wait_sign_in(client, attempt["id"])
    assert status["state"] == "signed_in" and status["address"] == SENDER
