"""The portal behind a TLS-terminating proxy (issue 16 item 3): who the client is, which
scheme it used, and which Host names the portal answers to.

- `forwarded(trusted)`: X-Forwarded-For and X-Forwarded-Proto count only when the direct peer
  is one of `trusted` (the proxies' addresses or networks). The client is found by walking
  X-Forwarded-For from the right past trusted hops: the first untrusted address is the one
  the nearest trusted proxy saw, so a client that sends its own X-Forwarded-For cannot choose
  the address the per-client limits count (nginx's $proxy_add_x_forwarded_for appends the
  real peer after whatever the client sent). X-Forwarded-Host is never honoured: the portal's
  public URL comes from its settings.
- `allowed_hosts(hosts)`: a request whose Host is not one of `hosts` is refused with a JSON
  421 before any handler runs (DNS rebinding, cache poisoning, links built on a forged
  Host). Health probes (/healthz, /readyz, /health) and /metrics are exempt: a load
  balancer probes, and Prometheus scrapes, an instance by its own address, and they answer
  nothing about any message.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PROBES = frozenset({"/healthz", "/readyz", "/health"})
# Prometheus scrapes each instance by its own address, too; /metrics lets in only direct
# clients of its allowed networks (metrics.py), and it answers nothing about any message.
BY_ADDRESS = PROBES | {"/metrics"}


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted(address: str | None, trusted: Iterable[Network]) -> bool:
    found = _address(address or "")
    return found is not None and any(found in network for network in trusted)


def client_address(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address: the right-most X-Forwarded-For entry not added by a trusted hop."""
    client = peer
    for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
        if not is_trusted(client, trusted):
            break
        address = _address(hop)
        if address is None:  # garbage left of a trusted hop: the trusted hop's view stands
            break
        client = str(address)
    return client


def forwarded(trusted: tuple[Network, ...]):
    @web.middleware
    async def middleware(request: web.Request, handler):
        peer = request.remote or ""
        if not trusted or not is_trusted(peer, trusted):
            return await handler(request)
        changes: dict[str, str] = {}
        forwarded_for = ",".join(request.headers.getall("X-Forwarded-For", []))
        if forwarded_for:
            changes["remote"] = client_address(peer, forwarded_for, trusted)
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            changes["scheme"] = proto
        return await handler(request.clone(**changes) if changes else request)

    return middleware


def host_name(host: str) -> str:
    """The name in a Host header: no port, lower case, no trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") <= 1 else host


def allowed_hosts(hosts: Iterable[str]):
    allowed = frozenset(host_name(h) for h in hosts)

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.path not in BY_ADDRESS and host_name(request.headers.get("Host", "")) not in allowed:
            return web.json_response({"error": "This portal does not answer to that host name."}, status=421)
        return await handler(request)

    return middleware
