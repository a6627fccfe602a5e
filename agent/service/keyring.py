"""The Agent's keys (one room of the service, mixed into `Agent` as Proton Bridge splits its
service by concern): OpenPGP keys and S/MIME certificates listed, imported, exported and
deleted; the user's own OpenPGP key generated and renewed.

The methods block (gpg runs a process, the S/MIME store reads files): an async caller runs them
in a thread. Errors a caller tells apart: UnknownKey and OwnKey (service/errors.py), and the
key stores' own (NeedsPassphrase, NotYourKey, RevokedKey, PgpError, SmimeError), whose words
say what went wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.keys.importer import Imported, import_any
from agent.keys.pgp_store import KeyInfo, PgpError, PgpStore
from agent.keys.smime_store import CertInfo, SmimeStore
from agent.service.errors import OwnKey, UnknownKey


@dataclass(frozen=True)
class KeyListing:
    pgp: tuple[KeyInfo, ...]
    certificates: tuple[CertInfo, ...]

    def to_json(self) -> list[dict[str, Any]]:
        return [{"type": "pgp", **k.to_json()} for k in self.pgp] + [c.to_json() for c in self.certificates]


class KeyMethods:
    pgp: PgpStore  # set by the class this is mixed into
    smime: SmimeStore

    def list_keys(self) -> KeyListing:
        return KeyListing(tuple(self.pgp.list_keys()), tuple(self.smime.list()))

    def import_key(self, data: bytes, password: bytes | None = None) -> Imported:
        """An OpenPGP key, an X.509 certificate, a PKCS#12 identity (with its password), or a
        received signed message to harvest certificates from."""
        return import_any(data, self.pgp, self.smime, password)

    def delete_key(self, fingerprint: str) -> None:
        """A partner's key (40 hex digits) or certificate (64: SHA-256). Raises UnknownKey, or
        OwnKey for a key whose secret part the user holds."""
        fingerprint = fingerprint.upper()
        if len(fingerprint) == 64:
            if not self.smime.delete(fingerprint):
                raise UnknownKey(f"no certificate {fingerprint[:16]}…")
            return
        try:
            self.pgp.delete_public(fingerprint)
        except PgpError as exc:
            # The store refuses a key with a secret part in these words (keys/pgp_store.py).
            raise (OwnKey if "secret key" in str(exc) else UnknownKey)(str(exc)) from None

    def renew_key(self, fingerprint: str) -> int:
        """Two more years for the user's own OpenPGP key (and its subkeys), from today: the new
        expiry (epoch seconds). Raises NotYourKey, RevokedKey, PgpError."""
        return self.pgp.renew(fingerprint.upper())

    def generate_key(self, email: str, name: str) -> str:
        """A new key of the user's for `email`: its fingerprint. Raises PgpError."""
        return self.pgp.generate(email, name)

    def public_key(self, who: str) -> str:
        """The public key of an address or fingerprint, armored; a certificate (by its 64-digit
        fingerprint) as PEM. Raises UnknownKey."""
        if len(who) == 64:
            pem = self.smime.pem(who.upper())
            if pem is None:
                raise UnknownKey(f"no certificate {who.upper()[:16]}…")
            return pem
        try:
            return self.pgp.export_public(who)
        except PgpError as exc:
            raise UnknownKey(str(exc)) from None
