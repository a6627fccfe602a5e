"""The per-install certificate authority for the agent's own HTTPS and STARTTLS.

Office webviews refuse a self-signed localhost certificate unless the operating system
trusts it (OfficeDev/office-js #701, #864), and a desktop mail client's STARTTLS to the local
SMTP submission should verify too. So each install makes its own CA once, the installer
adds *that CA* to the system trust store, and the agent issues itself a localhost
certificate from it.

The CA is constrained (RFC 5280 name constraints, critical) to `localhost`, 127.0.0.1 and
::1: if its key ever leaked, it could not vouch for any real site. The CA key stays in
$POSTSEAL_HOME/tls (0600), and no other install shares it. The server certificate lives
397 days (the longest browsers accept) and is renewed 30 days before it lapses.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NAMES = ("localhost",)
ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
SERVER_DAYS = 397
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class LocalTls:
    ca_file: Path  # what the installer trusts
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _write(path: Path, data: bytes, private: bool) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _make_ca(folder: Path, organization: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64] or "Postseal"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Postseal local CA (this computer only)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(n) for n in NAMES]
        + [x509.IPAddress(ipaddress.ip_network(f"{a}/{a.max_prefixlen}")) for a in ADDRESSES],
        excluded_subtrees=None,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(constraints, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(folder / "local-ca.key", _key_pem(key), private=True)
    _write(folder / "local-ca.pem", cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert, key


def _needs_new_server_cert(path: Path, ca: x509.Certificate) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return True
    return cert.issuer != ca.subject or cert.not_valid_after_utc - RENEW_BEFORE < dt.datetime.now(dt.UTC)


def ensure(home: Path, organization: str = "") -> LocalTls:
    """The CA and a current localhost certificate in home/tls, made or renewed as needed."""
    folder = home / "tls"
    folder.mkdir(mode=0o700, exist_ok=True)
    tls = LocalTls(folder / "local-ca.pem", folder / "localhost.pem", folder / "localhost.key")
    try:
        ca = x509.load_pem_x509_certificate(tls.ca_file.read_bytes())
        ca_key = serialization.load_pem_private_key((folder / "local-ca.key").read_bytes(), None)
    except (OSError, ValueError):
        ca, ca_key = _make_ca(folder, organization)
    if not _needs_new_server_cert(tls.cert_file, ca):
        return tls
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([*(x509.DNSName(n) for n in NAMES), *(x509.IPAddress(a) for a in ADDRESSES)]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(tls.key_file, _key_pem(key), private=True)
    _write(tls.cert_file, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return tls
