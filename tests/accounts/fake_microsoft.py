"""A stand-in for the Microsoft identity platform and Microsoft Graph's mail routes.
Past 400 lines: one fake service, whose routes share its state and checks.

It speaks the real wire formats and refuses what the real services refuse, so the agent's
requests can fail here as they would there:

- identity (tenant discovery, /authorize, /token, /devicecode): the v2.0 OAuth endpoints with
  PKCE checked (S256 of the verifier must equal the challenge), redirect_uri and client_id
  matched, codes single-use, refresh tokens rotated and revocable (AADSTS errors);
- Graph, per tests/data/api/graph.v1.fragment.json: POST /me/sendMail with base64 MIME
  (`text/plain`), 4 MB request limit (413), drafts, attachments, upload sessions (ranges in
  multiples of 320 KiB, no Authorization header), send; 401 for tokens it did not issue or
  that expired, 429 with Retry-After when told to throttle, 403 ErrorQuotaExceeded.

"Delivered" mail is recorded by the recipients in its MIME headers, as Exchange would use them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from tests.accounts.https_fake import HttpsFake, IssuedTokens, jwt, now, oauth_error

FRAGMENT = json.loads((Path(__file__).resolve().parents[1] / "data" / "api" / "graph.v1.fragment.json").read_text())
CLIENT_ID = "3f5c1a7e-2b44-4c1e-9d0a-6a1b2c3d4e5f"
TENANT = "9b2e6f40-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER_TENANT = "11111111-2222-3333-4444-555555555555"


@dataclass
class Grant:
    address: str
    scopes: set[str]
    tenant: str
    expires: int


@dataclass
class Draft:
    mime: EmailMessage
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


class FakeMicrosoft(HttpsFake, IssuedTokens):
    def __init__(self, ca, address: str = "dr.chen@valleyclinic.example") -> None:
        super().__init__(ca)
        self.address = address
        self.tenant = TENANT
        self.browser = "approve"  # approve | decline | close (the user closes the window)
        self.token_lifetime = 3600
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.device: dict[str, dict] = {}
        self.delivered: list[dict] = []  # {"recipients": [...], "mime": bytes, "via": "sendMail"|"draft"}
        self.sent_items: list[bytes] = []
        self.drafts: dict[str, Draft] = {}
        self.folders: dict[str, list[bytes]] = {}  # messages created in a mail folder (never sent)
        self.uploads: dict[str, dict] = {}
        self.throttle = 0  # the next N Graph calls answer 429
        self.quota_exceeded = False
        self.token_requests: list[dict] = []
        a = self.app.router
        a.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery)
        a.add_get("/{tenant}/oauth2/v2.0/authorize", self.authorize)
        a.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        a.add_post("/{tenant}/oauth2/v2.0/devicecode", self.devicecode)
        a.add_post("/v1.0/me/sendMail", self.send_mail)
        a.add_post("/v1.0/me/messages", self.create_draft)
        a.add_post("/v1.0/me/mailFolders/{folder}/messages", self.create_in_folder)
        a.add_post("/v1.0/me/messages/{id}/attachments", self.add_attachment)
        a.add_post("/v1.0/me/messages/{id}/attachments/createUploadSession", self.create_upload)
        a.add_post("/v1.0/me/messages/{id}/send", self.send_draft)
        a.add_delete("/v1.0/me/messages/{id}", self.delete_draft)
        a.add_put("/upload/{sid}", self.upload_range)

    # --- what the tests do -----------------------------------------------------------------
    def settings(self) -> dict:
        return {
            "microsoft_client_id": CLIENT_ID,
            "microsoft_tenant": TENANT,
            "microsoft_authority": self.origin,
            "graph_url": f"{self.origin}/v1.0",
        }

    def approve_device(self) -> None:
        for flow in self.device.values():
            flow["approved"] = True

    # --- identity ----------------------------------------------------------------------------
    def _issuer(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}/v2.0"

    async def discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if tenant not in (TENANT, OTHER_TENANT, "organizations", "common"):
            return oauth_error(400, "invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.")
        base = f"{self.origin}/{tenant}/oauth2/v2.0"
        return web.json_response(
            {
                "issuer": self._issuer(self.tenant if tenant in ("organizations", "common") else tenant),
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "device_authorization_endpoint": f"{base}/devicecode",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        problems = [
            name
            for name, ok in (
                ("client_id", q.get("client_id") == CLIENT_ID),
                ("response_type", q.get("response_type") == "code"),
                ("redirect_uri", q.get("redirect_uri", "").startswith("http://localhost:")),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("code_challenge", len(q.get("code_challenge", "")) >= 43),
                ("state", bool(q.get("state"))),
                ("scope", "offline_access" in q.get("scope", "").split()),
            )
            if not ok
        ]
        if problems:
            return web.Response(status=400, text=f"AADSTS900144: bad or missing {', '.join(problems)}")
        if self.browser == "close":
            return web.Response(text="<html><body>Sign in to your account</body></html>", content_type="text/html")
        if self.browser == "decline":
            target = {
                "error": "access_denied",
                "error_description": "AADSTS65004: User declined to consent.",
                "state": q["state"],
            }
        else:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
                "scopes": set(q["scope"].split()),
                "nonce": q.get("nonce", ""),
            }
            target = {"code": code, "state": q["state"]}
        raise web.HTTPFound(f"{q['redirect_uri']}?{urlencode(target)}")

    def _tokens(self, grant: Grant, nonce: str = "") -> web.Response:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access_tokens[access] = Grant(grant.address, grant.scopes, grant.tenant, now() + self.token_lifetime)
        self.refresh_tokens[refresh] = grant
        claims = {
            "aud": CLIENT_ID,
            "iss": self._issuer(grant.tenant),
            "iat": now(),
            "nbf": now(),
            "exp": now() + 3600,
            "tid": grant.tenant,
            "oid": "0a1b2c3d",
            "sub": "sub-1",
            "preferred_username": grant.address,
            "name": "Dr Chen",
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        return web.json_response(
            {
                "token_type": "Bearer",
                "scope": " ".join(sorted(grant.scopes)),
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": access,
                "refresh_token": refresh,
                "id_token": jwt(claims),
                "client_info": base64.urlsafe_b64encode(json.dumps({"uid": "0a1b2c3d", "utid": grant.tenant}).encode())
                .decode()
                .rstrip("="),
            }
        )

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.token_requests.append(dict(form))
        if form.get("client_id") != CLIENT_ID:
            return oauth_error(400, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
        kind = form.get("grant_type")
        if kind == "authorization_code":
            issued = self.codes.pop(str(form.get("code", "")), None)
            if issued is None:
                return oauth_error(
                    400,
                    "invalid_grant",
                    "AADSTS70008: The provided authorization code has expired or was already redeemed.",
                )
            if form.get("redirect_uri") != issued["redirect_uri"]:
                return oauth_error(400, "invalid_grant", "AADSTS50011: The redirect URI does not match.")
            verifier = str(form.get("code_verifier", ""))
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != issued["challenge"]:
                return oauth_error(
                    400,
                    "invalid_grant",
                    "AADSTS501481: The Code_Verifier does not match the "
                    "code_challenge supplied in the authorization request.",
                )
            return self._tokens(Grant(self.address, issued["scopes"], self.tenant, 0), issued["nonce"])
        if kind == "refresh_token":
            grant = self.refresh_tokens.pop(str(form.get("refresh_token", "")), None)
            if grant is None:
                return oauth_error(
                    400,
                    "invalid_grant",
                    "AADSTS70043: The refresh token has expired or is invalid "
                    "due to sign-in frequency checks by conditional access.",
                )
            return self._tokens(grant)
        if kind == "urn:ietf:params:oauth:grant-type:device_code":
            flow = self.device.get(str(form.get("device_code", "")))
            if flow is None:
                return oauth_error(400, "expired_token", "AADSTS70019: Verification code expired.")
            if not flow["approved"]:
                return oauth_error(
                    400, "authorization_pending", "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending."
                )
            del self.device[str(form["device_code"])]
            return self._tokens(Grant(self.address, flow["scopes"], self.tenant, 0))
        return oauth_error(400, "unsupported_grant_type", f"AADSTS70003: grant_type {kind} is not supported.")

    async def devicecode(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != CLIENT_ID:
            return oauth_error(400, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
        code = secrets.token_urlsafe(24)
        self.device[code] = {"approved": False, "scopes": set(str(form.get("scope", "")).split())}
        return web.json_response(
            {
                "device_code": code,
                "user_code": "PSL-7Q4X",
                "verification_uri": f"{self.origin}/devicelogin",
                "expires_in": 900,
                "interval": 1,
                "message": f"To sign in, open {self.origin}/devicelogin and enter PSL-7Q4X.",
            }
        )

    # --- Graph -------------------------------------------------------------------------------
    def _graph_error(self, status: int, code: str, message: str, **headers: str) -> web.Response:
        return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)

    def _authorized(self, request: web.Request, scope: str) -> web.Response | Grant:
        header = request.headers.get("Authorization", "")
        grant = self.access_tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
        if grant is None or grant.expires < now():
            return self._graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        if not any(s.endswith(scope) for s in grant.scopes):
            return self._graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if self.throttle:
            self.throttle -= 1
            return self._graph_error(
                429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", **{"Retry-After": "1"}
            )
        if self.quota_exceeded:
            return self._graph_error(403, "ErrorQuotaExceeded", "The mailbox quota has been exceeded.")
        return grant

    async def _mime(self, request: web.Request, grant: Grant) -> web.Response | EmailMessage:
        body = await request.read()
        if len(body) > FRAGMENT["request_limit_bytes"]:
            return self._graph_error(413, "RequestEntityTooLarge", "The request is larger than 4 MB.")
        if request.content_type != "text/plain":
            return self._graph_error(415, "UnsupportedMediaType", "MIME content must be sent as text/plain.")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return self._graph_error(
                400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."
            )
        message = message_from_bytes(raw, policy=policy.default)
        sender = getaddresses([str(message.get("From", ""))])
        if not sender or sender[0][1].lower() != grant.address:
            return self._graph_error(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to submit this "
                "request does not have the right to send mail on behalf "
                "of the specified sending account.",
            )
        if not self._recipients(message):
            return self._graph_error(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
        return message

    @staticmethod
    def _recipients(message: EmailMessage) -> list[str]:
        return [
            a.lower()
            for _, a in getaddresses([str(v) for k in ("To", "Cc", "Bcc") for v in message.get_all(k, [])])
            if a
        ]

    def _deliver(self, message: EmailMessage, via: str) -> None:
        recipients = self._recipients(message)
        del message["Bcc"]
        data = message.as_bytes()
        self.delivered.append({"recipients": recipients, "mime": data, "via": via})
        self.sent_items.append(data)

    async def send_mail(self, request: web.Request) -> web.Response:
        grant = self._authorized(request, "Mail.Send")
        if isinstance(grant, web.Response):
            return grant
        message = await self._mime(request, grant)
        if isinstance(message, web.Response):
            return message
        self._deliver(message, "sendMail")
        return web.Response(status=202)

    async def create_draft(self, request: web.Request) -> web.Response:
        grant = self._authorized(request, "Mail.ReadWrite")
        if isinstance(grant, web.Response):
            return grant
        message = await self._mime(request, grant)
        if isinstance(message, web.Response):
            return message
        ident = "AAMk" + secrets.token_hex(12)
        self.drafts[ident] = Draft(message)
        return web.json_response({"id": ident, "isDraft": True}, status=201)

    async def create_in_folder(self, request: web.Request) -> web.Response:
        """user-post-messages.md, POST /me/mailFolders/{id}/messages with MIME: a message in that
        folder (a well-known name such as inbox, or an id); from MIME, v1.0 makes it a draft."""
        grant = self._authorized(request, "Mail.ReadWrite")
        if isinstance(grant, web.Response):
            return grant
        folder = request.match_info["folder"].lower()
        if folder not in ("inbox", "drafts", "sentitems", "deleteditems", "archive"):
            return self._graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        message = await self._mime(request, grant)
        if isinstance(message, web.Response):
            return message
        self.folders.setdefault(folder, []).append(message.as_bytes())
        return web.json_response(
            {"id": "AAMk" + secrets.token_hex(12), "isDraft": True, "parentFolderId": folder}, status=201
        )

    def _draft(self, request: web.Request) -> Draft | web.Response:
        grant = self._authorized(request, "Mail.ReadWrite")
        if isinstance(grant, web.Response):
            return grant
        draft = self.drafts.get(request.match_info["id"])
        return draft or self._graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")

    async def add_attachment(self, request: web.Request) -> web.Response:
        draft = self._draft(request)
        if isinstance(draft, web.Response):
            return draft
        body = await request.json()
        if body.get("@odata.type") != "#microsoft.graph.fileAttachment" or not body.get("name"):
            return self._graph_error(400, "ErrorInvalidRequest", "A fileAttachment needs @odata.type and name.")
        content = base64.b64decode(body.get("contentBytes", ""), validate=True)
        if len(content) >= FRAGMENT["attachment_post_limit_bytes"]:
            return self._graph_error(
                413,
                "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
                "Attachments of 3 MB or more need an upload session.",
            )
        draft.attachments.append((body["name"], body.get("contentType", "application/octet-stream"), content))
        return web.json_response({"id": secrets.token_hex(6)}, status=201)

    async def create_upload(self, request: web.Request) -> web.Response:
        draft = self._draft(request)
        if isinstance(draft, web.Response):
            return draft
        item = (await request.json()).get("AttachmentItem", {})
        size = item.get("size", 0)
        if item.get("attachmentType") != "file" or not item.get("name") or not isinstance(size, int):
            return self._graph_error(
                400, "ErrorInvalidRequest", "AttachmentItem needs attachmentType file, name, size."
            )
        if not FRAGMENT["upload_session_min_bytes"] <= size <= FRAGMENT["upload_session_max_bytes"]:
            return self._graph_error(
                400,
                "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
                "Upload sessions are for attachments from 3 MB to 150 MB.",
            )
        sid = secrets.token_hex(8)
        self.uploads[sid] = {
            "draft": draft,
            "name": item["name"],
            "type": item.get("contentType", ""),
            "size": size,
            "data": bytearray(),
        }
        return web.json_response(
            {
                "uploadUrl": f"{self.origin}/upload/{sid}?authtoken={secrets.token_hex(8)}",
                "expirationDateTime": "2099-01-01T00:00:00Z",
                "nextExpectedRanges": ["0-"],
            },
            status=201,
        )

    async def upload_range(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["sid"])
        if upload is None or "authtoken" not in request.query:
            return self._graph_error(404, "ErrorItemNotFound", "The upload session does not exist.")
        if "Authorization" in request.headers:
            return self._graph_error(
                401,
                "InvalidAuthenticationToken",
                "Do not send an Authorization header to the pre-authenticated upload URL.",
            )
        chunk = await request.read()
        try:
            unit, span = request.headers["Content-Range"].split(" ")
            first, rest = span.split("-")
            last, total = rest.split("/")
            first, last, total = int(first), int(last), int(total)
        except (KeyError, ValueError):
            return self._graph_error(400, "InvalidContentRange", "Content-Range must be 'bytes first-last/total'.")
        done = len(upload["data"])
        final = last + 1 == total
        if (
            unit != "bytes"
            or first != done
            or last - first + 1 != len(chunk)
            or total != upload["size"]
            or len(chunk) > FRAGMENT["upload_range_max_bytes"]
            or (not final and len(chunk) % FRAGMENT["upload_range_multiple_bytes"])
        ):
            return self._graph_error(416, "InvalidRange", f"Expected bytes {done}- in ranges of 320 KiB multiples.")
        upload["data"] += chunk
        if not final:
            return web.json_response(
                {"expirationDateTime": "2099-01-01T00:00:00Z", "nextExpectedRanges": [f"{last + 1}-"]}
            )
        upload["draft"].attachments.append((upload["name"], upload["type"], bytes(upload["data"])))
        del self.uploads[request.match_info["sid"]]
        return web.Response(status=201, headers={"Location": f"{self.origin}/v1.0/me/messages/x/attachments/y"})

    async def send_draft(self, request: web.Request) -> web.Response:
        draft = self._draft(request)
        if isinstance(draft, web.Response):
            return draft
        message = draft.mime
        if not message.is_multipart():
            message.make_mixed()
        for name, ctype, content in draft.attachments:
            maintype, _, subtype = (ctype or "application/octet-stream").partition("/")
            message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
        del self.drafts[request.match_info["id"]]
        self._deliver(message, "draft")
        return web.Response(status=202)

    async def delete_draft(self, request: web.Request) -> web.Response:
        draft = self._draft(request)
        if isinstance(draft, web.Response):
            return draft
        del self.drafts[request.match_info["id"]]
        return web.Response(status=204)
