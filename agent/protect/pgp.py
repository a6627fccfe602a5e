"""PGP/MIME (RFC 3156) with protected headers: one encrypted copy per recipient.

The copy is encrypted to the recipient's key and to the sender's own key, so the sender can
still read what was sent. The real Subject travels inside the encrypted part (the
"protected headers" convention of draft-autocrypt-lamps-protected-headers); the outer Subject
is "...", because a subject such as "Lab results for J. Doe" is PHI too.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser

from agent.intake import without_bcc
from agent.keys.pgp_store import PgpError, PgpStore
from agent.model import Method, ProtectedCopy, RecipientPlan
from agent.protect import ProtectError

_PROTECTED = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID")
_OUTER = ("From", "To", "Cc", "Reply-To", "Date", "Message-ID", "In-Reply-To", "References")


def inner_entity(message: EmailMessage) -> bytes:
    """The MIME entity that gets encrypted: the content, plus the protected headers."""
    clone = BytesParser(policy=policy.default).parsebytes(without_bcc(message).as_bytes())
    for name in list(clone.keys()):
        if name not in _PROTECTED and not name.lower().startswith("content-"):
            del clone[name]
    if "Content-Type" not in clone:
        clone["Content-Type"] = "text/plain; charset=utf-8"
    clone.set_param("protected-headers", "v1")
    return clone.as_bytes()


def pgp_mime(message: EmailMessage, armored: bytes) -> bytes:
    outer = EmailMessage(policy=policy.SMTP)
    for name in _OUTER:
        for value in message.get_all(name, []):
            outer[name] = value
    outer["Subject"] = "..."
    outer["MIME-Version"] = "1.0"
    outer["Content-Type"] = 'multipart/encrypted; protocol="application/pgp-encrypted"'
    outer.preamble = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)"
    control = MIMEPart(policy=policy.SMTP)
    control["Content-Type"] = "application/pgp-encrypted"
    control["Content-Description"] = "PGP/MIME version identification"
    control.set_payload("Version: 1\r\n")
    body = MIMEPart(policy=policy.SMTP)
    body["Content-Type"] = 'application/octet-stream; name="encrypted.asc"'
    body["Content-Description"] = "OpenPGP encrypted message"
    body["Content-Disposition"] = 'inline; filename="encrypted.asc"'
    body.set_payload(armored.decode("ascii"))
    outer.attach(control)
    outer.attach(body)
    return outer.as_bytes()


class PgpProtector:
    method = Method.PGP

    def __init__(self, store: PgpStore) -> None:
        self.store = store

    def protect(
        self, message: EmailMessage, sender: str, recipients: list[RecipientPlan]
    ) -> list[ProtectedCopy]:
        entity = inner_entity(message)
        own, _ = self.store.find(sender)
        copies = []
        for plan in recipients:
            # Judge the key again at protect time: it may have expired since planning.
            key, problems = self.store.find(plan.address)
            if key is None:
                raise ProtectError(f"{plan.address}: no usable OpenPGP key ({'; '.join(problems) or 'key removed'})")
            fingerprints = [key.fingerprint] + ([own.fingerprint] if own else [])
            try:
                armored = self.store.encrypt(entity, fingerprints)
            except PgpError as exc:
                raise ProtectError(f"{plan.address}: {exc}") from None
            copies.append(
                ProtectedCopy(Method.PGP, (plan.address,), pgp_mime(message, armored), key.fingerprint)
            )
        return copies
