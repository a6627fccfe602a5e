"""One import for every kind of key material a user or a mail program hands over.

OpenPGP keys (armored or binary) go to the OpenPGP keyring; certificates (PEM, DER, PKCS#7)
to the S/MIME store; a PKCS#12 file (with its password) becomes the user's own S/MIME
identity; a received message gives up the certificates of its S/MIME signature. What a
file is comes from its bytes, not its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy

from agent.keys.pgp_store import PgpError, PgpStore
from agent.keys.smime_store import SmimeError, SmimeStore


@dataclass(frozen=True)
class Imported:
    kind: str  # pgp | smime | identity | message
    fingerprints: tuple[str, ...]


def _looks_pgp(data: bytes) -> bool:
    head = data.lstrip()[:64]
    # Armored, or a binary public-key packet (old/new format tag 6: 0x99, 0x98, 0xc6).
    return head.startswith(b"-----BEGIN PGP") or head[:1] in (b"\x99", b"\x98", b"\xc6")


def _looks_message(data: bytes) -> bool:
    head = data[:4096].lower()
    return b"\nfrom:" in b"\n" + head and (b"content-type:" in head or b"autocrypt:" in head)


def import_any(data: bytes, pgp: PgpStore, smime: SmimeStore, password: bytes | None = None) -> Imported:
    if _looks_pgp(data):
        return Imported("pgp", tuple(pgp.import_keys(data)))
    if _looks_message(data):
        certs = smime.harvest(message_from_bytes(data, policy=policy.default))
        if not certs:
            raise SmimeError("the message carries no S/MIME certificate (is it signed?)")
        return Imported("message", tuple(certs))
    if password is not None:
        return Imported("identity", (smime.import_identity(data, password),))
    try:
        return Imported("smime", tuple(smime.import_certificates(data)))
    except SmimeError:
        pass
    try:
        return Imported("pgp", tuple(pgp.import_keys(data)))
    except PgpError:
        raise SmimeError("not a key or certificate Postseal knows: expected an OpenPGP key, an X.509 "
                         "certificate (.pem/.cer/.p7b), a .p12 with --password-file, or a signed message") from None
