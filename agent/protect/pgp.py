"""PGP/MIME (RFC 3156) with protected headers: one encrypted copy per recipient.

The copy is signed with the sender's own key (when they have one) and encrypted to the
recipient's key and to the sender's own key, so the sender can still read what was sent and
the recipient can tell who sent it. The real Subject travels inside the encrypted part (the
"protected headers" convention of draft-autocrypt-lamps-protected-headers); the outer Subject
is "...", because a subject such as "Lab results for J. Doe" is PHI too.
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage, Message

from agent.keys.pgp_store import PgpError, PgpStore
from agent.model import Method, ProtectedCopy, RecipientPlan
from agent.protect import ProtectError
from agent.protect.entity import as_accepted, inner_entity, outer_headers


def pgp_mime(source: Message, armored: bytes) -> bytes:
    """The RFC 3156 §4 envelope. Its shape never varies, so it is written out directly;
    only the addressing headers of the original are copied, verbatim."""
    boundary = f"postseal-{uuid.uuid4().hex}"
    lines = outer_headers(source)
    lines += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\r\n boundary="{boundary}"',
        "",
        "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)",
        f"--{boundary}",
        "Content-Type: application/pgp-encrypted",
        "Content-Description: PGP/MIME version identification",
        "",
        "Version: 1",
        "",
        f"--{boundary}",
        'Content-Type: application/octet-stream; name="encrypted.asc"',
        "Content-Description: OpenPGP encrypted message",
        'Content-Disposition: inline; filename="encrypted.asc"',
        "",
    ]
    head = "\r\n".join(line.replace("\r\n", "\n").replace("\n", "\r\n") for line in lines)
    armor = armored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").rstrip(b"\r\n")
    return head.encode("ascii", "surrogateescape") + b"\r\n" + armor + f"\r\n\r\n--{boundary}--\r\n".encode()


class PgpProtector:
    method = Method.PGP

    def __init__(self, store: PgpStore) -> None:
        self.store = store

    def protect(self, message: EmailMessage, sender: str, recipients: list[RecipientPlan]) -> list[ProtectedCopy]:
        source = as_accepted(message)
        entity = inner_entity(source)
        own, _ = self.store.find(sender)
        signer, _ = self.store.find(sender, secret=True)  # signed by the sender's own key when there is one
        copies = []
        for plan in recipients:
            # Judge the key again at protect time: it may have expired since planning.
            key, problems = self.store.find(plan.address)
            if key is None:
                raise ProtectError(f"{plan.address}: no usable OpenPGP key ({'; '.join(problems) or 'key removed'})")
            fingerprints = [key.fingerprint] + ([own.fingerprint] if own else [])
            try:
                armored = self.store.encrypt(entity, fingerprints, sign=signer.fingerprint if signer else None)
            except PgpError as exc:
                raise ProtectError(f"{plan.address}: {exc}") from None
            copies.append(ProtectedCopy(Method.PGP, (plan.address,), pgp_mime(source, armored), key.fingerprint))
        return copies
