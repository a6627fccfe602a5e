"""S/MIME certificates: recipients' (imported, or harvested from signed mail) and the
user's own identity (certificate and private key, for signing).

Files under `$POSTSEAL_HOME/smime/`: `certs/<sha256>.pem` for every certificate seen
(recipients and the intermediates that came with them: public data), `identity/<sha256>.pem`
with the user's chain and `identity/<sha256>.key`, the private key as encrypted PKCS#8 whose
passphrase is a secret kept in the OS keyring (agent/secret_store/) — a copied data directory
does not carry a usable key.

Imports accept PEM (one or many certificates), DER (.cer/.crt), PKCS#7 bundles (.p7b/.p7c,
PEM or DER), and PKCS#12 (.p12/.pfx, with its password) for the user's own identity; a
signed message's application/pkcs7-signature part gives up its certificates the same way.
Whether a certificate may be used is judged at each use (cert_check.py): dates pass.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from agent import secret_store
from agent.keys.cert_check import CertChecker, addresses_of, fingerprint

log = logging.getLogger(__name__)

MAX_IMPORT = 5 * 1024 * 1024


class SmimeError(ValueError):
    """A certificate or identity could not be used or imported; the text says which and why."""


@dataclass(frozen=True)
class CertInfo:
    fingerprint: str
    emails: tuple[str, ...]
    subject: str
    issuer: str
    algorithm: str
    created: int
    expires: int
    own: bool
    problem: str  # why it is not used now, or ""

    def to_json(self) -> dict:
        """The shape GET /v1/keys uses for OpenPGP keys too, so the tray lists both alike."""
        return {
            "type": "smime",
            "fingerprint": self.fingerprint,
            "emails": list(self.emails),
            "uids": [self.subject],
            "issuer": self.issuer,
            "algorithm": self.algorithm,
            "created": self.created,
            "expires": self.expires,
            "revoked": "revoked" in self.problem,
            "secret": self.own,
            "usable": not self.problem,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Chosen:
    cert: x509.Certificate
    fingerprint: str
    note: str  # what could not be checked (revocation), for the plan


@dataclass(frozen=True)
class Identity:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM, DER or PKCS#7 (PEM or DER) blob; SmimeError if none."""
    attempts = (
        x509.load_pem_x509_certificates,
        pkcs7.load_pem_pkcs7_certificates,
        lambda d: [x509.load_der_x509_certificate(d)],
        pkcs7.load_der_pkcs7_certificates,
    )
    for load in attempts:
        try:
            found = list(load(data))
        except (ValueError, TypeError):
            continue
        if found:
            return found
    raise SmimeError("not a certificate: expected PEM, DER (.cer), or a PKCS#7 bundle (.p7b)")


def certificates_in_message(message: Message) -> list[x509.Certificate]:
    """The certificates a signed message carries (its application/(x-)pkcs7-signature part)."""
    found: list[x509.Certificate] = []
    for part in message.walk():
        if part.get_content_type() in (
            "application/pkcs7-signature",
            "application/x-pkcs7-signature",
            "application/pkcs7-mime",
            "application/x-pkcs7-mime",
        ):
            payload = part.get_payload(decode=True) or b""
            try:
                found += pkcs7.load_der_pkcs7_certificates(payload)
            except ValueError:
                continue
    return found


class SmimeStore:
    def __init__(self, home: Path, trusted_ca_files: list[str] | None = None, use_system_roots: bool = True) -> None:
        self.home = home
        self.folder = home / "smime"
        (self.folder / "certs").mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.folder / "identity").mkdir(parents=True, exist_ok=True, mode=0o700)
        extra: list[x509.Certificate] = []
        for path in trusted_ca_files or []:
            try:
                extra += x509.load_pem_x509_certificates(Path(path).read_bytes())
            except (OSError, ValueError) as exc:
                raise SmimeError(f"smime.trusted_ca_files: {path} cannot be read as PEM certificates ({exc})") from None
        self.checker = CertChecker(extra, use_system_roots)
        self._lock = threading.Lock()
        self._cache: tuple[float, list[x509.Certificate]] | None = None
        self._identity_cache: tuple[float, list[Identity]] | None = None

    # --- recipients' certificates --------------------------------------------------------
    def _all(self) -> list[x509.Certificate]:
        stamp = os.stat(self.folder / "certs").st_mtime_ns
        with self._lock:
            if self._cache and self._cache[0] == stamp:
                return self._cache[1]
        certs = []
        for path in sorted((self.folder / "certs").glob("*.pem")):
            try:
                certs.append(x509.load_pem_x509_certificate(path.read_bytes()))
            except ValueError:
                log.warning("%s is not a certificate; ignored", path)
        with self._lock:
            self._cache = (stamp, certs)
        return certs

    def add(self, certs: list[x509.Certificate]) -> list[str]:
        """Keep certificates (idempotent); the fingerprints of those naming an e-mail address."""
        added = []
        for cert in certs:
            fp = fingerprint(cert)
            path = self.folder / "certs" / f"{fp}.pem"
            if not path.exists():
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
                tmp.replace(path)
            if addresses_of(cert):
                added.append(fp)
        return added

    def import_certificates(self, data: bytes) -> list[str]:
        if len(data) > MAX_IMPORT:
            raise SmimeError(f"the file is {len(data) // 1024} KB; a certificate file is far smaller")
        added = self.add(parse_certificates(data))
        if not added:
            raise SmimeError("the file holds no certificate for an e-mail address (only CA certificates?)")
        return added

    def harvest(self, message: Message) -> list[str]:
        """Certificates from a signed message the user received (kept; judged at use)."""
        certs = certificates_in_message(message)
        return self.add(certs) if certs else []

    def find(self, address: str) -> tuple[Chosen | None, list[str]]:
        """The usable certificate for `address` (latest expiry first), or the reasons none is."""
        certs = self._all()
        candidates = sorted(
            (c for c in certs if address.lower() in addresses_of(c)), key=lambda c: c.not_valid_after_utc, reverse=True
        )
        intermediates = [c for c in certs if not addresses_of(c)]
        problems = []
        for cert in candidates:
            verdict = self.checker.check(cert, address, intermediates + [c for c in certs if c is not cert])
            if verdict.ok:
                return Chosen(cert, fingerprint(cert), verdict.note), problems
            problems.append(verdict.problem)
        return None, problems

    def list(self) -> list[CertInfo]:
        own = {fingerprint(i.cert) for i in self._identities()}
        certs = self._all()
        out = []
        for cert in certs:
            emails = addresses_of(cert)
            if not emails:
                continue  # a CA or intermediate: shown through the certificates it vouches for
            verdict = self.checker.check(cert, emails[0], [c for c in certs if c is not cert])
            key = cert.public_key()
            algorithm = f"X.509 RSA-{key.key_size}" if isinstance(key, rsa.RSAPublicKey) else "X.509 EC"
            out.append(
                CertInfo(
                    fingerprint(cert),
                    tuple(emails),
                    cert.subject.rfc4514_string(),
                    cert.issuer.rfc4514_string(),
                    f"{algorithm} (S/MIME)",
                    int(cert.not_valid_before_utc.timestamp()),
                    int(cert.not_valid_after_utc.timestamp()),
                    fingerprint(cert) in own,
                    "" if verdict.ok else verdict.problem,
                )
            )
        return out

    def pem(self, fp: str) -> str | None:
        """A recipient's certificate as PEM, by its SHA-256 fingerprint (upper-case hex), or None."""
        if len(fp) != 64 or not all(c in "0123456789ABCDEF" for c in fp):
            return None  # never a path built from anything but a fingerprint
        path = self.folder / "certs" / f"{fp}.pem"
        return path.read_text() if path.is_file() else None

    def delete(self, fp: str) -> bool:
        removed = False
        for path in (
            self.folder / "certs" / f"{fp}.pem",
            self.folder / "identity" / f"{fp}.pem",
            self.folder / "identity" / f"{fp}.key",
        ):
            if path.exists():
                path.unlink()
                removed = True
        return removed

    # --- the user's own identity -------------------------------------------------------------
    def _passphrase(self) -> bytes:
        secret = secret_store.get_or_create(self.home, "smime-identity-key", in_use=self._sealed_identities)
        return secret.hex().encode()

    def _sealed_identities(self) -> str:
        keys = list((self.folder / "identity").glob("*.key"))
        return f"{len(keys)} S/MIME private key(s) in {self.folder / 'identity'} are encrypted with it" if keys else ""

    def import_identity(self, data: bytes, password: bytes | None) -> str:
        """A PKCS#12 file with the user's certificate and private key."""
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            raise SmimeError("the PKCS#12 file cannot be opened: wrong password, or not a .p12/.pfx file") from None
        if cert is None or key is None:
            raise SmimeError("the PKCS#12 file holds no certificate with its private key")
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SmimeError("the private key is neither RSA nor EC; it cannot sign S/MIME here")
        if not addresses_of(cert):
            raise SmimeError("the certificate names no e-mail address")
        fp = fingerprint(cert)
        folder = self.folder / "identity"
        chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *extra])
        (folder / f"{fp}.pem").write_bytes(chain)
        encrypted = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase()),
        )
        path = folder / f"{fp}.key"
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(encrypted)
        path.with_suffix(".tmp").replace(path)
        self.add([cert, *extra])  # the own certificate is also a recipient certificate (Sent copies)
        return fp

    def _identities(self) -> list[Identity]:
        # Decrypting a PKCS#8 key is slow on purpose (PBKDF2): once per change of the folder.
        stamp = os.stat(self.folder / "identity").st_mtime_ns
        with self._lock:
            if self._identity_cache and self._identity_cache[0] == stamp:
                return self._identity_cache[1]
        out = self._load_identities()
        with self._lock:
            self._identity_cache = (stamp, out)
        return out

    def _load_identities(self) -> list[Identity]:
        out = []
        for path in sorted((self.folder / "identity").glob("*.pem")):
            try:
                chain = x509.load_pem_x509_certificates(path.read_bytes())
                key = serialization.load_pem_private_key(path.with_suffix(".key").read_bytes(), self._passphrase())
            except (OSError, ValueError, TypeError) as exc:
                log.warning("S/MIME identity %s cannot be loaded: %s", path.stem[:16], exc)
                continue
            out.append(Identity(chain[0], key, tuple(chain[1:])))  # type: ignore[arg-type]
        return out

    def identity(self, address: str) -> Identity | None:
        """The user's own unexpired certificate and key for `address`, latest expiry first."""
        import datetime as dt

        now = dt.datetime.now(dt.UTC)
        usable = [
            i
            for i in self._identities()
            if address.lower() in addresses_of(i.cert)
            and i.cert.not_valid_before_utc <= now <= i.cert.not_valid_after_utc
        ]
        return max(usable, key=lambda i: i.cert.not_valid_after_utc, default=None)
