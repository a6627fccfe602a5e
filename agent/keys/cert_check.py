"""Is this X.509 certificate fit to encrypt mail to this address, today?

Every check a security team expects before ciphertext is made for someone (RFC 8550 §4, RFC
5280): the chain verifies to the system trust store or an organization CA bundle
(`smime.trusted_ca_files`), the certificate is within its validity dates, it names the address
(subjectAltName rfc822Name, else the subject's emailAddress), its key usage allows key
encipherment and its extended key usage (when present) includes emailProtection, its RSA key
has at least 2048 bits, and it is not revoked where its CRL can be reached. Each failure is
one sentence the plan shows; none is ever "probably fine".

A CRL that cannot be fetched leaves revocation unchecked, and the plan says so: CRLs are
often behind networks a clinic cannot reach, and refusing every such certificate would send
everyone to the portal. A CRL that is fetched but badly signed is a failure.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

MIN_RSA_BITS = 2048
CRL_TIMEOUT = 5.0
CRL_MAX_BYTES = 10 * 1024 * 1024
CRL_RETRY_AFTER = 600.0  # an unreachable CRL is asked for again after ten minutes


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problem: str = ""  # why not, when not ok
    note: str = ""  # what could not be checked (revocation), when ok


def addresses_of(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [n.lower() for n in san.get_values_for_type(x509.RFC822Name)]
    except x509.ExtensionNotFound:
        names = []
    if not names:
        names = [str(a.value).lower() for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    return names


def fingerprint(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex().upper()


def system_roots() -> list[x509.Certificate]:
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            with warnings.catch_warnings():
                # Some distributions' bundles carry old roots with non-positive serials.
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                try:
                    return x509.load_pem_x509_certificates(Path(candidate).read_bytes())
                except ValueError:
                    continue
    return []


@dataclass
class CertChecker:
    extra_roots: list[x509.Certificate] = field(default_factory=list)
    use_system_roots: bool = True
    _roots: list[x509.Certificate] | None = None
    _crls: dict[str, tuple[float, x509.CertificateRevocationList | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def roots(self) -> list[x509.Certificate]:
        if self._roots is None:
            self._roots = [*(system_roots() if self.use_system_roots else []), *self.extra_roots]
        return self._roots

    def check(
        self,
        cert: x509.Certificate,
        address: str,
        intermediates: list[x509.Certificate],
        now: dt.datetime | None = None,
    ) -> Verdict:
        now = now or dt.datetime.now(dt.UTC)
        serial = f"certificate {fingerprint(cert)[:16]}"
        if cert.not_valid_after_utc < now:
            return Verdict(False, f"{serial} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        if cert.not_valid_before_utc > now:
            return Verdict(False, f"{serial} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
        names = addresses_of(cert)
        if address.lower() not in names:
            return Verdict(False, f"{serial} is for {', '.join(names) or 'no e-mail address'}, not {address}")
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            return Verdict(
                False, f"{serial} has no RSA key (cryptography's S/MIME encryption takes RSA recipients only)"
            )
        if key.key_size < MIN_RSA_BITS:
            return Verdict(False, f"{serial} has a {key.key_size}-bit RSA key: too weak (at least {MIN_RSA_BITS})")
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            if not usage.key_encipherment:
                return Verdict(False, f"{serial}: its key usage does not allow encryption (keyEncipherment)")
        except x509.ExtensionNotFound:
            pass
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if (
                ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku
                and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku
            ):
                return Verdict(False, f"{serial}: not issued for e-mail (extended key usage lacks emailProtection)")
        except x509.ExtensionNotFound:
            pass
        chain = self._chain(cert, intermediates, now)
        if isinstance(chain, str):
            return Verdict(False, f"{serial} is not trusted: {chain}")
        return self._revocation(cert, chain, serial, now)

    def _chain(
        self, cert: x509.Certificate, intermediates: list[x509.Certificate], now: dt.datetime
    ) -> list[x509.Certificate] | str:
        roots = self.roots()
        if not roots:
            return "no trusted roots (system store empty and no smime.trusted_ca_files)"
        builder = (
            verification.PolicyBuilder()
            .store(verification.Store(roots))
            .time(now)
            .extension_policies(
                ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=verification.ExtensionPolicy.permit_all(),
            )
        )
        try:
            verified = builder.build_client_verifier().verify(cert, intermediates)
        except verification.VerificationError as exc:
            return f"it does not chain to the system store or smime.trusted_ca_files ({exc})"
        return list(verified.chain)

    def _revocation(
        self, cert: x509.Certificate, chain: list[x509.Certificate], serial: str, now: dt.datetime
    ) -> Verdict:
        issuer = chain[1] if len(chain) > 1 else None
        try:
            points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except x509.ExtensionNotFound:
            return Verdict(True, note="no CRL named: revocation not checked")
        urls = [
            n.value
            for p in points
            for n in (p.full_name or [])
            if isinstance(n, x509.UniformResourceIdentifier) and n.value.startswith(("http://", "https://"))
        ]
        if not urls or issuer is None:
            return Verdict(True, note="no CRL reachable: revocation not checked")
        crl = self._crl(urls[0])
        if crl is None:
            return Verdict(True, note=f"CRL {urls[0]} not reachable: revocation not checked")
        if not crl.is_signature_valid(issuer.public_key()):
            return Verdict(False, f"{serial}: the CRL at {urls[0]} is not signed by its issuer")
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            return Verdict(False, f"{serial} was revoked on {entry.revocation_date_utc:%Y-%m-%d} (CRL {urls[0]})")
        return Verdict(True, note="not revoked (CRL checked)")

    def _crl(self, url: str) -> x509.CertificateRevocationList | None:
        with self._lock:
            cached = self._crls.get(url)
        if cached and cached[0] > time.time():
            return cached[1]
        crl: x509.CertificateRevocationList | None = None
        try:
            with urllib.request.urlopen(url, timeout=CRL_TIMEOUT) as response:
                data = response.read(CRL_MAX_BYTES + 1)
            if len(data) <= CRL_MAX_BYTES:
                crl = (
                    x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----") else x509.load_der_x509_crl(data)
                )
        except (OSError, ValueError) as exc:
            log.info("CRL %s not usable: %s", url, exc)
        until = time.time() + CRL_RETRY_AFTER
        if crl is not None and crl.next_update_utc is not None:
            until = min(crl.next_update_utc.timestamp(), time.time() + 86400)
        with self._lock:
            self._crls[url] = (until, crl)
        return crl
