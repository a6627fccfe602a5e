"""Delivery through the sender's own Microsoft 365 mailbox with Microsoft Graph.

`POST /me/sendMail` with the copy as base64 MIME (`Content-Type: text/plain`) sends it as it
is and saves it in Sent Items (microsoft-graph-docs-contrib, api-reference/v1.0/api/
user-sendmail.md). Graph refuses requests over 4 MB, so a larger multipart/mixed copy is
made a draft from its MIME without the attachments, each attachment is added (a POST under
3 MB, an upload session in 4 MB ranges above: concepts/outlook-large-attachments.md), and
the draft is sent. An OpenPGP copy cannot be taken apart like that without breaking it, so a
large one is held with the way out (send it via the portal). Recipients come from the MIME
headers, so they are first limited to this copy's recipients (recipients.py).

A secure portal reply for the mailbox's owner is not sent but placed in their Inbox:
`POST /me/mailFolders/inbox/messages` with the MIME (Mail.ReadWrite; user-post-messages.md).
Graph v1.0 marks a message created from MIME as a draft; the beta `importMime`, which makes
it an ordinary received message, needs Mail-Advanced.ReadWrite and is not for production use,
so the draft it is (it opens and reads like any mail; the tray keeps the reply too).

Errors: 401 → one forced token refresh, then the account needs a new sign-in; 429/503/504 →
wait as long as Retry-After says; 403 ErrorQuotaExceeded → held until the mailbox has room.
"""

from __future__ import annotations

import base64
import json
import logging
from email import message_from_bytes, policy

from agent.accounts import Accounts
from agent.config import AccountsConfig
from agent.delivery import https
from agent.delivery.mailbox import MailboxApi
from agent.delivery.recipients import for_recipients
from agent.delivery.smtp import DeliveryError, RecipientResult, SendResult, wire_format

log = logging.getLogger(__name__)

REQUEST_LIMIT = 4 * 1024 * 1024 - 64 * 1024  # Graph's 4 MB, less room for the request's own overhead
SMALL_ATTACHMENT = 3 * 1024 * 1024  # under this, one POST; over it, an upload session
RANGE = 10 * 320 * 1024  # upload ranges: multiples of 320 KiB, at most 4 MB each
THROTTLED = (429, 503, 504)


class GraphTransport(MailboxApi):
    where = "Microsoft Graph"

    def __init__(self, config: AccountsConfig, accounts: Accounts) -> None:
        super().__init__(config, accounts, config.graph_url)

    # --- one call, with the token and the errors every call shares ------------------------
    def _call(
        self,
        sender: str,
        method: str,
        url: str,
        body: bytes | None,
        content_type: str,
        extra: dict[str, str] | None = None,
        auth: bool = True,
    ) -> https.Response:
        for attempt in (1, 2):
            headers = {"Content-Type": content_type, **(extra or {})}
            if auth:
                headers["Authorization"] = f"Bearer {self._token(sender, force=attempt == 2)}"
            try:
                response = https.request(method, url, headers, body, self._ctx)
            except https.Unreachable as exc:
                raise DeliveryError(f"{self.where} not reachable: {exc}", unreachable=True) from None
            if response.status == 401 and auth and attempt == 1:
                continue  # a token revoked early: refresh once before asking for a sign-in
            if response.status == 401 and auth:
                reason = f"Microsoft refused the saved sign-in ({self._error(response)})"
                self.accounts.invalidate(sender, reason)
                raise DeliveryError(f"{self.where}: {reason}", sign_in=sender)
            return response
        raise AssertionError("unreachable")

    @staticmethod
    def _error(response: https.Response) -> str:
        error = response.json().get("error", {}) if isinstance(response.json(), dict) else {}
        code = error.get("code", "") if isinstance(error, dict) else ""
        message = error.get("message", "") if isinstance(error, dict) else ""
        return f"{response.status} {code}: {message}".strip(": ")

    def _check(self, response: https.Response, what: str) -> None:
        if response.status < 300:
            return
        detail = self._error(response)
        if response.status in THROTTLED:
            raise DeliveryError(f"{self.where} asked us to wait ({detail})", retry_after=response.retry_after(60.0))
        if response.status == 403 and "Quota" in detail:
            raise DeliveryError(
                f"{self.where}: your mailbox is over its size limit ({detail}); delete or "
                "archive mail, then retry from the tray",
                hold=True,
            )
        if response.status >= 500:
            raise DeliveryError(f"{self.where} {what} failed for now ({detail})")
        raise DeliveryError(
            f"{self.where} refused {what} ({detail}); the message is kept: ask IT "
            "(permissions for Postseal's app, or send it via the portal instead)",
            hold=True,
        )

    # --- sending -----------------------------------------------------------------------------
    def send(
        self, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool, envid: str = ""
    ) -> SendResult:
        data = for_recipients(wire_format(data), recipients)
        encoded = base64.b64encode(data)
        if len(encoded) <= REQUEST_LIMIT:
            response = self._call(mail_from, "POST", f"{self.base}/me/sendMail", encoded, "text/plain")
            if response.status != 413:
                self._check(response, "the message")
                return self._result(response, recipients, "202 accepted by Microsoft Graph, saved in Sent Items")
        return self._send_large(mail_from, recipients, data)

    def place(self, owner: str, data: bytes) -> str:
        encoded = base64.b64encode(wire_format(data))
        if len(encoded) > REQUEST_LIMIT:
            raise DeliveryError(f"{self.where}: the reply is over Graph's 4 MB request limit for your Inbox")
        response = self._call(owner, "POST", f"{self.base}/me/mailFolders/inbox/messages", encoded, "text/plain")
        self._check(response, "placing the reply in your Inbox")
        return f"{response.status} placed in your Microsoft 365 Inbox by Microsoft Graph"

    def _result(self, response: https.Response, recipients: list[str], reply: str) -> SendResult:
        result = SendResult(
            tls_version=response.tls_version, tls_cipher=response.tls_cipher, tls_peer=response.tls_peer
        )
        for address in recipients:
            result.recipients[address] = RecipientResult(address, True, False, reply)
        return result

    def _send_large(self, sender: str, recipients: list[str], data: bytes) -> SendResult:
        message = message_from_bytes(data, policy=policy.SMTP)
        if not self.config.microsoft_large_messages:
            raise DeliveryError(
                f"{self.where}: the message is over Graph's 4 MB request limit and large "
                "messages are switched off (accounts.microsoft_large_messages); send it via "
                "the portal instead",
                hold=True,
            )
        if message.get_content_type() != "multipart/mixed":
            raise DeliveryError(
                f"{self.where}: a {message.get_content_type()} message over Graph's 4 MB request "
                "limit cannot be sent as it is (it would have to be taken apart); send it via "
                "the portal instead",
                hold=True,
            )
        attachments = [part for part in message.iter_parts() if part.get_filename()]
        kept = [part for part in message.iter_parts() if not part.get_filename()]
        message.set_payload(kept)
        draft = base64.b64encode(message.as_bytes())
        if len(draft) > REQUEST_LIMIT:
            raise DeliveryError(
                f"{self.where}: the message text alone is over Graph's 4 MB limit; send it via the portal instead",
                hold=True,
            )
        created = self._call(sender, "POST", f"{self.base}/me/messages", draft, "text/plain")
        self._check(created, "the draft")
        ident = created.json().get("id", "")
        if not ident:
            raise DeliveryError(f"{self.where}: the draft was created without an id")
        try:
            for part in attachments:
                self._attach(sender, ident, part)
            sent = self._call(sender, "POST", f"{self.base}/me/messages/{ident}/send", b"", "application/json")
            self._check(sent, "sending the draft")
        except DeliveryError:
            # Nothing was sent: remove the half-built draft so a retry starts clean.
            self._call(sender, "DELETE", f"{self.base}/me/messages/{ident}", None, "application/json")
            raise
        return self._result(
            sent, recipients, "202 accepted by Microsoft Graph (draft with upload sessions), saved in Sent Items"
        )

    def _attach(self, sender: str, ident: str, part) -> None:
        content = part.get_payload(decode=True) or b""
        name = part.get_filename() or "attachment"
        ctype = part.get_content_type()
        if len(content) < SMALL_ATTACHMENT:
            body = json.dumps(
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": name,
                    "contentType": ctype,
                    "contentBytes": base64.b64encode(content).decode(),
                }
            ).encode()
            self._check(
                self._call(sender, "POST", f"{self.base}/me/messages/{ident}/attachments", body, "application/json"),
                f"the attachment {name}",
            )
            return
        body = json.dumps(
            {"AttachmentItem": {"attachmentType": "file", "name": name, "size": len(content), "contentType": ctype}}
        ).encode()
        session = self._call(
            sender, "POST", f"{self.base}/me/messages/{ident}/attachments/createUploadSession", body, "application/json"
        )
        self._check(session, f"the upload of {name}")
        upload = session.json().get("uploadUrl", "")
        for start in range(0, len(content), RANGE):
            chunk = content[start : start + RANGE]
            # The upload URL carries its own authorization: no bearer token (and it must not get one).
            response = self._call(
                sender,
                "PUT",
                upload,
                chunk,
                "application/octet-stream",
                auth=False,
                extra={"Content-Range": f"bytes {start}-{start + len(chunk) - 1}/{len(content)}"},
            )
            self._check(response, f"the upload of {name}")
