"""A recipient answering a secure portal message, as the portal page does it (over HTTP): the
link's key from the notice, a one-time code mailed to them, a session, and the reply sealed
under the message's key (AES-256-GCM, bound to the reply's id). Shared by the reply tests of
the agent and of the tray."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agent.demo_world import SmtpSink
from agent.protect.portal import b64url_decode

PATIENT = "maria.gonzalez@mailbox.example"  # the recipient of assets/samples/03-patient-followup.eml
ORIGINAL_ID = "<20261124112000.followup@valleyclinic.example>"  # its Message-ID
ORIGINAL_SUBJECT = "Your visit on November 23"


@dataclass(frozen=True)
class SentReply:
    text: str
    filename: str
    content_type: str
    data: bytes


Inbox = Callable[[str], list[EmailMessage]]  # an address → the mail it received so far, oldest first


def sink_inbox(sink: SmtpSink) -> Inbox:
    """What reached an address through the relay (the SMTP sink)."""
    return lambda address: [r.message for r in sink.received if r.recipients == (address,)]


def provider_inbox(delivered: list[dict]) -> Inbox:
    """What a fake provider (tests/accounts) delivered for the signed-in sender."""
    return lambda address: [
        message_from_bytes(d["mime"], policy=policy.default) for d in delivered if d["recipients"] == [address]
    ]


def reply_through_portal(
    inbox: Inbox | SmtpSink, text: str, filename: str, data: bytes, content_type: str = "image/jpeg"
) -> SentReply:
    mail = sink_inbox(inbox) if isinstance(inbox, SmtpSink) else inbox
    notice = mail(PATIENT)[0]
    link = re.search(r"(http://\S+/m/\S+#\S+)", notice.get_body(("plain",)).get_content()).group(1)
    base, rest = link.split("/m/")
    ident, key_text = rest.split("#")
    key = b64url_decode(key_text)
    api = f"{base}/api/v1/messages/{ident}"
    browser = requests.Session()
    before = len(mail(PATIENT))
    assert browser.post(f"{api}/code", json={}, timeout=10).status_code == 202
    code_mail = wait_until(lambda: mail(PATIENT)[before:], "no code e-mail reached the recipient")[0]
    code = re.search(r"Your code is (\d{6})", code_mail.get_body(("plain",)).get_content()).group(1)
    assert browser.post(f"{api}/session", json={"code": code}, timeout=10).status_code == 200
    reply_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
    document = {
        "format": "postseal-portal-reply-v1",
        "text": text,
        "attachments": [{"filename": filename, "content_type": content_type, "data": base64.b64encode(data).decode()}],
    }
    nonce = secrets.token_bytes(12)
    sealed = nonce + AESGCM(key).encrypt(nonce, json.dumps(document).encode(), f"{ident}/reply/{reply_id}".encode())
    assert browser.put(f"{api}/replies/{reply_id}", data=sealed, timeout=10).status_code == 201
    return SentReply(text, filename, content_type, data)


def wait_until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return found
