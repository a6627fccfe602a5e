"""One OpenPGP key as Postseal sees it, and the judgement of whether it may be used.

A recipient key is usable only if it can encrypt, is neither expired nor revoked, and is not
weak (RSA/DSA/Elgamal under 2048 bits); `KeyInfo.problem()` says in words what is wrong, so the
plan can tell the sender why a recipient went to the portal instead. (That the key carries a
user id with exactly the recipient's address is `PgpStore.find`'s test, on `emails`.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

# RFC 9580 §9.1 algorithm ids whose strength depends on the key length.
_LENGTH_BOUND_ALGOS = {1: "RSA", 2: "RSA", 3: "RSA", 16: "Elgamal", 17: "DSA"}
_ALGO_NAMES = {**_LENGTH_BOUND_ALGOS, 18: "ECDH", 19: "ECDSA", 22: "EdDSA", 25: "X25519", 27: "Ed25519"}
MIN_KEY_BITS = 2048


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    emails: tuple[str, ...]
    uids: tuple[str, ...]
    algorithm: str
    length: int
    created: int
    expires: int  # 0 = never
    revoked: bool
    secret: bool
    can_encrypt: bool

    @classmethod
    def from_gpg(cls, raw: dict, secret: bool) -> KeyInfo:
        """A key as python-gnupg lists it (gpg's --with-colons fields)."""
        algo = int(raw.get("algo") or 0)
        uids = tuple(raw.get("uids", ()))
        cap = raw.get("cap", "")
        return cls(
            fingerprint=raw["fingerprint"],
            emails=tuple(e for e in (email_of_uid(u) for u in uids) if e),
            uids=uids,
            algorithm=_ALGO_NAMES.get(algo, f"algo {algo}"),
            length=int(raw.get("length") or 0),
            created=int(raw.get("date") or 0),
            expires=int(raw.get("expires") or 0),
            # gpg's validity field: r = revoked, e = expired (for the key as a whole)
            revoked=raw.get("trust") == "r",
            secret=secret,
            # Capital letters in the cap field are the capabilities of the whole key,
            # counting only subkeys that are valid now (gpg doc/DETAILS, field 12).
            can_encrypt="E" in cap,
        )

    def problem(self, now: float | None = None) -> str:
        """Why this key must not be used, or "" when it may."""
        now = time.time() if now is None else now
        if self.revoked:
            return f"key {self.fingerprint[-16:]} is revoked"
        if self.expires and self.expires <= now:
            day = time.strftime("%Y-%m-%d", time.gmtime(self.expires))
            return f"key {self.fingerprint[-16:]} expired on {day}"
        if self.algorithm in _LENGTH_BOUND_ALGOS.values() and self.length < MIN_KEY_BITS:
            return f"key {self.fingerprint[-16:]} is weak ({self.algorithm} {self.length} bits)"
        if not self.can_encrypt:
            return f"key {self.fingerprint[-16:]} has no usable encryption subkey"
        return ""

    def to_json(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "emails": list(self.emails),
            "uids": list(self.uids),
            "algorithm": self.algorithm,
            "length": self.length,
            "created": self.created,
            "expires": self.expires,
            "revoked": self.revoked,
            "secret": self.secret,
            "usable": not self.problem(),
            "problem": self.problem(),
        }


def email_of_uid(uid: str) -> str:
    """The address in a GnuPG user id: "Name (comment) <addr>" or a bare "addr".

    Not `email.utils.parseaddr`: user ids are not RFC 5322 headers, and Pythons with the
    CVE-2023-27043 fix return nothing for "addr <addr>", which gpg itself writes."""
    uid = uid.strip()
    if uid.endswith(">") and "<" in uid:
        uid = uid[uid.rindex("<") + 1 : -1]
    uid = uid.strip().lower()
    return uid if uid.count("@") == 1 and " " not in uid else ""
