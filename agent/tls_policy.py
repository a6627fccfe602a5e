"""Whether a recipient domain can be reached over *verified* TLS, and under which policy:

- `tls.required_domains` (the organization says so; its relay is set up for it);
- MTA-STS in `enforce` mode (mta_sts.py), with the MX patterns delivery must match;
- DANE (dane.py): every MX host of the domain has DNSSEC-validated DANE-TA/EE records.

One answer per domain, kept a while (an MTA-STS policy for its max_age, stored across
restarts; everything else for ten minutes), so a plan does not wait on DNS for each message.
The answer names the policy, and the delivery proof repeats it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.resolver

from agent import dane, mta_sts
from agent.config import TlsConfig
from agent.delivery import https
from agent.net import Network

log = logging.getLogger(__name__)

KEEP = 600.0


@dataclass(frozen=True)
class Requirement:
    kind: str  # required_domains | mta-sts | dane | "" (none)
    detail: str  # words for the plan and the proof
    policy: mta_sts.Policy | None = None
    tlsa: dict[str, list[dane.Tlsa]] = field(default_factory=dict)  # MX host → records (DANE)
    why_not: tuple[str, ...] = ()  # what was looked at and did not apply

    @property
    def verified(self) -> bool:
        return bool(self.kind)


def mx_hosts(domain: str, resolver: dns.resolver.Resolver) -> tuple[list[str], bool]:
    """(MX hosts by preference, whether the answer was DNSSEC-validated). RFC 5321 §5.1: no MX
    means the domain itself."""
    try:
        answer = resolver.resolve(domain, "MX")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return [domain], False
    hosts = [r.exchange.to_text().rstrip(".").lower() for r in sorted(answer, key=lambda r: r.preference)]
    return [h for h in hosts if h], bool(answer.response.flags & dns.flags.AD)


def required_by_config(config: TlsConfig, domain: str) -> Requirement:
    """What the organization's own list says of `domain` (tls.required_domains): the one place
    that reads it. Without lookups (`postseal policy check`), this is all that is known."""
    if domain.lower() in {d.lower() for d in config.required_domains}:
        return Requirement("required_domains", "domain requires verified TLS (tls.required_domains)")
    return Requirement("", "")


class TlsPolicies:
    def __init__(self, config: TlsConfig, network: Network, home: Path, ca_file: str = "") -> None:
        self.config = config
        self.network = network
        self._ctx = https.context(ca_file)
        self._file = home / "mta-sts.json"
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, Requirement]] = {}
        try:
            self._policies: dict[str, dict] = json.loads(self._file.read_text())
        except (OSError, ValueError):
            self._policies = {}

    def requirement(self, domain: str) -> Requirement:
        domain = domain.lower()
        configured = required_by_config(self.config, domain)
        if configured.verified:
            return configured
        with self._lock:
            cached = self._answers.get(domain)
        if cached and cached[0] > time.time():
            return cached[1]
        answer = self._look_up(domain)
        with self._lock:
            self._answers[domain] = (time.time() + KEEP, answer)
        return answer

    def _look_up(self, domain: str) -> Requirement:
        why: list[str] = []
        resolver = self.network.resolver()
        if self.config.mta_sts:
            try:
                policy = self._mta_sts(domain, resolver)
                if policy.mode == "enforce":
                    return Requirement("mta-sts", f"MTA-STS policy in enforce mode (id {policy.id})", policy)
                why.append(f"MTA-STS policy in {policy.mode} mode: not enforced")
            except mta_sts.NoPolicy as exc:
                why.append(f"MTA-STS: {exc}")
        if self.config.dane:
            try:
                hosts, secure = mx_hosts(domain, resolver)
            except dns.exception.DNSException as exc:
                why.append(f"DANE: MX lookup failed ({type(exc).__name__})")
            else:
                tlsa: dict[str, list[dane.Tlsa]] = {}
                for host in hosts:
                    records, reason = dane.lookup(host, self.network.resolver())
                    if not records:
                        why.append(f"DANE: {host}: {reason}")
                        break
                    tlsa[host] = records
                else:
                    if secure:
                        return Requirement(
                            "dane", f"DANE TLSA records for {', '.join(hosts)} (DNSSEC-validated)", tlsa=tlsa
                        )
                    why.append("DANE: the MX records are not DNSSEC-validated")
        return Requirement("", "", why_not=tuple(why))

    def _mta_sts(self, domain: str, resolver: dns.resolver.Resolver) -> mta_sts.Policy:
        saved = self._policies.get(domain)
        try:
            ident = mta_sts.txt_id(domain, resolver)
        except mta_sts.NoPolicy:
            # §5.1: a cached, unexpired policy still applies when the TXT lookup fails.
            if saved and saved["until"] > time.time():
                return mta_sts.Policy(**{**saved["policy"], "mx": tuple(saved["policy"]["mx"])})
            raise
        if saved and saved["policy"]["id"] == ident and saved["until"] > time.time():
            return mta_sts.Policy(**{**saved["policy"], "mx": tuple(saved["policy"]["mx"])})
        policy = mta_sts.fetch(domain, ident, self.network, self._ctx)
        with self._lock:
            self._policies[domain] = {"policy": asdict(policy), "until": time.time() + policy.max_age}
            try:
                self._file.write_text(json.dumps(self._policies))
            except OSError:
                pass
        return policy
