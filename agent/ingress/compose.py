"""The one question every mail-client door asks: may this draft leave as it is?

The Outlook add-in and the Gmail extension (through the native host) cannot hand over an
RFC 822 message — a message being composed is not one yet — so they send the draft as
JSON (addins/PROTOCOL.md). This module turns it into a message and answers with one of:

- ``allow``: every recipient is internal or verified-TLS-only and policy neither holds nor
  blocks; the client sends the message itself, with a signed stamp (agent/stamp.py).
- ``sent``: a recipient needs S/MIME, OpenPGP or the portal; the agent accepted the whole
  message into its outbox and the client must not send its own copy.
- ``held``: policy holds it for review; it waits in the outbox, held, with the reason.
- ``blocked``: policy blocks it, or the draft is unusable; nothing is stored.

Fail closed: an attachment the client could not read (a cloud link, a read error) means the
agent cannot vouch for the message, so it is blocked with what to do instead — never
allowed unread, never sent by the agent without it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from agent import plain_words
from agent import stamp as stamp_mod
from agent.intake import BadMessage, valid_address
from agent.model import Action, Method
from agent.policy.normalize import html_to_text
from agent.service.agent import Agent
from agent.service.errors import Blocked

MAX_ATTACHMENT = 25 * 1024 * 1024
MAX_DRAFT = 35 * 1024 * 1024  # Exchange Online's default message size limit
LETS_CLIENT_SEND = {Method.INTERNAL, Method.TLS}
ALLOWED = "every recipient is inside your organization or reached over a verified encrypted connection"
_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
_CLIENT = re.compile(r"[A-Za-z0-9._-]{1,40}")


class BadDraft(ValueError):
    """The draft cannot be made into a message; the text says what and where. `status` is
    the HTTP answer (415 when the body is not sent as JSON at all)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    decision: str  # allow | sent | held | blocked
    message: str
    plan: dict[str, Any] | None = None
    id: str = ""
    stamp: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"decision": self.decision, "message": self.message}
        if self.plan is not None:
            out["plan"] = self.plan
            # What was found, in words (plain_words.FINDINGS): the add-ins show these, never
            # the detector names in plan.verdict.finding_counts.
            out["found"] = plain_words.found(self.plan.get("verdict", {}).get("finding_counts", {}))
        if self.id:
            out["id"] = self.id
        if self.stamp:
            out["stamp"] = self.stamp
        return out


@dataclass(frozen=True)
class Draft:
    client: str
    sender: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    body_type: str
    body: str
    attachments: list[tuple[str, str, bytes]]  # name, content type, bytes
    unavailable: list[tuple[str, str]]  # name, why the client could not read it
    draft_id: str

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


def _text(value: str, field: str, one_line: bool = True) -> str:
    """Text that can become a header or a body: valid Unicode (JSON's "\\ud800" is not), and
    for a header one line — a CR or LF would start a header of the sender's choosing
    (header injection: a hidden Bcc, a forged stamp)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadDraft(f"draft.{field}: not valid text (it holds a lone UTF-16 surrogate)") from None
    if one_line and any(c in value for c in "\r\n\0"):
        raise BadDraft(f"draft.{field}: must be one line (it holds a line break)")
    return value


def _addresses(data: dict[str, Any], field: str) -> list[str]:
    value = data.get(field, [])
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise BadDraft(f"draft.{field}: expected a list of addresses")
    out = [a.strip() for a in value if a.strip()]
    bad = [a for a in out if not valid_address(a)]
    if bad:
        raise BadDraft(f"draft.{field}: {bad[0]!r} is not an email address")
    return out


def parse_draft(data: Any) -> Draft:
    """Validate the JSON of addins/PROTOCOL.md; BadDraft names the field."""
    if not isinstance(data, dict):
        raise BadDraft("the draft must be a JSON object")
    sender = data.get("from", "")
    if not isinstance(sender, str) or not valid_address(sender.strip()):
        raise BadDraft(f"draft.from: {sender!r} is not an email address")
    to, cc, bcc = (_addresses(data, f) for f in ("to", "cc", "bcc"))
    if not (to or cc or bcc):
        raise BadDraft("the draft has no recipients (to, cc and bcc are empty)")
    subject = data.get("subject", "")
    if not isinstance(subject, str):
        raise BadDraft("draft.subject: expected text")
    _text(subject, "subject")
    body = data.get("body", {"type": "text", "content": ""})
    if (
        not isinstance(body, dict)
        or body.get("type", "text") not in ("html", "text")
        or not isinstance(body.get("content", ""), str)
    ):
        raise BadDraft('draft.body: expected {"type": "html" | "text", "content": "..."}')
    _text(body.get("content", ""), "body.content", one_line=False)
    attachments: list[tuple[str, str, bytes]] = []
    unavailable: list[tuple[str, str]] = []
    total = len(body.get("content", "").encode())
    items = data.get("attachments", [])
    if not isinstance(items, list):
        raise BadDraft("draft.attachments: expected a list")
    for number, item in enumerate(items):
        where = f"draft.attachments[{number}]"
        if not isinstance(item, dict) or not isinstance(item.get("name", ""), str):
            raise BadDraft(f"{where}: expected an object with a name")
        name = _text(item.get("name") or f"attachment-{number + 1}", f"attachments[{number}].name")
        if "unavailable" in item:
            unavailable.append((name, _text(str(item["unavailable"])[:200], f"attachments[{number}].unavailable")))
            continue
        encoded = item.get("content_base64")
        if not isinstance(encoded, str):
            raise BadDraft(f"{where} ({name}): content_base64 is missing (send 'unavailable' with a reason instead)")
        if len(encoded) * 3 // 4 > MAX_ATTACHMENT + 3:
            raise BadDraft(f"{where} ({name}) is larger than {MAX_ATTACHMENT // 2**20} MB")
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise BadDraft(f"{where} ({name}): content_base64 is not valid base64") from None
        total += len(content)
        if total > MAX_DRAFT:
            raise BadDraft(
                f"the draft is larger than {MAX_DRAFT // 2**20} MB with {name}; "
                "send large files through your organization's file sharing"
            )
        ctype = item.get("content_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
        if not isinstance(ctype, str) or not _MIME_TYPE.fullmatch(ctype):
            raise BadDraft(f"{where} ({name}): content_type {ctype!r} is not a MIME type")
        attachments.append((name, ctype, content))
    client = data.get("client", "client")
    # It names the Message-ID and the X-Postseal-Client header: a plain token, nothing else.
    if not isinstance(client, str) or not _CLIENT.fullmatch(client):
        raise BadDraft(f"draft.client: {str(client)[:40]!r} is not a client name (letters, digits, '.', '_', '-')")
    draft_id = _text(str(data.get("draft_id", ""))[:200], "draft_id")
    return Draft(
        client,
        sender.strip(),
        to,
        cc,
        bcc,
        subject,
        body.get("type", "text"),
        body.get("content", ""),
        attachments,
        unavailable,
        draft_id,
    )


def build_message(draft: Draft) -> bytes:
    """An RFC 822 message of the draft. Its Message-ID is derived from the content, so a
    client that asks again after losing the answer gets the same outbox entry, not a
    second delivery."""
    message = EmailMessage()
    message["From"] = draft.sender
    for header, addresses in (("To", draft.to), ("Cc", draft.cc), ("Bcc", draft.bcc)):
        if addresses:
            message[header] = ", ".join(addresses)
    message["Subject"] = draft.subject
    message["Date"] = formatdate(localtime=True)
    fingerprint = hashlib.sha256(
        json.dumps(
            [
                draft.client,
                draft.draft_id,
                draft.sender,
                draft.recipients,
                draft.subject,
                draft.body,
                [(n, t, hashlib.sha256(c).hexdigest()) for n, t, c in draft.attachments],
            ]
        ).encode()
    ).hexdigest()[:32]
    message["Message-ID"] = f"<postseal-{draft.client}-{fingerprint}@{draft.sender.rsplit('@', 1)[1]}>"
    message["X-Postseal-Client"] = draft.client
    if draft.body_type == "html":
        message.set_content(html_to_text(draft.body))
        message.add_alternative(draft.body, subtype="html")
    else:
        message.set_content(draft.body)
    for name, ctype, content in draft.attachments:
        maintype, subtype = ctype.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    # Boundaries from the fingerprint, not at random: asking again builds the same bytes,
    # which is how the outbox knows it is the same message (intake.content_digest).
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_postseal_{fingerprint}_{number}")
    return message.as_bytes()


def _unreadable(draft: Draft) -> Answer:
    names = ", ".join(f"'{n}' ({why})" for n, why in draft.unavailable[:3])
    return Answer(
        "blocked",
        f"Postseal could not read the attachment {names}, so it cannot check this "
        "message. Attach the file from your computer instead, then press Send again.",
    )


async def decide(agent: Agent, data: Any, store: bool = True) -> Answer:
    """The answer for a draft. With store=False (the task pane's preview) nothing is kept,
    queued or stamped: the answer says what Send would do."""
    draft = parse_draft(data)
    if draft.unavailable:
        return _unreadable(draft)
    raw = build_message(draft)
    try:
        planned = await asyncio.to_thread(agent.plan, raw)
    except BadMessage as exc:
        raise BadDraft(str(exc)) from None
    plan = planned[1]
    verdict = plan.verdict
    plan_json = plan.to_json()
    if verdict.action is Action.BLOCK:
        if store:
            try:
                await agent.submit(raw, planned=planned)  # records the block in the audit
            except Blocked:
                pass
        return Answer("blocked", plain_words.policy_reason(verdict.reason, verdict.rule, blocks=True), plan_json)
    methods = {r.method for r in plan.recipients}
    # So many recipients that the stamp would not fit on one header line: the client cannot
    # send it with a stamp the gateway accepts, so the agent sends it (and folds its stamp).
    # Issued once: the stamp measured is the stamp given (recorded only if the client gets it).
    verdict_id, stamp = agent.issue_stamp(draft.sender, draft.recipients, draft.subject)
    stamp_fits = len(stamp) <= stamp_mod.CLIENT_LIMIT
    if verdict.action is not Action.HOLD and methods <= LETS_CLIENT_SEND and not stamp_fits:
        if not store:
            return Answer(
                "sent",
                "Postseal will send it itself (too many recipients for your mail program to carry its approval).",
                plan_json,
            )
        accepted = await agent.submit(raw, planned=planned)
        return Answer(
            "sent",
            "Postseal is sending this message itself (too many recipients for your mail "
            "program to carry its approval); your mail program does not send its own copy. "
            "You can close this draft.",
            plan_json,
            id=accepted.id,
        )
    if verdict.action is not Action.HOLD and methods <= LETS_CLIENT_SEND:
        if not store:
            return Answer("allow", f"Your mail program sends it: {ALLOWED}.", plan_json)
        agent.record_stamp(verdict_id, draft.sender, draft.recipients, draft.client, plan)
        return Answer("allow", f"Checked by Postseal: {ALLOWED}.", plan_json, stamp=stamp)
    if verdict.action is Action.HOLD:
        reason = _hold_reason(agent, verdict.reason, verdict.rule).rstrip(". ")
        # A set-up hold cannot be released until IT has mended the set-up (Agent._may_release).
        who = (
            "your IT team has fixed this and it is released"
            if verdict.rule == "setup"
            else "your privacy officer releases it"
        )
        message = f"Held for review: {reason}. Postseal keeps it until {who}; you can close this draft."
        if not store:
            return Answer("held", f"Held for review: {reason}.", plan_json)
        accepted = await agent.submit(raw, planned=planned)
        return Answer("held", message, plan_json, id=accepted.id)
    how = plain_words.protected(r.method for r in plan.recipients)
    if not store:
        return Answer("sent", f"Postseal will send it protected: {how}.", plan_json)
    accepted = await agent.submit(raw, planned=planned)
    return Answer(
        "sent",
        f"Postseal is sending this message itself, {how}; your mail program does not send "
        "its own copy. You can close this draft.",
        plan_json,
        id=accepted.id,
    )


def _hold_reason(agent: Agent, reason: str, rule: str) -> str:
    """Why a message is held, for the sender: a policy rule's own words, or — when the set-up
    holds it (readiness.py) — the problem's words for a clinician, not IT's."""
    if rule == "setup":
        return next(
            (p.says for p in agent.problems if p.message == reason and p.says),
            "Postseal's set-up is not finished, so this message waits until IT completes it",
        )
    return plain_words.policy_reason(reason, rule)
