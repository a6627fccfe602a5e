"""The outside world, in one process, for the demo, the tests and the benchmarks.

A certificate authority, an SMTP server standing in for the relay and the internet
(aiosmtpd, with STARTTLS under that CA), and recipients with GnuPG homes of their own. All
of it binds to 127.0.0.1 on free ports and stops with its owner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
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
from aiosmtpd.smtp import SMTP
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_next_port: dict[str, int] = {}


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now, for a server about to start. The kernel's
    pick (bind to 0) by default. With POSTSEAL_PORT_RANGE="LOW-HIGH" (the test suite sets one
    per parallel worker, below the kernel's ephemeral range) the next free one in that range,
    in turn: another worker, or an outgoing connection, is never handed the same port between
    this answer and the server's bind."""
    span = os.environ.get("POSTSEAL_PORT_RANGE", "")
    if not span:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    low, high = (int(n) for n in span.split("-"))
    for _ in range(high - low + 1):
        port = _next_port.get(span, low)
        _next_port[span] = port + 1 if port < high else low
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (or still closing): the next one
            return port
    raise OSError(f"no free port left in POSTSEAL_PORT_RANGE {span}")


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
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = self.folder / "demo-ca.pem"
        self.cert_file = self.folder / "server.pem"
        self.key_file = self.folder / "server.key"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

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
    mail_options: tuple[str, ...] = ()
    rcpt_options: tuple[str, ...] = ()

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)


class _Collector:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        self.sink._count += 1
        queue_id = f"Q{self.sink._count:06d}"
        self.sink.received.append(
            Received(
                envelope.mail_from,
                tuple(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
                session.ssl is not None,
                queue_id,
                tuple(envelope.mail_options),
                tuple(envelope.rcpt_options),
            )
        )
        with self.sink._cond:
            self.sink._cond.notify_all()
        return f"250 2.0.0 Ok: queued as {queue_id}"


class _DsnCollector(_Collector):
    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-DSN", responses[-1]]


class _DsnSMTP(SMTP):
    """aiosmtpd taking the DSN parameters (RFC 3461) as Postfix and Exchange do; they are
    kept in the envelope's options for the test to look at."""

    def _getparams(self, params):
        result = super()._getparams(params)
        if result is not None:
            for name in ("ENVID", "RET", "NOTIFY", "ORCPT"):
                result.pop(name, None)
        return result


class _DsnController(Controller):
    def factory(self):
        return _DsnSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """aiosmtpd server that keeps what it receives; STARTTLS offered when a CA is given, the
    DSN extension when `dsn` is set."""

    def __init__(self, ca: TestCA | None = None, port: int = 0, dsn: bool = False) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self._count = 0
        self._cond = threading.Condition()
        kwargs = {"tls_context": ca.server_context()} if ca else {}
        controller, handler = (_DsnController, _DsnCollector) if dsn else (Controller, _Collector)
        self.controller = controller(
            handler(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            data_size_limit=60 * 1024 * 1024,
            **kwargs,
        )

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

    def bounce(
        self,
        received: Received,
        address: str,
        status: str = "5.1.1",
        diagnostic: str = "smtp; 550 5.1.1 User unknown",
        action: str = "failed",
        headers_only: bool = True,
    ) -> bytes:
        """The RFC 3464 report a relay like Postfix mails back when the next hop refuses
        `address` after this sink accepted the message."""
        envid = next((o.split("=", 1)[1] for o in received.mail_options if o.upper().startswith("ENVID=")), "")
        if headers_only:
            header_end = received.data.find(b"\r\n\r\n")
            returned = b"Content-Type: text/rfc822-headers\r\n\r\n" + received.data[: header_end + 2]
        else:
            returned = b"Content-Type: message/rfc822\r\n\r\n" + received.data
        now = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        text = (
            f"From: MAILER-DAEMON@relay.test\r\nTo: {received.mail_from}\r\nDate: {now}\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="=_dsn"\r\n\r\n'
            "--=_dsn\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host relay.test.\r\n"
            "Your message could not be delivered to one or more recipients.\r\n\r\n"
            "--=_dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; relay.test\r\n"
            + (f"Original-Envelope-Id: {envid}\r\n" if envid else "")
            + f"Arrival-Date: {now}\r\n\r\n"
            f"Final-Recipient: rfc822; {address}\r\nOriginal-Recipient: rfc822;{address}\r\n"
            f"Action: {action}\r\nStatus: {status}\r\nRemote-MTA: dns; mx.partner.test\r\n"
            f"Diagnostic-Code: {diagnostic}\r\n\r\n--=_dsn\r\n"
        )
        return text.encode() + returned + b"\r\n--=_dsn--\r\n"


class Recipient:
    """Someone outside with a GnuPG home of their own: they decrypt with plain gpg."""

    def __init__(self, folder: Path, address: str, faked_time: str | None = None, expire: str = "1y") -> None:
        self.address = address
        # A short folder name: gpg-agent's sockets live in the home, and a socket path has at
        # most 107 bytes on Linux (103 on macOS), which a long temporary folder plus the
        # address would pass ("gpg could not import a key: No valid data found").
        self.home = folder / f"gpg-{hashlib.sha256(address.encode()).hexdigest()[:8]}"
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        options = [f"--faked-system-time={faked_time}"] if faked_time else None
        self.gpg = gnupg.GPG(gnupghome=str(self.home), options=options)
        # No passphrase: this is a partner's own mail program in a throwaway world (the demo's
        # and the tests'), outside the agent; it decrypts with plain `gpg --batch`. The agent's
        # own keys are protected (agent/keys/pgp_store.py).
        params = self.gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            subkey_type="ECDH",
            subkey_curve="cv25519",
            name_email=address,
            expire_date=expire,
            no_protection=True,
        )
        self.fingerprint = self.gpg.gen_key(params).fingerprint
        if faked_time:  # the key exists now; later calls run at the real time
            self.gpg = gnupg.GPG(gnupghome=str(self.home))

    def public_key(self) -> str:
        return self.gpg.export_keys(self.fingerprint)

    def close(self) -> None:
        import subprocess

        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], capture_output=True, check=False)
