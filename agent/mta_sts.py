"""MTA-STS (RFC 8461): does this domain ask senders to deliver only over verified TLS?

1. TXT `_mta-sts.<domain>`: exactly one record starting "v=STSv1;", with an `id` (§3.1);
2. the policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt` over verified HTTPS,
   no redirects, text/plain, at most 64 KB (§3.3);
3. `version: STSv1`, `mode: enforce | testing | none`, one or more `mx:` patterns,
   `max_age` up to 31557600 seconds (§3.2).

Only `enforce` makes delivery verified-TLS-only; `testing` and `none` do not (§5). A policy is
cached for its max_age and fetched again when the TXT id changes (§3.3, §5.1). A malformed
or unreachable policy is not a policy: the domain does not get verified TLS from it, and the
reason goes into the plan.

Both the record and the policy are read by the RFC's ABNF (§3.1, §3.2), not by splitting on
";" and ":": what the grammar rejects is no record or no policy. Where the RFC leaves room,
we do what the other implementations measured in docs/conformance.md do: a repeated field
counts by its first instance, empty fields between ";" and blank lines in a policy are
skipped, unknown fields are ignored (§3: "unknown fields SHOULD be ignored").

checkdmarc (which also parses records and policies) was measured on the same 119 peer
vectors (docs/conformance.md#mta-sts) and not taken: this module agrees with 106 and
disagrees with none, checkdmarc agrees with 100 and disagrees with 6. It is a domain owner's
checker: it only warns on a policy that is not text/plain, which a sender must refuse, and
refuses what the RFC tells senders to read (unknown fields, a repeated one, an empty field);
and it would bring a dozen dependencies (requests, httpx, pyleri, publicsuffixlist, ...)
for three small grammars.
"""

from __future__ import annotations

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
        """§4.1: an MX pattern is a name, or "*." + a name matching exactly one more label —
        a whole, non-empty label: `*.example.com` matches neither example.com nor .example.com."""
        host = host.lower().rstrip(".")
        for pattern in self.mx:
            if pattern.startswith("*."):
                label, _, rest = host.partition(".")
                if rest == pattern[2:] and re.fullmatch(_LABEL, label):
                    return True
            elif host == pattern:
                return True
        return False


_WSP = "[ \t]"
_EXT_NAME = "[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"
# RFC 8461 §3.1: sts-field = sts-id / sts-extension, split by sts-field-delim (*WSP ";" *WSP).
_TXT_FIELD = re.compile(rf"id=(?P<id>[A-Za-z0-9]{{1,32}})|{_EXT_NAME}=[\x21-\x3a\x3c\x3e-\x7e]+")
_TXT_VERSION = re.compile(rf"v=STSv1{_WSP}*;")
# §3.2: sts-policy-mx-value = ["*."] Domain (RFC 5321: Let-dig [Ldh-str] labels, dot-separated).
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_MX = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")
_POLICY_LINE = re.compile(rf"(?P<key>{_EXT_NAME}):{_WSP}*(?P<value>\S(?:[^\r\n]*\S)?)?{_WSP}*")


def record_id(records: list[str]) -> str:
    """The `id` of the one STS record among a name's TXT records (§3.1); NoPolicy why not.

    Records that do not begin with "v=STSv1;" are discarded — `v=STSv10`, `v=STSv1.1` and a
    bare `v=STSv1` are not STS records, and one published beside the real record does not
    cost the domain its policy."""
    records = [r for r in records if _TXT_VERSION.match(r)]
    if len(records) != 1:
        raise NoPolicy(f"{len(records)} v=STSv1 TXT records (exactly one is allowed)")
    ident = ""
    # Trailing blanks and empty fields ("v=STSv1;;id=…;") are outside the grammar but
    # harmless; the peers measured all read them, and so do we.
    for field in re.split(rf"{_WSP}*;{_WSP}*", records[0].rstrip(" \t"))[1:]:
        if not field:
            continue
        match = _TXT_FIELD.fullmatch(field)
        if match is None or (field.startswith("id=") and not match["id"]):
            raise NoPolicy(f"the TXT record's field {field[:40]!r} is malformed")
        if match["id"] and not ident:
            ident = match["id"]  # a repeated id counts by its first instance
    if not ident:
        raise NoPolicy("the TXT record's id is missing")
    return ident


def txt_id(domain: str, resolver: dns.resolver.Resolver) -> str:
    try:
        answer = resolver.resolve(f"_mta-sts.{domain}", "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        raise NoPolicy("no _mta-sts TXT record") from None
    except dns.exception.Timeout:
        raise NoPolicy("DNS timed out looking up _mta-sts") from None
    except dns.exception.DNSException as exc:
        raise NoPolicy(f"DNS failed looking up _mta-sts ({type(exc).__name__})") from None
    return record_id([b"".join(r.strings).decode("ascii", "replace") for r in answer])


def is_policy_type(content_type: str) -> bool:
    """§3.3: the policy is served as text/plain; media types are case-insensitive (RFC 2045
    §5.1) and may carry parameters (`TEXT/PLAIN; charset=utf-8`); `text/plain+` is another type."""
    return content_type.split(";", 1)[0].strip().lower() == "text/plain"


def parse(domain: str, ident: str, text: str) -> Policy:
    """§3.2's grammar: field names and the values of version and mode are case-sensitive."""
    fields: dict[str, list[str]] = {}
    for line in re.split(r"\r?\n", text):
        if not line.strip():
            continue
        match = _POLICY_LINE.fullmatch(line)
        if match is None or match["value"] is None:
            raise NoPolicy(f"the policy's line {line[:40]!r} is not a field")
        fields.setdefault(match["key"], []).append(match["value"])
    first = {key: values[0] for key, values in fields.items()}  # a repeated field: its first instance
    if first.get("version") != "STSv1":
        raise NoPolicy("the policy's version is not STSv1")
    mode = first.get("mode", "")
    if mode not in ("enforce", "testing", "none"):
        raise NoPolicy(f"the policy's mode {mode!r} is not enforce, testing or none")
    if not re.fullmatch(r"[0-9]{1,10}", first.get("max_age", "")):
        raise NoPolicy("the policy's max_age is missing or not a number of 1 to 10 digits")
    max_age = int(first["max_age"])
    if max_age > MAX_AGE_LIMIT:
        raise NoPolicy(f"the policy's max_age {max_age} is over {MAX_AGE_LIMIT}")
    bad = [m for m in fields.get("mx", []) if not _MX.fullmatch(m)]
    if bad:
        raise NoPolicy(f"the policy's mx {bad[0][:60]!r} is not a host name or *.name")
    mx = tuple(m.lower() for m in fields.get("mx", []))
    if mode != "none" and not mx:
        raise NoPolicy("the policy names no mx")
    return Policy(domain, ident, mode, mx, max_age)


def fetch(domain: str, ident: str, network: Network, ctx) -> Policy:
    url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
    try:
        response = https.request(
            "GET",
            url,
            {"Accept": "text/plain"},
            None,
            ctx,
            timeout=network.timeout,
            network=network,
            max_bytes=MAX_POLICY,
        )
    except https.TooLarge:
        raise NoPolicy("the policy is over 64 KB") from None
    except https.Unreachable as exc:
        raise NoPolicy(f"the policy could not be fetched ({exc})") from None
    if response.status != 200:  # §3.3: redirects are not followed
        raise NoPolicy(f"the policy URL answered HTTP {response.status}")
    if not is_policy_type(response.headers.get("content-type", "")):
        raise NoPolicy("the policy is not text/plain")
    return parse(domain, ident, response.body.decode("utf-8", "replace"))
