"""Secure portal copies: the message sealed under a fresh key, the key only in the link.

For each recipient: the message becomes a small JSON document (headers, text, attachments),
sealed with AES-256-GCM under a fresh 256-bit key, and uploaded to the portal under a fresh
id. The recipient gets a notice with `{portal.url}/m/{id}#{key}`: browsers never send the
fragment to the server, so the portal stores and serves only ciphertext and never sees the
key (zero knowledge). The id is bound as GCM associated data so a stored blob cannot be
swapped under another id. The notice holds no body text, subject or attachment of its own.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import urllib3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from urllib3.util.retry import Retry

from agent.model import Method, ProtectedCopy, RecipientPlan
from agent.net_words import said
from agent.policy.normalize import html_to_text
from agent.portal.branding import DEFAULT as DEFAULT_BRANDING
from agent.portal.branding import Branding, friendly_day, readable_ink
from agent.protect import ProtectError

FORMAT = "postseal-portal-v1"
BRANDING_TTL = 600.0  # seconds a portal's branding is reused before it is asked again

log = logging.getLogger(__name__)


class PortalUnavailable(Exception):
    """The portal could not take the upload now: a reason to retry, not to hold."""


class PortalAnswered(PortalUnavailable):
    """The portal answered an agent call with an HTTP error `status`."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def portal_document(message: EmailMessage) -> dict:
    """What the recipient's browser shows: text only (HTML is flattened, never rendered)."""
    body = message.get_body(("plain", "html"))
    text = ""
    if body is not None:
        text = body.get_content()
        if body.get_content_type() == "text/html":
            text = html_to_text(text)
    body_family = {id(body)}
    if body is not None and message.get_content_type() == "multipart/alternative":
        body_family = {id(p) for p in message.walk()}
    attachments = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or id(part) in body_family:
            continue
        if part.get_content_maintype() == "text" and not part.get_filename():
            continue  # an alternative rendering of the body
        data = part.get_payload(decode=True) or b""
        attachments.append(
            {
                "filename": part.get_filename() or f"part-{index}",
                "content_type": part.get_content_type(),
                "size": len(data),
                "data": base64.b64encode(data).decode("ascii"),
            }
        )
    return {
        "format": FORMAT,
        "from": readable_addresses(message, "From"),
        "to": readable_addresses(message, "To"),
        "cc": readable_addresses(message, "Cc"),
        "date": str(message.get("Date", "")),
        "subject": str(message.get("Subject", "")),
        "text": text,
        "attachments": attachments,
    }


def readable_addresses(message: EmailMessage, header: str) -> str:
    """'Dr. Emily Chen <dr.chen@…>, …' as a person writes it (no RFC 5322 quoting)."""
    names = []
    for value in message.get_all(header, []):
        for address in getattr(value, "addresses", ()):
            name = address.display_name
            names.append(f"{name} <{address.addr_spec}>" if name else address.addr_spec)
    return ", ".join(names)


def seal(document: dict, message_id: str) -> tuple[bytes, bytes]:
    """Returns (key, blob) with blob = nonce(12) || ciphertext+tag, as WebCrypto expects."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    plaintext = json.dumps(document, separators=(",", ":")).encode()
    blob = nonce + AESGCM(key).encrypt(nonce, plaintext, message_id.encode())
    return key, blob


def unseal(key: bytes, blob: bytes, message_id: str) -> dict:
    plaintext = AESGCM(key).decrypt(blob[:12], blob[12:], message_id.encode())
    return json.loads(plaintext)


@dataclass(frozen=True)
class PortalClient:
    url: str
    # This agent's own credential, issued at enrolment (agent/portal_enrol.py); a callable when
    # it may arrive after start (enrolment by policy), read at each call.
    token: str | Callable[[], str]
    timeout: float = 20.0
    retries: int = 4  # an upload's retries under the same id (connection errors, 5xx, 429)
    backoff: float = 0.5  # seconds, doubled each retry

    def bearer(self) -> str:
        """The credential now; PortalUnavailable (try later) while this agent has none."""
        token = self.token() if callable(self.token) else self.token
        if not token:
            raise PortalUnavailable(
                f"this agent is not enrolled with the portal {self.url} yet "
                "(postseal portal enroll, or portal.enrolment_code in managed policy)"
            )
        return token

    def _call(self, method: str, path: str, query: str = "") -> bytes:
        """One authenticated call to the portal's agent routes (sync, replies)."""
        url = f"{self.url.rstrip('/')}{path}{('?' + query) if query else ''}"
        request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {self.bearer()}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise PortalAnswered(exc.code, f"portal {self.url} answered {exc.code} to {path}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise PortalUnavailable(f"portal {self.url} not reachable: {said(exc)}") from None

    def branding(self) -> Branding:
        """The portal's public branding (GET /api/v1/branding: the clinic's name and support
        contact), checked as the portal's own config is; ValueError when it is not."""
        public = json.loads(self._call("GET", "/api/v1/branding"))  # not JSON: a ValueError too
        support = public.get("support") if isinstance(public, dict) else None
        if not isinstance(support, dict):
            raise ValueError(f"portal {self.url} branding: not the JSON object of /api/v1/branding")
        return Branding.from_mapping(
            {
                "name": public.get("name") or "",
                **{k: public.get(k) or "" for k in ("primary_color", "accent_color")},
                **{f"support_{k}": support.get(k) or "" for k in ("email", "phone", "url")},
            },
            where=f"portal {self.url} branding",
        )

    def sync(self, since: int, warn_within: float) -> dict:
        return json.loads(self._call("GET", "/api/v1/sync", f"since={since}&warn_within={int(warn_within)}"))

    def reply_blob(self, reply_id: str) -> bytes:
        return self._call("GET", f"/api/v1/replies/{reply_id}/blob")

    def drop_reply(self, reply_id: str) -> None:
        self._call("DELETE", f"/api/v1/replies/{reply_id}")

    def mark_warned(self, portal_id: str) -> None:
        self._call("POST", f"/api/v1/messages/{portal_id}/warned")

    def claim(self, portal_id: str) -> bool:
        """Take back a message this agent uploaded before it enrolled; False when the portal
        does not have it as a message of before enrolment (expired, or never there)."""
        try:
            self._call("POST", f"/api/v1/messages/{portal_id}/claim")
        except PortalAnswered as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def revoke(self, portal_id: str) -> None:
        """The portal forgets the sealed copy: the link no longer opens anything."""
        request = urllib.request.Request(
            f"{self.url.rstrip('/')}/api/v1/messages/{portal_id}",
            method="DELETE",
            headers={"Authorization": f"Bearer {self.bearer()}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code != 404:  # already gone is what we want
                raise PortalUnavailable(f"portal {self.url} could not revoke {portal_id}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise PortalUnavailable(f"portal {self.url} not reachable: {said(exc)}") from None

    def upload(self, portal_id: str, blob: bytes, sender: str, recipient: str, expires: float) -> None:
        """Upload a sealed message, retried under the same id with the same bytes when the
        connection fails or the portal answers 5xx/429 (urllib3's Retry, with exponential backoff and the
        portal's Retry-After): the portal takes a repeat of a stored upload as success, so a
        retry after an answer lost on the way is safe. What still fails is PortalUnavailable
        (the outbox tries again later) or ProtectError (refused for good)."""
        bearer = self.bearer()
        retry = Retry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            other=0,
            backoff_factor=self.backoff,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"PUT"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        # urllib3 verifies with the system's trust store, as urllib did before.
        with urllib3.PoolManager(retries=retry, timeout=self.timeout) as http:
            try:
                response = http.request(
                    "PUT",
                    f"{self.url.rstrip('/')}/api/v1/messages/{portal_id}",
                    body=blob,
                    headers={
                        "Authorization": f"Bearer {bearer}",
                        "Content-Type": "application/octet-stream",
                        "X-Postseal-Sender": sender,
                        "X-Postseal-Recipient": recipient,
                        "X-Postseal-Expires": str(int(expires)),
                    },
                )
            except urllib3.exceptions.HTTPError as exc:
                reason = getattr(exc, "reason", None) or exc
                # "…: Failed to establish a new connection: [Errno 111] Connection refused" → its last part, in words
                words = said(str(reason).rsplit(": ", 1)[-1].strip()) or type(reason).__name__
                raise PortalUnavailable(f"portal {self.url} not reachable: {words}") from None
        if response.status >= 500 or response.status == 429:
            raise PortalUnavailable(f"portal {self.url} answered {response.status}")
        if response.status == 401:
            raise ProtectError(
                f"portal {self.url} refused this agent (HTTP 401): it is not enrolled or was revoked; "
                "run `postseal portal enroll --url URL --code CODE`"
            )
        if response.status not in (200, 201):
            raise ProtectError(f"portal {self.url} refused the upload: HTTP {response.status}")


def notice(
    message: EmailMessage,
    sender: str,
    recipient: str,
    link: str,
    org: str,
    expires: float,
    branding: Branding | None = None,
) -> bytes:
    """The mail that brings the link: who sends, through which clinic (the portal's branding
    name, else the organization's), until when, and how to reach the clinic."""
    org = (branding.name if branding else "") or org
    contact = branding.contact_line() if branding else ""
    button = (branding or DEFAULT_BRANDING).primary_color  # validated #RRGGBB: safe in a style
    ink = readable_ink(button)
    out = EmailMessage(policy=policy.SMTP)
    out["From"] = str(message.get("From", sender))
    out["To"] = recipient
    out["Subject"] = f"Secure message from {org}"
    out["Date"] = formatdate(localtime=True)
    # The notice is how this message reaches this recipient: it keeps the Message-ID, so
    # delivery stays idempotent per (Message-ID, recipient) and replies thread.
    out["Message-ID"] = str(message.get("Message-ID")) or make_msgid(domain=sender.rpartition("@")[2])
    out["X-Postseal-Notice"] = "portal"
    who = readable_addresses(message, "From") or sender
    until = friendly_day(expires)
    how = (
        f"To open it, you will be asked for a code that we e-mail to {recipient}. "
        f"You can open it until {until}; you can also reply to it securely there."
    )
    out.set_content(
        f"{who} sent you a secure message through {org}.\n\n"
        f"Open it here:\n{link}\n\n{how}\n\n"
        "The message is decrypted in your browser: the link holds its key, and the "
        "portal only stores it encrypted. Please do not forward this e-mail.\n" + (f"\n{contact}\n" if contact else "")
    )
    out.add_alternative(
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>{_esc(who)} sent you a secure message through {_esc(org)}.</p>"
        f'<p><a href="{_esc(link)}" style="background:{button};color:{ink};padding:10px 16px;'
        'border-radius:4px;text-decoration:none">Open secure message</a></p>'
        f"<p>{_esc(how)}</p>"
        '<p style="color:#555">The message is decrypted in your browser: the link holds its '
        "key, and the portal only stores it encrypted. Please do not forward this e-mail.</p>"
        + (f"<p>{_esc(contact)}</p>" if contact else "")
        + "</body></html>",
        subtype="html",
    )
    return out.as_bytes()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class PortalProtector:
    method = Method.PORTAL

    def __init__(self, client: PortalClient, org: str, expiry_days: int = 30) -> None:
        self.client = client
        self.org = org
        self.expiry_days = expiry_days
        self._branding: tuple[float, Branding] | None = None

    def branding(self) -> Branding:
        """The portal's branding for the notices, asked at most every BRANDING_TTL seconds; the
        organization's name alone when the portal cannot say (a notice never waits for it)."""
        now = time.monotonic()
        if self._branding is None or now - self._branding[0] > BRANDING_TTL:
            try:
                found = self.client.branding()
            except (PortalUnavailable, ValueError) as exc:
                log.info("portal branding not read, notices name %s only: %s", self.org, exc)
                found = Branding(name=self.org)
            self._branding = (now, found)
        return self._branding[1]

    def protect(self, message: EmailMessage, sender: str, recipients: list[RecipientPlan]) -> list[ProtectedCopy]:
        document = portal_document(message)
        copies = []
        for plan in recipients:
            portal_id = b64url(secrets.token_bytes(16))
            key, blob = seal(document, portal_id)
            expires = time.time() + self.expiry_days * 86400
            self.client.upload(portal_id, blob, sender, plan.address, expires)
            link = f"{self.client.url.rstrip('/')}/m/{portal_id}#{b64url(key)}"
            data = notice(message, sender, plan.address, link, self.org, expires, self.branding())
            copies.append(ProtectedCopy(Method.PORTAL, (plan.address,), data, portal_id=portal_id))
        return copies
