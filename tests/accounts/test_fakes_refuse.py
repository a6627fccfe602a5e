"""The fake services refuse what the real ones refuse, so the transport tests can fail:
each malformed request below is answered the way Microsoft's and Google's documentation say."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.accounts.fake_google import CLIENT_ID as GOOGLE_CLIENT
from tests.accounts.fake_google import CLIENT_SECRET
from tests.accounts.fake_microsoft import CLIENT_ID, TENANT
from tests.accounts.https_fake import now


def call(ca, method: str, url: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body if method != "GET" else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(ca.ca_file))) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def graph_token(microsoft):
    from tests.accounts.fake_microsoft import Grant

    microsoft.access_tokens["good"] = Grant(
        "dr.chen@valleyclinic.example", {"https://graph.microsoft.com/Mail.Send"}, TENANT, now() + 600
    )
    return {"Authorization": "Bearer good"}


MIME = b"From: dr.chen@valleyclinic.example\r\nTo: a@b.example\r\nSubject: s\r\n\r\nhi\r\n"


def test_graph_refuses_no_token_bad_base64_json_as_mime_and_4_mb(microsoft, ca, graph_token):
    url = f"{microsoft.origin}/v1.0/me/sendMail"
    assert call(ca, "POST", url, base64.b64encode(MIME), {"Content-Type": "text/plain"})[0] == 401
    status, body = call(ca, "POST", url, b"not*base64!", {**graph_token, "Content-Type": "text/plain"})
    assert status == 400 and body["error"]["code"] == "ErrorMimeContentInvalidBase64String"
    assert call(ca, "POST", url, base64.b64encode(MIME), {**graph_token, "Content-Type": "application/xml"})[0] == 415
    huge = base64.b64encode(MIME + b"x" * (3 * 1024 * 1024 + 600_000))
    assert call(ca, "POST", url, huge, {**graph_token, "Content-Type": "text/plain"})[0] == 413
    other = MIME.replace(b"From: dr.chen", b"From: someone.else")
    assert call(ca, "POST", url, base64.b64encode(other), {**graph_token, "Content-Type": "text/plain"})[0] == 403
    assert call(ca, "POST", url, base64.b64encode(MIME), {**graph_token, "Content-Type": "text/plain"})[0] == 202
    # Drafts need Mail.ReadWrite, which this token does not carry.
    assert (
        call(
            ca,
            "POST",
            f"{microsoft.origin}/v1.0/me/messages",
            base64.b64encode(MIME),
            {**graph_token, "Content-Type": "text/plain"},
        )[0]
        == 403
    )


def test_the_identity_platform_refuses_a_wrong_verifier_a_reused_code_and_a_foreign_client(microsoft, ca):
    token_url = f"{microsoft.origin}/{TENANT}/oauth2/v2.0/token"
    microsoft.codes["c1"] = {"challenge": "x" * 43, "redirect_uri": "http://localhost:1/", "scopes": set(), "nonce": ""}
    form = {
        "client_id": CLIENT_ID,
        "grant_type": "authorization_code",
        "code": "c1",
        "redirect_uri": "http://localhost:1/",
        "code_verifier": "wrong",
    }
    status, body = call(ca, "POST", token_url, urllib.parse.urlencode(form).encode())
    assert status == 400 and "AADSTS501481" in body["error_description"]
    status, body = call(ca, "POST", token_url, urllib.parse.urlencode(form).encode())
    assert status == 400 and "AADSTS70008" in body["error_description"]  # codes are single use
    status, body = call(ca, "POST", token_url, urllib.parse.urlencode({**form, "client_id": "other"}).encode())
    assert status == 400 and body["error"] == "unauthorized_client"
    status, body = call(
        ca,
        "POST",
        token_url,
        urllib.parse.urlencode(
            {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": "never-issued"}
        ).encode(),
    )
    assert status == 400 and body["error"] == "invalid_grant"


def test_gmail_refuses_missing_raw_wrong_media_type_and_a_bad_token(google, ca):
    from tests.accounts.fake_microsoft import Grant

    google.access_tokens["good"] = Grant(
        "dr.chen@valleyclinic.example", {"https://www.googleapis.com/auth/gmail.send"}, "", now() + 600
    )
    auth = {"Authorization": "Bearer good"}
    send = f"{google.origin}/gmail/v1/users/me/messages/send"
    status, body = call(
        ca,
        "POST",
        send,
        json.dumps({"raw": ""}).encode(),
        {"Authorization": "Bearer nope", "Content-Type": "application/json"},
    )
    assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    status, body = call(
        ca, "POST", send, json.dumps({"payload": {}}).encode(), {**auth, "Content-Type": "application/json"}
    )
    assert status == 400 and "'raw' RFC822 payload" in body["error"]["message"]
    upload = f"{google.origin}/upload/gmail/v1/users/me/messages/send?uploadType=media"
    status, body = call(ca, "POST", upload, MIME, {**auth, "Content-Type": "text/plain"})
    assert status == 400 and body["error"]["errors"][0]["reason"] == "badContent"
    status, body = call(ca, "POST", upload, MIME, {**auth, "Content-Type": "message/rfc822"})
    assert status == 200 and body["labelIds"] == ["SENT"]
    token_url = f"{google.origin}/token"
    status, body = call(
        ca,
        "POST",
        token_url,
        urllib.parse.urlencode(
            {"client_id": GOOGLE_CLIENT, "client_secret": "wrong", "grant_type": "refresh_token", "refresh_token": "x"}
        ).encode(),
    )
    assert status == 401 and body["error"] == "invalid_client"
    status, body = call(
        ca,
        "POST",
        token_url,
        urllib.parse.urlencode(
            {
                "client_id": GOOGLE_CLIENT,
                "client_secret": CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": "revoked",
            }
        ).encode(),
    )
    assert status == 400 and body["error_description"] == "Token has been expired or revoked."
