"""Verdict stamps: the agent's signed word that it checked a message a client sends itself.

When every recipient of a draft is internal or verified-TLS-only, the Outlook add-in lets
Outlook send it and adds the stamp as the internet header `X-Postseal-Verdict`. An
organization's mail gateway can then reject external mail without a valid stamp, so a
client without the add-in (or with it disabled) cannot send around the agent.

    X-Postseal-Verdict: v1.<base64url(payload JSON)>.<base64url(Ed25519 signature)>

The payload names the verdict, the time, the signing key and — salted with the verdict id,
so the header does not reveal them — digests of the sender, the subject and each
recipient. A stamp is valid for 24 hours, and only on a message from the same sender with
the same subject whose every recipient was among those checked: a stamp copied onto
another message (other recipients or subject) does not verify. A gateway that sees one
domain's share of the recipients still verifies (subset), which is why recipients are
digested one by one rather than as a set.

What a stamp does not bind: the body. Mail systems rewrite bodies on the way (disclaimers,
transfer encodings), so a body digest would fail honest mail. The agent's audit log records
every stamp it issues (verdict id, recipients, subject digest), and `verify` reports how
often a stamp has been seen, so a reused stamp is visible to an auditor.

The key is Ed25519 (`cryptography`), its seed kept like the agent's other secrets (OS
keyring, else a 0600 file). Its public half is published by `GET /v1/stamps/key` for
gateways that verify stamps themselves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from email import policy as email_policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from agent import secret_store

HEADER = "X-Postseal-Verdict"
LIFETIME = 24 * 3600
CLOCK_SKEW = 300
MAX_LENGTH = 16_384  # a header longer than this is not ours
# RFC 5322 §2.1.1: a line MUST be at most 998 characters. A stamp is one token that mail
# clients do not fold, so one a client would send must fit on its header line; the agent
# folds the stamps it sends itself (verify ignores whitespace).
CLIENT_LIMIT = 998 - len(HEADER) - 2 - 60
FOLD_AT = 76
RENEW_AFTER = 12 * 3600  # a stored copy's stamp is renewed before a retry when older than this


class BadStamp(ValueError):
    """The stamp is missing, malformed, signed by another key, expired, or for another message."""


@dataclass(frozen=True)
class Checked:
    verdict: str
    issued: float
    key_id: str
    seen_before: int  # earlier successful verifications of this verdict by this agent


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _norm(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


def _digest(verdict: str, value: str) -> str:
    return hashlib.sha256(f"{verdict}\0{_norm(value)}".encode()).hexdigest()[:32]


def _recipient_digest(verdict: str, value: str) -> str:
    # 64 bits each: a forger who adds a recipient must find, within the stamp's 24 hours,
    # an address whose verdict-salted digest equals one of the checked ones (~2^64 / n tries),
    # and the stamp stays on one header line for a few dozen recipients.
    return _digest(verdict, value)[:16]


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


class Stamper:
    def __init__(self, home: Path) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(secret_store.get_or_create(home, "stamp-key"))
        self.public = self._key.public_key()
        self.key_id = key_id(self.public)
        self._seen: dict[str, int] = {}

    def public_pem(self) -> str:
        return self.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

    def issue(self, sender: str, recipients: list[str], subject: str, now: float | None = None) -> tuple[str, str]:
        """(verdict id, header value) for a message the agent allows the client to send."""
        verdict = secrets.token_hex(12)
        payload = {
            "v": verdict,
            "t": int(now if now is not None else time.time()),
            "k": self.key_id,
            "s": _digest(verdict, sender),
            "j": _digest(verdict, subject),
            "r": sorted({_recipient_digest(verdict, r) for r in recipients}),
        }
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return verdict, f"v1.{body}.{_b64(self._key.sign(f'v1.{body}'.encode()))}"

    def stamp_copy(self, data: bytes, recipients: list[str]) -> tuple[str, bytes]:
        """(verdict id, the copy with a stamp) for a copy the agent delivers itself.

        The organization's gateway rule rejects external mail without a valid stamp; the
        agent's own protected copies (PGP, portal notices, verified TLS) pass it like the
        mail clients' do. Bound to what the gateway sees on this copy: its From, its
        Subject (the PGP copy's placeholder, not the hidden one) and its envelope recipients.
        The stamped copy is what the outbox stores, so a resend after a crash is byte for
        byte the first send; `fresh` renews a stamp that would lapse before a late retry."""
        headers = BytesHeaderParser(policy=email_policy.default).parsebytes(data)
        sender = parseaddr(str(headers.get("From", "")))[1]
        verdict, value = self.issue(sender, recipients, str(headers.get("Subject", "")))
        newline = b"\r\n" if data.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
        # A stamp already on the copy (a client's, carried over) would not fit this copy.
        if HEADER.lower().encode() + b":" in data.split(newline + newline, 1)[0].lower():
            data = _without_header(data, newline)
        # Folded only when one line cannot hold it: a gateway rule that matches the header's
        # shape sees it whole on one line (addins/outlook/README.md, the mail flow rule).
        step = FOLD_AT if len(value) > CLIENT_LIMIT else len(value)
        folded = (newline + b" ").join(value[i : i + step].encode() for i in range(0, len(value), step))
        return verdict, f"{HEADER}: ".encode() + folded + newline + data

    def fresh(self, data: bytes, recipients: list[str], now: float | None = None) -> tuple[str, bytes]:
        """The copy as stored if its stamp has more than RENEW_AFTER to live, else restamped."""
        found = stamp_of(data)
        now = time.time() if now is None else now
        if found and now - found[1] < RENEW_AFTER:
            return found[0], data
        return self.stamp_copy(data, recipients)

    def verify(self, value: str, sender: str, recipients: list[str], subject: str, now: float | None = None) -> Checked:
        checked = verify(value, self.public, sender, recipients, subject, now)
        seen = self._seen.get(checked.verdict, 0)
        self._seen[checked.verdict] = seen + 1
        return Checked(checked.verdict, checked.issued, checked.key_id, seen)


def stamp_of(data: bytes) -> tuple[str, float] | None:
    """(verdict id, issue time) of the stamp on a copy the agent made; None if it has none.
    Not a verification: only for copies from the agent's own outbox."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = re.search(rb"(?im)^" + HEADER.encode() + rb":((?:.*)(?:\r?\n[ \t].*)*)", head)
    if not found:
        return None
    parts = "".join(found.group(1).decode("ascii", "replace").split()).split(".")
    try:
        payload = json.loads(_unb64(parts[1]))
        return str(payload["v"]), float(payload["t"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def _without_header(data: bytes, newline: bytes) -> bytes:
    head, sep, body = data.partition(newline + newline)
    lines, skipping = [], False
    for line in head.split(newline):
        if line[:1] in (b" ", b"\t") and skipping:
            continue  # a folded continuation of the removed header
        skipping = line.lower().startswith(HEADER.lower().encode() + b":")
        if not skipping:
            lines.append(line)
    return newline.join(lines) + sep + body


def verify(
    value: str, public: Ed25519PublicKey, sender: str, recipients: list[str], subject: str, now: float | None = None
) -> Checked:
    """Raise BadStamp (with the reason) unless `value` is a valid stamp for this message."""
    value = "".join(value.split())  # headers may be folded
    if not value:
        raise BadStamp(f"no {HEADER} header")
    if len(value) > MAX_LENGTH:
        raise BadStamp(f"{HEADER} is {len(value)} characters long; not a Postseal stamp")
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != "v1":
        raise BadStamp(f"{HEADER} is not a v1 stamp (expected v1.<payload>.<signature>)")
    try:
        signature, raw = _unb64(parts[2]), _unb64(parts[1])
    except ValueError:
        raise BadStamp(f"{HEADER} is not valid base64url") from None
    try:
        public.verify(signature, f"v1.{parts[1]}".encode())
    except InvalidSignature:
        raise BadStamp(
            "the stamp's signature does not verify with this agent's key (forged, altered, or issued by another agent)"
        ) from None
    try:
        payload = json.loads(raw)
        verdict, issued, kid = str(payload["v"]), float(payload["t"]), str(payload["k"])
        digests = {"s": str(payload["s"]), "j": str(payload["j"])}
        checked = {str(r) for r in payload["r"]}
    except (ValueError, KeyError, TypeError):
        raise BadStamp("the stamp's payload is malformed") from None
    now = time.time() if now is None else now
    if issued > now + CLOCK_SKEW:
        raise BadStamp("the stamp was issued in the future (clock wrong?)")
    if now - issued > LIFETIME:
        raise BadStamp(f"the stamp expired: issued {int((now - issued) // 3600)} hours ago, valid for 24")
    if not hmac.compare_digest(digests["s"], _digest(verdict, sender)):
        raise BadStamp("the stamp was issued for another sender")
    if not hmac.compare_digest(digests["j"], _digest(verdict, subject)):
        raise BadStamp("the stamp was issued for a message with another subject")
    if not recipients:
        raise BadStamp("the message has no recipients to check the stamp against")
    others = [r for r in recipients if _recipient_digest(verdict, r) not in checked]
    if others:
        raise BadStamp(f"the stamp was not issued for {len(others)} of the recipients ({', '.join(others[:3])})")
    return Checked(verdict, issued, kid, 0)
