"""The MIME pieces both encryption methods share (pgp.py and smime.py): the entity that gets
encrypted, with the protected headers inside it, and the few addressing headers the outer,
encrypted message keeps. One home, so OpenPGP and S/MIME copies hide the same headers."""

from __future__ import annotations

import copy
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

# A secure reply collected from the portal (agent/portal_sync.py) carries this header into the
# pipeline: routing sends it to the clinician by its own rules, and protection gives it an
# outer subject that says what it is without saying what it is about.
PORTAL_REPLY = "X-Postseal-Portal-Reply"
REPLY_OUTER_SUBJECT = "Secure reply from the patient portal"
PROTECTED = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID")  # travel inside
OUTER = ("From", "To", "Cc", "Reply-To", "Date", "Message-ID", "In-Reply-To", "References")  # stay outside
_CRLF = policy.compat32.clone(linesep="\r\n")


def as_accepted(message: EmailMessage) -> Message:
    """The message as accepted: compat32 keeps every header and body byte exactly (headers still
    RFC 2047 encoded and folded), and parses 3x faster than policy.default."""
    return BytesParser(policy=policy.compat32).parsebytes(message.as_bytes())


def inner_entity(source: Message) -> bytes:
    """The MIME entity that gets encrypted: the content, plus the protected headers."""
    clone = copy.copy(source)
    clone._headers = list(source._headers)  # noqa: SLF001 - header list only, payload shared
    for name in list(clone.keys()):
        if name not in PROTECTED and not name.lower().startswith("content-"):
            del clone[name]
    if "Content-Type" not in clone:
        clone["Content-Type"] = "text/plain; charset=utf-8"
    clone.set_param("protected-headers", "v1")
    return clone.as_bytes(policy=_CRLF)


def outer_headers(source: Message) -> list[str]:
    """The original's addressing headers, verbatim, for the encrypted message's outside; its
    Subject is "..." (a subject such as "Lab results for J. Doe" is PHI too), or for a portal
    reply a fixed sentence, so the clinician's inbox shows what arrived before it is opened."""
    subject = REPLY_OUTER_SUBJECT if source.get(PORTAL_REPLY) else "..."
    return [*(f"{name}: {value}" for name, value in source.items() if name in OUTER), f"Subject: {subject}"]
