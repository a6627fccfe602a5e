"""MTA-STS (RFC 8461): does this domain ask senders to deliver only over verified TLS?

1. TXT `_mta-sts.<domain>`: exactly one record starting "v=STSv1", with an `id` (§3.1);
2. the policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt` over verified HTTPS,
   no redirects, text/plain, at most 64 KB (§3.3);
3. `version: STSv1`, `mode: enforce | testing | none`, one or more `mx:` patterns,
   `max_age` up to 31557600 seconds (§3.2).

Only `enforce` makes delivery verified-TLS-only; `testing` and `none` do not (§5). A policy is
cached for its max_age and fetched again when the TXT id changes (§3.3, §5.1). A malformed
or unreachable policy is not a policy: the domain does not get verified TLS from it, and the
reason goes into the plan.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

import dns.exception
import dns.resolver

from agent.delivery import https
from agent.net import Network

MAX_POLICY = 64 * 1024
MAX_AGE_LIMIT = 31557600


class NoPolicy(Exception):
    """The domain has no usable MTA-STS policy; the text says why."""


@dataclass(frozen=True)
class Policy:
    domain: str
    id: str
    mode: str
    mx: tuple[str, ...]
    max_age: int

    def allows(self, host: str) -> bool:
        """§4.1: an MX pattern is a name, or "*." + a name matching exactly one more label."""
        host = host.lower().rstrip(".")
        for pattern in self.mx:
            if pattern.startswith("*."):
                suffix = pattern[2:]
                if host.endswith("." + suffix) and "." not in host[: -len(suffix) - 1]:
                    return True
            elif fnmatch.fnmatchcase(host, pattern) and "*" not in pattern:
                return True
        return False


def txt_id(domain: str, resolver: dns.resolver.Resolver) -> str:
    try:
        answer = resolver.resolve(f"_mta-sts.{domain}", "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        raise NoPolicy("no _mta-sts TXT record") from None
    except dns.exception.Timeout:
        raise NoPolicy("DNS timed out looking up _mta-sts") from None
    except dns.exception.DNSException as exc:
        raise NoPolicy(f"DNS failed looking up _mta-sts ({type(exc).__name__})") from None
    records = [b"".join(r.strings).decode("ascii", "replace") for r in answer]
    records = [r for r in records if r.startswith("v=STSv1")]
    if len(records) != 1:
        raise NoPolicy(f"{len(records)} v=STSv1 TXT records (exactly one is allowed)")
    fields = dict(part.strip().partition("=")[::2] for part in records[0].split(";") if "=" in part)
    ident = fields.get("id", "")
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", ident):
        raise NoPolicy("the TXT record's id is missing or malformed")
    return ident


def parse(domain: str, ident: str, text: str) -> Policy:
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), []).append(value.strip())
    if fields.get("version") != ["STSv1"]:
        raise NoPolicy("the policy's version is not STSv1")
    mode = (fields.get("mode") or [""])[0]
    if mode not in ("enforce", "testing", "none"):
        raise NoPolicy(f"the policy's mode {mode!r} is not enforce, testing or none")
    try:
        max_age = int((fields.get("max_age") or [""])[0])
    except ValueError:
        raise NoPolicy("the policy's max_age is missing or not a number") from None
    if not 0 <= max_age <= MAX_AGE_LIMIT:
        raise NoPolicy(f"the policy's max_age {max_age} is outside 0..{MAX_AGE_LIMIT}")
    mx = tuple(m.lower().rstrip(".") for m in fields.get("mx", []))
    if mode != "none" and not mx:
        raise NoPolicy("the policy names no mx")
    return Policy(domain, ident, mode, mx, max_age)


def fetch(domain: str, ident: str, network: Network, ctx) -> Policy:
    url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
    try:
        response = https.request("GET", url, {"Accept": "text/plain"}, None, ctx, timeout=network.timeout,
                                 network=network, max_bytes=MAX_POLICY)
    except https.TooLarge:
        raise NoPolicy("the policy is over 64 KB") from None
    except https.Unreachable as exc:
        raise NoPolicy(f"the policy could not be fetched ({exc})") from None
    if response.status != 200:  # §3.3: redirects are not followed
        raise NoPolicy(f"the policy URL answered HTTP {response.status}")
    if not response.headers.get("content-type", "").startswith("text/plain"):
        raise NoPolicy("the policy is not text/plain")
    return parse(domain, ident, response.body.decode("utf-8", "replace"))
