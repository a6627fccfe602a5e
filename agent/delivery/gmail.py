"""Delivery through the sender's own Google Workspace mailbox with the Gmail API.

`users.messages.send` takes the copy as RFC 822 bytes: as base64url `raw` in a JSON body for
ordinary messages, as a `message/rfc822` media upload (`/upload/gmail/v1/...?uploadType=media`,
at most 35 MB: the discovery document's maxSize 36700160) for large ones. Gmail files the
sent message under SENT. It sends to the addresses in To, Cc and Bcc, so those are first
limited to this copy's recipients (recipients.py).

A secure portal reply for the mailbox's owner is not sent but inserted in their Inbox:
`users.messages.insert` (scope gmail.insert) with labels INBOX and UNREAD and the Date header
as its date, no scanning and no sending (gmail.v1 users.messages.insert).

Errors (Gmail API "Resolve errors"): 401 → one forced refresh, then a new sign-in; 429, or 403
with rateLimitExceeded / userRateLimitExceeded → wait (Retry-After, else a minute); 403
quotaExceeded or a daily sending limit → held until a person acts; 5xx → retry.
"""

from __future__ import annotations

import base64
import json

from agent.accounts import Accounts
from agent.config import AccountsConfig
from agent.delivery import https
from agent.delivery.mailbox import MailboxApi
from agent.delivery.recipients import for_recipients
from agent.delivery.smtp import DeliveryError, RecipientResult, SendResult, wire_format

RAW_LIMIT = 4 * 1024 * 1024  # above this the media upload, which streams the bytes as they are
MEDIA_LIMIT = 36_700_160  # gmail.v1 users.messages.send mediaUpload.maxSize
THROTTLE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded")


class GmailTransport(MailboxApi):
    where = "Gmail API"

    def __init__(self, config: AccountsConfig, accounts: Accounts) -> None:
        super().__init__(config, accounts, config.gmail_url)

    @staticmethod
    def _error(response: https.Response) -> tuple[str, str]:
        body = response.json()
        error = body.get("error", {}) if isinstance(body, dict) else {}
        if not isinstance(error, dict):
            return "", str(error)
        reasons = [e.get("reason", "") for e in error.get("errors", []) if isinstance(e, dict)]
        return (reasons[0] if reasons else error.get("status", "")), str(error.get("message", ""))

    def send(
        self, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool, envid: str = ""
    ) -> SendResult:
        data = for_recipients(wire_format(data), recipients)
        if len(data) > MEDIA_LIMIT:
            raise DeliveryError(
                f"{self.where}: the message is {len(data) // (1024 * 1024)} MB, over Gmail's "
                "35 MB; send it via the portal instead",
                hold=True,
            )
        if len(data) <= RAW_LIMIT:
            url = f"{self.base}/gmail/v1/users/me/messages/send"
            body, ctype = json.dumps({"raw": base64.urlsafe_b64encode(data).decode()}).encode(), "application/json"
        else:
            url = f"{self.base}/upload/gmail/v1/users/me/messages/send?uploadType=media"
            body, ctype = data, "message/rfc822"
        response = self._post(mail_from, url, body, ctype)
        sent = response.json()
        reply = f"{response.status} Gmail message {sent.get('id', '?')}, labels {','.join(sent.get('labelIds', []))}"
        result = SendResult(
            tls_version=response.tls_version, tls_cipher=response.tls_cipher, tls_peer=response.tls_peer
        )
        for address in recipients:
            result.recipients[address] = RecipientResult(address, True, False, reply)
        return result

    def place(self, owner: str, data: bytes) -> str:
        data = wire_format(data)
        if len(data) > RAW_LIMIT:
            raise DeliveryError(f"{self.where}: the reply is over {RAW_LIMIT // (1024 * 1024)} MB for your Inbox")
        body = json.dumps({"raw": base64.urlsafe_b64encode(data).decode(), "labelIds": ["INBOX", "UNREAD"]}).encode()
        response = self._post(
            owner, f"{self.base}/gmail/v1/users/me/messages?internalDateSource=dateHeader", body, "application/json"
        )
        return f"{response.status} placed in your Gmail Inbox (message {response.json().get('id', '?')})"

    def _post(self, mail_from: str, url: str, body: bytes, ctype: str) -> https.Response:
        """One call with the token, refreshed once on 401; Google's errors as delivery outcomes."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token(mail_from, force=attempt == 2)}", "Content-Type": ctype}
            try:
                response = https.request("POST", url, headers, body, self._ctx)
            except https.Unreachable as exc:
                raise DeliveryError(f"{self.where} not reachable: {exc}", unreachable=True) from None
            if response.status != 401:
                break
        reason, message = self._error(response)
        detail = f"{response.status} {reason}: {message}".strip(": ")
        if response.status == 401:
            self.accounts.invalidate(mail_from, f"Google refused the saved sign-in ({detail})")
            raise DeliveryError(f"{self.where}: Google refused the saved sign-in ({detail})", sign_in=mail_from)
        if response.status == 429 or (response.status == 403 and reason in THROTTLE_REASONS):
            raise DeliveryError(f"{self.where} asked us to wait ({detail})", retry_after=response.retry_after(60.0))
        if response.status == 403 and ("quota" in reason.lower() or "limit" in message.lower()):
            raise DeliveryError(
                f"{self.where}: your mailbox cannot send now ({detail}); free space or wait for "
                "the daily sending limit to reset, then retry from the tray",
                hold=True,
            )
        if response.status >= 500:
            raise DeliveryError(f"{self.where} failed for now ({detail})")
        if response.status >= 300:
            raise DeliveryError(
                f"{self.where} refused the message ({detail}); it is kept: ask IT, or send it via the portal instead",
                hold=True,
            )
        return response
