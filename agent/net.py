"""How the agent reaches other hosts: DNS (dnspython, the system's resolver or
`network.dns_servers`) and where to connect (`network.connect_to`, as curl --connect-to).

One object so every lookup the agent makes for someone else's domain — WKD, keyservers,
MTA-STS, DANE, MX — resolves and connects the same way, and a lab network or a test can
stand in for the internet without anything else changing. TLS always verifies the
certificate for the name asked for, never for the address connected to.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field

import dns.flags
import dns.resolver

from agent.config import NetworkConfig

log = logging.getLogger(__name__)


def _split(text: str, default_port: int) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return text, default_port


@dataclass
class Network:
    config: NetworkConfig = field(default_factory=NetworkConfig)
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self._overrides: dict[tuple[str, int], tuple[str, int]] = {}
        for item in self.config.connect_to:
            left, _, right = item.partition("=")
            host, port = _split(left, 0)
            self._overrides[(host.lower(), port)] = _split(right, port)

    def address(self, host: str, port: int) -> tuple[str, int]:
        """Where to connect for host:port."""
        target = self._overrides.get((host.lower().rstrip("."), port))
        if target:
            log.info("network.connect_to: %s:%d reached at %s:%d", host, port, *target)
            return target
        return host, port

    def connect(self, host: str, port: int, timeout: float | None = None) -> socket.socket:
        return socket.create_connection(self.address(host, port), timeout=timeout or self.timeout)

    def resolver(self) -> dns.resolver.Resolver:
        if not self.config.dns_servers:
            resolver = dns.resolver.Resolver()
        else:
            resolver = dns.resolver.Resolver(configure=False)
            servers = [_split(s, 53) for s in self.config.dns_servers]
            resolver.nameservers = [h for h, _ in servers]
            resolver.nameserver_ports = {h: p for h, p in servers}
        resolver.lifetime = self.timeout
        resolver.timeout = self.timeout
        # RFC 6840 §5.7: the AD bit in a query asks a validating resolver to say whether the
        # answer is DNSSEC-validated (DANE needs to know; nothing else depends on it).
        resolver.flags = dns.flags.RD | dns.flags.AD
        return resolver
