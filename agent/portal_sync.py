"""What the agent collects from the portal, every `portal.poll_seconds`:

- receipts: first open, each attachment saved, codes sent, lockouts, revocation, expiry —
  into the audit log, with the outbox message and recipient they belong to;
- secure replies: sealed in the recipient's browser under the message's own key (which only
  the link, and this agent's encrypted outbox, hold), opened here and handed to the sender as
  a new message that routing encrypts to the sender's own S/MIME certificate, or keeps in the
  agent for the tray's "Secure replies" (routing.route_reply); it threads under the original
  (In-Reply-To and References, RFC 5322 §3.6.4);
- lapses: an unopened message about to expire — the sender gets a warning, once.

It talks to the portal over the same authenticated routes whether the portal is embedded or
the organization's own; a portal that cannot be reached now is asked again next time.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag

from agent import portal_enrol, system_mail
from agent.config import Config
from agent.outbox import Outbox
from agent.protect.entity import PORTAL_REPLY
from agent.protect.portal import PortalClient, PortalUnavailable, b64url_decode, unseal

log = logging.getLogger(__name__)

REPLY_HEADER = PORTAL_REPLY
REPLY_FORMAT = "postseal-portal-reply-v1"
EVENTS = {
    "opened": "portal_opened",
    "downloaded": "portal_downloaded",
    "code_sent": "portal_code_sent",
    "locked": "portal_locked",
    "replied": "portal_replied",
    "revoked": "portal_revoked",
    "expired": "portal_expired",
}


# What a portal may say about an event, in the hash-chained audit: fixed words and numbers.
# Anything else (an older or foreign portal naming a downloaded file after the patient) is
# dropped, never recorded: the audit says that and how, never what.
_RECEIPT_DETAIL = re.compile(r"attachment \d{1,4}|\d{1,3} wrong codes|\d{1,12} bytes")


def receipt_detail(detail: object) -> str:
    text = str(detail or "")
    return text if _RECEIPT_DETAIL.fullmatch(text) else ""


def key_of(notice: bytes, portal_id: str) -> bytes | None:
    """The message key from the link in the notice (its body may be quoted-printable)."""
    body = message_from_bytes(notice, policy=policy.default).get_body(("plain",))
    text = body.get_content() if body is not None else ""
    found = re.search(r"/m/" + re.escape(portal_id) + r"#([A-Za-z0-9_-]{43})", text)
    return b64url_decode(found.group(1)) if found else None


def thread_ids(original_id: str, original_references: str) -> tuple[str, str]:
    """In-Reply-To and References for a reply to the message `original_id` (stored without its
    angle brackets): msg-ids in brackets, the original's own References first (RFC 5322 §3.6.4)."""
    if not original_id:
        return "", ""
    own = f"<{original_id.strip('<>')}>"
    earlier = [r for r in re.findall(r"<[^<>\s]+>", original_references or "") if r != own]
    return own, " ".join([*earlier[-20:], own])  # the last 20: a long thread stays a short header


def reply_message(
    sender: str, recipient: str, subject: str, original_id: str, reply: dict, original_references: str = ""
) -> bytes:
    out = EmailMessage()
    # From the sender's own address (Reply-To the recipient): the relay accepts it, and nothing
    # claims to come from an outside domain that did not send it.
    out["From"] = formataddr((f"{recipient} (secure reply)", sender))
    out["Reply-To"] = recipient
    out["To"] = sender
    out["Subject"] = (
        f"Re: {subject}" if subject and not subject.lower().startswith("re:") else (subject or "Secure reply")
    )
    out["Date"] = formatdate(localtime=True)
    out["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    in_reply_to, references = thread_ids(original_id, original_references)
    if in_reply_to:
        out["In-Reply-To"], out["References"] = in_reply_to, references
    out[REPLY_HEADER] = recipient
    out.set_content(
        f"{recipient} replied through the secure portal (their address was verified with a code):\n\n"
        f"{reply.get('text', '')}\n"
    )
    for item in reply.get("attachments", [])[:50]:
        ctype = str(item.get("content_type") or "application/octet-stream")
        maintype, _, subtype = ctype.partition("/")
        out.add_attachment(
            base64.b64decode(item.get("data", "")),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=str(item.get("filename") or "attachment"),
        )
    return out.as_bytes()


class Recorder(Protocol):
    """Where portal sync reports what happened (the service's outcomes: the audit log)."""

    def record(self, event: str, **fields: Any) -> None: ...


class PortalSync:
    """Receives what it needs, not the agent: the configuration as it is now, the outbox (whose
    message a receipt or reply belongs to), the outcomes (`record`: the audit), `submit` (a
    reply or a warning becomes a new message, planned like any), and `enrolled` (this agent's
    new portal credential, when managed policy enrols it)."""

    def __init__(
        self,
        config: Callable[[], Config],
        outbox: Outbox,
        outcomes: Recorder,
        submit: Callable[[bytes], Awaitable[Any]],
        client: PortalClient,
        home: Path,
        enrolled: Callable[[str], None],
    ) -> None:
        self._config = config
        self.outbox = outbox
        self.outcomes = outcomes
        self._submit = submit
        self._enrolled = enrolled
        self.client = client
        self.home = home
        self._cursor_file = home / "portal-sync.json"
        try:
            self.seq = int(json.loads(self._cursor_file.read_text())["seq"])
        except (OSError, ValueError, KeyError):
            self.seq = 0

    async def run(self) -> None:
        while True:
            try:
                await self.once()
            except PortalUnavailable as exc:
                log.info("portal sync: %s; next time", exc)
            except Exception:  # noqa: BLE001 - the sync must outlive any one bad answer
                log.exception("portal sync failed; next time")
            await asyncio.sleep(max(1, self._config().portal.poll_seconds))

    async def _enrol_by_policy(self) -> None:
        """Managed policy's enrolment code, redeemed once for this agent's own credential when it
        holds none for `portal.url` (agent/portal_enrol.py); asked again next time on failure."""
        config = self._config()
        if not (config.portal.enrolment_code and portal_enrol.needs_enrolment(self.home, config)):
            return
        try:
            await asyncio.to_thread(portal_enrol.enrol, self.home, config.portal.url, config.portal.enrolment_code)
        except portal_enrol.EnrolFailed as exc:
            raise PortalUnavailable(f"enrolment by policy: {exc}") from None
        self._enrolled(portal_enrol.credential(self.home, config))

    async def _claim_earlier(self) -> None:
        """Once enrolled: take back the messages uploaded with the shared token of before
        (agent/portal_enrol.py), those of the last `portal.expiry_days`; a claim the portal
        does not know is skipped. Interrupted, it runs again (a claim is idempotent)."""
        config = self._config()
        if not portal_enrol.needs_claim(self.home, config):
            return
        since = time.time() - (config.portal.expiry_days + 1) * 86400
        taken = 0
        for portal_id in self.outbox.portal_ids(since):
            taken += await asyncio.to_thread(self.client.claim, portal_id)
        portal_enrol.claimed(self.home)
        if taken:
            log.info("portal: %d message(s) uploaded before enrolment are this agent's again", taken)

    async def once(self) -> None:
        await self._enrol_by_policy()
        await self._claim_earlier()
        warn = self._config().portal.warn_days * 86400
        state = await asyncio.to_thread(self.client.sync, self.seq, warn)
        for event in state.get("events", []):
            self._record(event)
            self.seq = max(self.seq, int(event.get("seq", 0)))
        self._cursor_file.write_text(json.dumps({"seq": self.seq}))
        for reply in state.get("replies", []):
            await self._reply(reply)
        for lapsing in state.get("expiring", []):
            await self._warn(lapsing)

    def _owner(self, portal_id: str) -> tuple[str, str]:
        found = self.outbox.portal_copy(portal_id)
        return (found[0], found[1].recipients[0]) if found else ("", "")

    def _record(self, event: dict) -> None:
        kind = EVENTS.get(str(event.get("kind")))
        if not kind:
            return
        ident, recipient = self._owner(str(event.get("id", "")))
        self.outcomes.record(
            kind,
            message=ident,
            portal_id=str(event.get("id", "")),
            recipients=[recipient] if recipient else [],
            detail=receipt_detail(event.get("detail")),
        )

    async def _reply(self, reply: dict) -> None:
        portal_id, reply_id = str(reply["id"]), str(reply["reply"])
        found = self.outbox.portal_copy(portal_id)
        key = key_of(found[1].data, portal_id) if found else None
        if found is None or key is None:
            log.warning("portal reply %s for unknown message %s: left on the portal", reply_id, portal_id)
            return
        ident, copy = found
        blob = await asyncio.to_thread(self.client.reply_blob, reply_id)
        try:
            document = unseal(key, blob, f"{portal_id}/reply/{reply_id}")
        except (InvalidTag, ValueError):
            self.outcomes.record(
                "portal_reply_refused",
                message=ident,
                portal_id=portal_id,
                reason="the reply does not open with the message's key (tampered or foreign)",
            )
            await asyncio.to_thread(self.client.drop_reply, reply_id)
            return
        if document.get("format") != REPLY_FORMAT:
            await asyncio.to_thread(self.client.drop_reply, reply_id)
            return
        row = self.outbox.get(ident)
        original = message_from_bytes(self.outbox.raw(ident), policy=policy.compat32)
        raw = reply_message(
            row.sender, copy.recipients[0], row.subject, row.message_id, document, str(original.get("References") or "")
        )
        accepted = await self._submit(raw)
        self.outcomes.record(
            "portal_reply",
            message=accepted.id,
            portal_id=portal_id,
            recipients=[row.sender],
            sender=copy.recipients[0],
            detail=f"secure reply to {ident}, handed to the sender",
        )
        await asyncio.to_thread(self.client.drop_reply, reply_id)  # kept until it is in our outbox

    async def _warn(self, lapsing: dict) -> None:
        sender, recipient = str(lapsing["sender"]), str(lapsing["recipient"])
        raw = system_mail.expiry_warning(sender, recipient, float(lapsing["expires"]), self._config().organization.name)
        await self._submit(raw)
        ident, _ = self._owner(str(lapsing["id"]))
        self.outcomes.record(
            "portal_expiring",
            message=ident,
            portal_id=str(lapsing["id"]),
            recipients=[recipient],
            detail="unopened; the sender was told",
        )
        await asyncio.to_thread(self.client.mark_warned, str(lapsing["id"]))
