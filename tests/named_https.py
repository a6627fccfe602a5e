"""An HTTPS server on 127.0.0.1 that answers for any names it is given (a CA of its own
issues its certificate), so the agent can look up lakesidecardiology.example's WKD or
MTA-STS policy through `network.connect_to` while TLS checks the real names. Paths are
answered from a dict the test fills in: bytes, a status code, or a callable."""

from __future__ import annotations

import datetime as dt
import os
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def issue(folder: Path, names: list[str], tag: str = "server") -> tuple[Path, Path, Path]:
    """(ca.pem, cert.pem, key.pem): a fresh CA and a certificate for `names`."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"Test web CA ({tag}, {folder.name}, {os.urandom(4).hex()})")]
    )
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
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / f"{tag}-ca.pem", folder / f"{tag}.pem", folder / f"{tag}.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class NamedHttps:
    def __init__(self, folder: Path, names: list[str]) -> None:
        self.names = names
        self.ca_file, cert, key = issue(folder, names)
        self.routes: dict[tuple[str, str], object] = {}  # (host, path with query) → answer
        self.hits: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                host = self.headers.get("Host", "").split(":")[0]
                server.hits.append((host, self.path))
                answer = server.routes.get((host, self.path), 404)
                if callable(answer):
                    answer = answer()
                status, body = (answer, b"") if isinstance(answer, int) else (200, answer)
                self.send_response(status)
                kind = "text/plain; charset=utf-8" if self.path.endswith(".txt") else "application/octet-stream"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def connect_to(self, names: list[str] | None = None) -> list[str]:
        """network.connect_to entries sending `names` (default: all) on port 443 here."""
        return [f"{n}:443=127.0.0.1:{self.port}" for n in (names or self.names)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
