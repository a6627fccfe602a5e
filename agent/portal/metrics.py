"""Prometheus metrics of one portal instance (prometheus_client), at GET /metrics.

What is counted: requests by route template, method and status; codes sent; lockouts;
sessions opened; requests refused by a rate limit; and the time each store operation takes
(a histogram per operation). Labels are route templates ("/api/v1/messages/{id}/code"),
method names and status codes, never a path, a message id, an address or anything else a
request carries: metrics leave the clinic's network for dashboards, and a message id next to
a time is already a fact about a patient.

Each app has its own CollectorRegistry, never the process-wide default one: tests and
several apps in one process (the agent's embedded portal beside a test's) do not collide,
and /metrics shows this app's numbers only.

Who may read /metrics: the same app on the same port, but only a client that connects from a
network in `metrics_allow` (default: loopback) AND comes directly — a request that carries
X-Forwarded-For, X-Real-IP or Forwarded came through a proxy, and is refused even when the
proxy itself runs on loopback, so a reverse proxy on the same host never publishes /metrics
to the internet. Anyone else gets the same JSON 404 as for a page that does not exist.
Prometheus scrapes each instance directly (it has to, to see each instance's numbers).

prometheus_client comes with the `portal-server` extra; the agent's embedded portal runs
without it, and then /metrics answers 503 naming the extra to install.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web

try:
    import prometheus_client
except ImportError:  # the agent's embedded portal: no metrics, and /metrics says why
    prometheus_client = None

DEFAULT_ALLOW = ("127.0.0.0/8", "::1/128")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
# Store calls are milliseconds on a healthy database; the upper buckets catch a struggling one.
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(allow: Iterable[str], where: str = "metrics_allow") -> tuple[Network, ...]:
    """The allowed networks; ValueError naming the entry that is not a network."""
    out = []
    for entry in allow:
        try:
            out.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{where}: {entry!r} is not an IP address or network (like 10.0.0.0/8)") from None
    return tuple(out)


class PortalMetrics:
    """The counters of one app, in a registry of its own."""

    def __init__(self) -> None:
        if prometheus_client is None:
            raise RuntimeError("metrics need prometheus_client: pip install 'postseal[portal-server]'")
        self.registry = prometheus_client.CollectorRegistry()
        c, h, r = prometheus_client.Counter, prometheus_client.Histogram, self.registry
        self.requests = c(
            "postseal_portal_requests",
            "Requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.codes_sent = c("postseal_portal_codes_sent", "One-time codes mailed to recipients", registry=r)
        self.lockouts = c("postseal_portal_lockouts", "Messages locked after too many wrong codes", registry=r)
        self.sessions_opened = c("postseal_portal_sessions_opened", "Recipients who proved it is them", registry=r)
        self.rate_limited = c(
            "postseal_portal_rate_limited", "Requests refused by a rate limit, by limit", ["limit"], registry=r
        )
        self.store_seconds = h(
            "postseal_portal_store_seconds",
            "Time of one store operation, by operation",
            ["operation"],
            buckets=_BUCKETS,
            registry=r,
        )

    def exposition(self) -> tuple[bytes, str]:
        return prometheus_client.generate_latest(self.registry), prometheus_client.CONTENT_TYPE_LATEST

    def observe(self, request: web.Request, status: int) -> None:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "(no route)"
        method = request.method if request.method in _METHODS else "other"
        self.requests.labels(route, method, str(status)).inc()

    def timed(self, store: Any) -> TimedStore:
        return TimedStore(store, self)


class TimedStore:
    """A PortalStore that times each call into `store_seconds{operation}` and counts what the
    calls mean: an event "code_sent" is a code sent, "locked" a lockout, add_session a session
    opened. The store and its meaning are unchanged; attributes pass through."""

    def __init__(self, store: Any, metrics: PortalMetrics) -> None:
        self._store = store
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name.startswith("_") or not callable(found):
            return found
        histogram = self._metrics.store_seconds.labels(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return found(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)
                self._count(name, args, kwargs)

        return call

    def _count(self, name: str, args: tuple, kwargs: dict) -> None:
        if name == "add_session":
            self._metrics.sessions_opened.inc()
        elif name == "event":
            kind = args[1] if len(args) > 1 else kwargs.get("kind")
            if kind == "code_sent":
                self._metrics.codes_sent.inc()
            elif kind == "locked":
                self._metrics.lockouts.inc()


def direct_from(request: web.Request, allowed: tuple[Network, ...]) -> bool:
    """True when the TCP peer itself (not a forwarded address) is in `allowed` and the
    request did not come through a proxy."""
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%")[0])
    except ValueError:  # a Unix socket: not a network peer
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in allowed)
