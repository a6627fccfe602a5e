"""One HTTPS request to a mail API, with the TLS facts the delivery proof records.

http.client rather than a session library: the proof needs the connection's own TLS version,
cipher and verified peer name, and each request here is one POST or PUT of a message.
The certificate is verified against the system store plus `accounts.ca_file`, TLS 1.2+.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from agent.net_words import said


class Unreachable(Exception):
    """No connection (DNS, refused, reset, timeout, TLS failure): the network, not the copy."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    tls_version: str
    tls_cipher: str
    tls_peer: str

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}

    def retry_after(self, default: float = 0.0) -> float:
        value = self.headers.get("retry-after", "")
        try:
            return max(0.0, float(value))
        except ValueError:
            return default


def context(ca_file: str = "") -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class TooLarge(Exception):
    """The answer was longer than the caller allows (a hostile or broken server)."""


class _Connection(http.client.HTTPSConnection):
    """Connects where `network.connect_to` says, verifies the certificate for the URL's host."""

    def __init__(self, host: str, port: int, network, **kwargs) -> None:
        super().__init__(host, port, **kwargs)
        self._network = network

    def connect(self) -> None:
        sock = self._network.connect(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def request(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    ctx: ssl.SSLContext,
    timeout: float = 120.0,
    network=None,
    max_bytes: int | None = None,
) -> Response:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise Unreachable(f"{url} is not an https URL")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if network is not None:
        conn: http.client.HTTPSConnection = _Connection(
            parts.hostname, parts.port or 443, network, timeout=timeout, context=ctx
        )
    else:
        conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=ctx)
    try:
        conn.request(method, path or "/", body=body, headers=headers)
        sock = conn.sock
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else ""
        cipher = (sock.cipher() or ("",))[0] if isinstance(sock, ssl.SSLSocket) else ""
        raw = conn.getresponse()
        data = raw.read() if max_bytes is None else raw.read(max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:
            raise TooLarge(f"{parts.hostname} answered with more than {max_bytes // 1024} KB")
        return Response(
            raw.status, {k.lower(): v for k, v in raw.getheaders()}, data, version or "", cipher, parts.hostname
        )
    except ssl.SSLCertVerificationError as exc:
        raise Unreachable(f"{parts.hostname}: TLS certificate not verified ({exc.verify_message})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(f"{parts.hostname}: {said(exc)}") from None
    finally:
        conn.close()


def probe(url: str, ctx: ssl.SSLContext, timeout: float = 5.0) -> bool:
    """Is the API's host reachable at all (TCP + TLS handshake)? For the offline probe."""
    parts = urlsplit(url)
    conn = http.client.HTTPSConnection(parts.hostname or "", parts.port or 443, timeout=timeout, context=ctx)
    try:
        conn.connect()
        return True
    except OSError:
        return False
    finally:
        conn.close()
