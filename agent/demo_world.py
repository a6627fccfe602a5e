"""The outside world, in one process, for the demo, the tests and the benchmarks.

A certificate authority, an SMTP server standing in for the relay and the internet
(aiosmtpd, with STARTTLS under that CA), and recipients with GnuPG homes of their own. All
of it binds to 127.0.0.1 on free ports and stops with its owner.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import gnupg
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TestCA:
    """A throw-away CA and a server certificate for localhost / 127.0.0.1."""

    folder: Path
    ca_file: Path = field(init=False)
    cert_file: Path = field(init=False)
    key_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Postseal Demo CA")])
        ca = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = self.folder / "demo-ca.pem"
        self.cert_file = self.folder / "server.pem"
        self.key_file = self.folder / "server.key"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@dataclass(frozen=True)
class Received:
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    tls: bool
    queue_id: str

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)


class _Collector:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        self.sink._count += 1
        queue_id = f"Q{self.sink._count:06d}"
        self.sink.received.append(Received(
            envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content or envelope.content,
            session.ssl is not None, queue_id))
        with self.sink._cond:
            self.sink._cond.notify_all()
        return f"250 2.0.0 Ok: queued as {queue_id}"


class SmtpSink:
    """aiosmtpd server that keeps what it receives; STARTTLS offered when a CA is given."""

    def __init__(self, ca: TestCA | None = None, port: int = 0) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self._count = 0
        self._cond = threading.Condition()
        kwargs = {"tls_context": ca.server_context()} if ca else {}
        self.controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port,
                                     server_hostname="localhost", data_size_limit=60 * 1024 * 1024, **kwargs)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def by_reply(self, reply: str) -> Received | None:
        """The message a relay reply line ("250 … queued as Q000012") stands for."""
        return next((r for r in self.received if reply.endswith(f"queued as {r.queue_id}")), None)

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.received) >= count, timeout)


class Recipient:
    """Someone outside with a GnuPG home of their own: they decrypt with plain gpg."""

    def __init__(self, folder: Path, address: str, faked_time: str | None = None, expire: str = "1y") -> None:
        self.address = address
        self.home = folder / address.replace("@", "_at_")
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        options = [f"--faked-system-time={faked_time}"] if faked_time else None
        self.gpg = gnupg.GPG(gnupghome=str(self.home), options=options)
        params = self.gpg.gen_key_input(key_type="EDDSA", key_curve="ed25519", subkey_type="ECDH",
                                        subkey_curve="cv25519", name_email=address, expire_date=expire,
                                        no_protection=True)
        self.fingerprint = self.gpg.gen_key(params).fingerprint
        if faked_time:  # the key exists now; later calls run at the real time
            self.gpg = gnupg.GPG(gnupghome=str(self.home))

    def public_key(self) -> str:
        return self.gpg.export_keys(self.fingerprint)

    def close(self) -> None:
        import subprocess

        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], capture_output=True, check=False)
