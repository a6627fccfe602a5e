"""S/MIME (RFC 8551): signed with the sender's certificate, then enveloped for the recipient.

The content is the message's MIME entity with its protected headers (the same convention as
the OpenPGP copies: the real Subject inside, "..." outside). When the sender has an S/MIME
identity the entity is first signed (multipart/signed, detached SHA-256 signature, the
signer's chain included); the result is enveloped with AES-256-CBC for the recipient's
certificate and the sender's own (so the Sent copy stays readable to them). AES-256-GCM
(AuthEnvelopedData, RFC 5083) is not offered by `cryptography`, which also encrypts to RSA
recipients only (cert_check.py turns other certificates away before planning).

One copy per recipient: each is encrypted to one recipient's certificate.

A secure reply from the portal (entity.PORTAL_REPLY) is enveloped for the clinician and not
signed: its words are the recipient's, and a signature with the clinician's own key would
tell their mail program that the clinician wrote them. What vouches for it is said in its
text (the portal verified the recipient's address with a code, and the reply opened with the
message's own key, which only the link held) and in the audit log.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from agent.keys.cert_check import fingerprint
from agent.keys.smime_store import SmimeStore
from agent.model import Method, ProtectedCopy, RecipientPlan
from agent.protect import ProtectError
from agent.protect.entity import PORTAL_REPLY, as_accepted, inner_entity, outer_headers


def sign(entity: bytes, identity) -> bytes:
    builder = pkcs7.PKCS7SignatureBuilder().set_data(entity).add_signer(identity.cert, identity.key, hashes.SHA256())
    for cert in identity.chain:
        builder = builder.add_certificate(cert)
    # Binary: the entity is already canonical CRLF MIME; nothing may be rewritten in it.
    signed = builder.sign(
        serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    )
    # RFC 8551 §3.5.3 names application/pkcs7-signature; cryptography writes the legacy x- type.
    # Only the outer header and the signature part's header change: the signature covers the
    # first part alone, so it still verifies.
    head, sep, rest = signed.partition(b"\r\n\r\n")
    body, marker, tail = rest.rpartition(b"application/x-pkcs7-signature")
    return (
        head.replace(b"application/x-pkcs7-signature", b"application/pkcs7-signature")
        + sep
        + (body + b"application/pkcs7-signature" + tail if marker else rest)
    )


def envelope(source, content: bytes, recipients: list) -> bytes:
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(content).set_content_encryption_algorithm(algorithms.AES256)
    for cert in recipients:
        builder = builder.add_recipient(cert)
    der = builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    lines = outer_headers(source)
    lines += [
        "MIME-Version: 1.0",
        'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        'Content-Disposition: attachment; filename="smime.p7m"',
        "Content-Transfer-Encoding: base64",
        "",
    ]
    head = "\r\n".join(line.replace("\r\n", "\n").replace("\n", "\r\n") for line in lines)
    body = base64.encodebytes(der).replace(b"\n", b"\r\n")
    return head.encode("ascii", "surrogateescape") + b"\r\n" + body


class SmimeProtector:
    method = Method.SMIME

    def __init__(self, store: SmimeStore) -> None:
        self.store = store

    def protect(self, message: EmailMessage, sender: str, recipients: list[RecipientPlan]) -> list[ProtectedCopy]:
        source = as_accepted(message)
        entity = inner_entity(source)
        identity = None if source.get(PORTAL_REPLY) else self.store.identity(sender)
        content = sign(entity, identity) if identity else entity
        own = [identity.cert] if identity and isinstance(identity.cert.public_key(), rsa.RSAPublicKey) else []
        copies = []
        for plan in recipients:
            # Judged again now: a certificate may have expired or been revoked since planning.
            chosen, problems = self.store.find(plan.address)
            if chosen is None:
                raise ProtectError(f"{plan.address}: no usable S/MIME certificate ({'; '.join(problems) or 'removed'})")
            try:
                # Once per certificate: a reply to the clinician is already for their own.
                data = envelope(
                    source, content, [chosen.cert, *(c for c in own if fingerprint(c) != chosen.fingerprint)]
                )
            except (ValueError, TypeError) as exc:
                raise ProtectError(f"{plan.address}: S/MIME encryption failed ({exc})") from None
            copies.append(ProtectedCopy(Method.SMIME, (plan.address,), data, chosen.fingerprint))
        return copies
