"""One import for every kind of key material a user or a mail program hands over.

OpenPGP keys (armored or binary) go to the OpenPGP keyring; certificates (PEM, DER, PKCS#7)
to the S/MIME store; a PKCS#12 file (with its password) becomes the user's own S/MIME
identity; a received message gives up the certificates of its S/MIME signature. What a
file is comes from its bytes, not its name.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import parseaddr

from agent.keys.pgp_store import PgpError, PgpStore
from agent.keys.smime_store import SmimeError, SmimeStore


@dataclass(frozen=True)
class Imported:
    kind: str  # pgp | smime | identity | message
    fingerprints: tuple[str, ...]


def looks_pgp(data: bytes) -> bool:
    """Whether `import_any` takes these bytes for OpenPGP key material."""
    head = data.lstrip()[:64]
    # Armored, or a binary public-key packet (old/new format tag 6: 0x99, 0x98, 0xc6) or
    # secret-key packet (tag 5: 0x95, 0x94, 0xc5).
    return head.startswith(b"-----BEGIN PGP") or head[:1] in (b"\x99", b"\x98", b"\xc6", b"\x95", b"\x94", b"\xc5")


def _looks_message(data: bytes) -> bool:
    head = data[:4096].lower()
    return b"\nfrom:" in b"\n" + head and (b"content-type:" in head or b"autocrypt:" in head)


def autocrypt_keys(message, pgp: PgpStore) -> list[str]:
    """Keys from Autocrypt headers (Autocrypt Level 1 §2.1), each only if its addr is the
    message's sender (§2.3: otherwise the header is ignored — here, refused out loud)."""
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    out: list[str] = []
    for header in message.get_all("Autocrypt", []):
        attributes = dict(part.strip().partition("=")[::2] for part in "".join(str(header).split()).split(";") if part)
        addr = attributes.get("addr", "").lower()
        if addr != sender:
            raise PgpError(f"the Autocrypt header names {addr or 'no address'}, not the sender {sender}; not imported")
        try:
            keydata = base64.b64decode(attributes.get("keydata", ""), validate=True)
        except ValueError:
            raise PgpError("the Autocrypt header's keydata is not base64") from None
        out += pgp.import_filtered(keydata, addr)
    return out


def import_any(data: bytes, pgp: PgpStore, smime: SmimeStore, password: bytes | None = None) -> Imported:
    if looks_pgp(data):
        # A password given with an OpenPGP secret key is the passphrase it came with.
        return Imported("pgp", tuple(pgp.import_keys(data, password.decode() if password is not None else None)))
    if _looks_message(data):
        message = message_from_bytes(data, policy=policy.default)
        found = [*autocrypt_keys(message, pgp), *smime.harvest(message)]
        if not found:
            raise SmimeError("the message carries no key: neither an Autocrypt header nor an S/MIME signature")
        return Imported("message", tuple(found))
    if password is not None:
        return Imported("identity", (smime.import_identity(data, password),))
    try:
        return Imported("smime", tuple(smime.import_certificates(data)))
    except SmimeError:
        pass
    try:
        return Imported("pgp", tuple(pgp.import_keys(data)))
    except PgpError:
        raise SmimeError(
            "not a key or certificate Postseal knows: expected an OpenPGP key, an X.509 "
            "certificate (.pem/.cer/.p7b), a .p12 with --password-file, or a signed message"
        ) from None
