"""A stand-in for Google's OAuth endpoints and the Gmail API's send method.

- OAuth (installed app): /o/oauth2/auth with PKCE (S256), offline access and a loopback
  redirect on 127.0.0.1; /token for the code (client secret and verifier checked, single use)
  and for refresh (revocable: invalid_grant "Token has been expired or revoked.").
- Gmail, checked against tests/data/api/gmail.v1.fragment.json (the discovery document's
  users.messages.send): the JSON form with base64url `raw` on the method's flatPath, and the
  media upload on its simple-upload path (`message/*`, at most mediaUpload.maxSize); 401 with
  Google's error body, 429 rateLimitExceeded with Retry-After when told to throttle.

Gmail sends "to the recipients in the To, Cc, and Bcc headers": that is what is recorded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import unquote_plus, urlencode

from aiohttp import web

from tests.accounts.fake_microsoft import Grant
from tests.accounts.https_fake import HttpsFake, IssuedTokens, jwt, now, oauth_error

DISCOVERY = json.loads((Path(__file__).resolve().parents[1] / "data" / "api" / "gmail.v1.fragment.json").read_text())
SEND = DISCOVERY["methods"]["users.messages.send"]
CLIENT_ID = "123456789012-postseal.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-desktop-client-secret"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
# users.messages.insert (gmail.v1): scopes mail.google.com, gmail.modify or gmail.insert.
INSERT_SCOPES = (
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://www.googleapis.com/auth/gmail.insert",
)


class FakeGoogle(HttpsFake, IssuedTokens):
    def __init__(self, ca, address: str = "dr.chen@valleyclinic.example") -> None:
        super().__init__(ca)
        self.address = address
        self.browser = "approve"
        self.token_lifetime = 3599
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.delivered: list[dict] = []
        self.sent: list[dict] = []  # the messages resources Gmail created (labelIds SENT)
        self.inserted: list[dict] = []  # users.messages.insert: {"mime", "labelIds", "internalDateSource"}
        self.throttle = 0
        self.throttle_as = (429, "rateLimitExceeded")  # or (403, "userRateLimitExceeded"): Gmail uses both
        send_path = "/" + SEND["flatPath"].replace("{userId}", "{user}")
        upload_path = SEND["mediaUpload"]["protocols"]["simple"]["path"].replace("{userId}", "{user}")
        a = self.app.router
        a.add_get("/o/oauth2/auth", self.authorize)
        a.add_post("/token", self.token)
        a.add_post(send_path, self.send_json)
        a.add_post(upload_path, self.send_media)
        a.add_post("/gmail/v1/users/{user}/messages", self.insert)

    def settings(self) -> dict:
        return {
            "google_client_id": CLIENT_ID,
            "google_client_secret": CLIENT_SECRET,
            "google_auth_uri": f"{self.origin}/o/oauth2/auth",
            "google_token_uri": f"{self.origin}/token",
            "gmail_url": self.origin,
        }

    # --- OAuth ---------------------------------------------------------------------------------
    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        problems = [
            name
            for name, ok in (
                ("client_id", q.get("client_id") == CLIENT_ID),
                ("response_type", q.get("response_type") == "code"),
                ("redirect_uri", q.get("redirect_uri", "").startswith("http://127.0.0.1:")),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("code_challenge", len(q.get("code_challenge", "")) >= 43),
                ("state", bool(q.get("state"))),
                ("access_type", q.get("access_type") == "offline"),
                ("scope", GMAIL_SEND in q.get("scope", "").split() or "https://mail.google.com/" in q.get("scope", "")),
            )
            if not ok
        ]
        if problems:
            return web.Response(status=400, text=f"Error 400: invalid_request ({', '.join(problems)})")
        if self.browser == "close":
            return web.Response(text="<html><body>Choose an account</body></html>", content_type="text/html")
        if self.browser == "decline":
            target = {"error": "access_denied", "state": q["state"]}
        else:
            code = "4/" + secrets.token_urlsafe(24)
            self.codes[code] = {
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
                "scopes": set(q["scope"].split()),
            }
            target = {"code": code, "state": q["state"], "scope": q["scope"]}
        raise web.HTTPFound(f"{q['redirect_uri']}?{urlencode(target)}")

    def _tokens(self, grant: Grant, refresh: bool) -> web.Response:
        access = "ya29." + secrets.token_urlsafe(32)
        self.access_tokens[access] = Grant(grant.address, grant.scopes, "", now() + self.token_lifetime)
        body = {
            "access_token": access,
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }
        if refresh:
            token = "1//" + secrets.token_urlsafe(32)
            self.refresh_tokens[token] = grant
            body["refresh_token"] = token
            body["id_token"] = jwt(
                {
                    "iss": "https://accounts.google.com",
                    "aud": CLIENT_ID,
                    "sub": "1099",
                    "email": grant.address,
                    "email_verified": True,
                    "hd": grant.address.split("@")[1],
                    "iat": now(),
                    "exp": now() + 3600,
                }
            )
        return web.json_response(body)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client = (form.get("client_id"), form.get("client_secret"))
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):  # RFC 6749 §2.3.1: the client's credentials as HTTP Basic
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            client = (unquote_plus(user), unquote_plus(password))
        if client != (CLIENT_ID, CLIENT_SECRET):
            return oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if form.get("grant_type") == "authorization_code":
            issued = self.codes.pop(str(form.get("code", "")), None)
            if issued is None or form.get("redirect_uri") != issued["redirect_uri"]:
                return oauth_error(400, "invalid_grant", "Malformed auth code.")
            verifier = str(form.get("code_verifier", ""))
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != issued["challenge"]:
                return oauth_error(400, "invalid_grant", "Invalid code verifier.")
            return self._tokens(Grant(self.address, issued["scopes"], "", 0), refresh=True)
        if form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.get(str(form.get("refresh_token", "")))
            if grant is None:
                return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            beyond = set(str(form.get("scope", "")).split()) - grant.scopes
            if beyond:  # a refresh may narrow the grant, never widen it (RFC 6749 §6)
                return oauth_error(
                    400, "invalid_scope", f"Some requested scopes were invalid. {{invalid={sorted(beyond)}}}"
                )
            return self._tokens(grant, refresh=False)
        return oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")

    # --- Gmail -----------------------------------------------------------------------------------
    def _error(self, status: int, reason: str, message: str, google_status: str, **headers: str) -> web.Response:
        return web.json_response(
            {
                "error": {
                    "code": status,
                    "message": message,
                    "status": google_status,
                    "errors": [{"message": message, "domain": "global", "reason": reason}],
                }
            },
            status=status,
            headers=headers,
        )

    def _authorized(self, request: web.Request, scopes: tuple[str, ...] = ()) -> web.Response | Grant:
        if request.match_info["user"] not in ("me", self.address):
            return self._error(403, "forbidden", "Delegation denied.", "PERMISSION_DENIED")
        header = request.headers.get("Authorization", "")
        grant = self.access_tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
        if grant is None or grant.expires < now():
            return self._error(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
                "UNAUTHENTICATED",
            )
        if not set(scopes or SEND["scopes"]) & grant.scopes:
            return self._error(
                403, "insufficientPermissions", "Request had insufficient authentication scopes.", "PERMISSION_DENIED"
            )
        if self.throttle:
            self.throttle -= 1
            status, reason = self.throttle_as
            return self._error(
                status, reason, "User-rate limit exceeded.", "RESOURCE_EXHAUSTED", **{"Retry-After": "1"}
            )
        return grant

    def _accept(self, raw: bytes, grant: Grant) -> web.Response:
        message = message_from_bytes(raw, policy=policy.default)
        sender = getaddresses([str(message.get("From", ""))])
        if not sender or sender[0][1].lower() != grant.address:
            return self._error(400, "invalidArgument", "Invalid From header", "INVALID_ARGUMENT")
        recipients = [
            a.lower()
            for _, a in getaddresses([str(v) for k in ("To", "Cc", "Bcc") for v in message.get_all(k, [])])
            if a
        ]
        if not recipients:
            return self._error(400, "invalidArgument", "Recipient address required", "INVALID_ARGUMENT")
        del message["Bcc"]
        resource = {"id": secrets.token_hex(8), "threadId": secrets.token_hex(8), "labelIds": ["SENT"]}
        self.delivered.append({"recipients": recipients, "mime": message.as_bytes(), "id": resource["id"]})
        self.sent.append(resource)
        return web.json_response(resource)

    async def insert(self, request: web.Request) -> web.Response:
        """users.messages.insert: into this mailbox only, with the labels asked, never sent."""
        grant = self._authorized(request, INSERT_SCOPES)
        if isinstance(grant, web.Response):
            return grant
        source = request.query.get("internalDateSource", "receivedTime")
        if source not in ("receivedTime", "dateHeader"):
            return self._error(400, "invalidArgument", "Invalid value for internalDateSource", "INVALID_ARGUMENT")
        try:
            body = await request.json()
            raw = base64.urlsafe_b64decode(body["raw"])
        except (KeyError, TypeError, ValueError, binascii.Error):
            return self._error(
                400, "invalidArgument", "'raw' RFC822 payload message string required", "INVALID_ARGUMENT"
            )
        labels = body.get("labelIds", [])
        resource = {"id": secrets.token_hex(8), "threadId": secrets.token_hex(8), "labelIds": labels}
        self.inserted.append({"mime": raw, "labelIds": labels, "internalDateSource": source, "id": resource["id"]})
        return web.json_response(resource)

    async def send_json(self, request: web.Request) -> web.Response:
        grant = self._authorized(request)
        if isinstance(grant, web.Response):
            return grant
        if request.content_type != "application/json":
            return self._error(400, "badContent", "Media type not supported for this method.", "INVALID_ARGUMENT")
        try:
            raw = base64.urlsafe_b64decode((await request.json())["raw"])
        except (KeyError, TypeError, ValueError, binascii.Error):
            return self._error(
                400,
                "invalidArgument",
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
                "INVALID_ARGUMENT",
            )
        return self._accept(raw, grant)

    async def send_media(self, request: web.Request) -> web.Response:
        grant = self._authorized(request)
        if isinstance(grant, web.Response):
            return grant
        if request.query.get("uploadType") not in ("media", "multipart"):
            return self._error(400, "invalidArgument", "Unknown upload protocol.", "INVALID_ARGUMENT")
        accepted = [t.rstrip("*") for t in SEND["mediaUpload"]["accept"]]
        if not any(request.content_type.startswith(t) for t in accepted):
            return self._error(
                400, "badContent", f"Media type '{request.content_type}' is not supported.", "INVALID_ARGUMENT"
            )
        raw = await request.read()
        if len(raw) > int(SEND["mediaUpload"]["maxSize"]):
            return self._error(413, "uploadTooLarge", "Media larger than the maximum size.", "INVALID_ARGUMENT")
        return self._accept(raw, grant)
