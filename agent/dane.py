"""DANE for SMTP (RFC 7672): TLSA records at `_25._tcp.<mx>`, used only when the resolver
says the answer is DNSSEC-validated (the AD bit, RFC 7672 §2.2: an unauthenticated TLSA
record is no record). For SMTP only DANE-TA(2) and DANE-EE(3) apply (§3.1); a DANE-EE match
verifies the server's key without names or dates (§3.1.1), a DANE-TA match needs the chain
from that trust anchor and the name (§3.1.2).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.resolver
from cryptography import x509
from cryptography.hazmat.primitives import serialization


@dataclass(frozen=True)
class Tlsa:
    usage: int
    selector: int
    matching: int
    data: bytes


def lookup(mx: str, resolver: dns.resolver.Resolver) -> tuple[list[Tlsa], str]:
    """(usable TLSA records, "") or ([], why there are none to use)."""
    name = f"_25._tcp.{mx.rstrip('.')}"
    resolver.use_edns(0, dns.flags.DO, 1232)
    resolver.flags = dns.flags.RD | dns.flags.AD
    try:
        answer = resolver.resolve(name, "TLSA")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return [], "no TLSA records"
    except dns.exception.DNSException as exc:
        return [], f"TLSA lookup failed ({type(exc).__name__})"
    if not answer.response.flags & dns.flags.AD:
        return [], "TLSA records are not DNSSEC-validated (AD bit not set): not used"
    records = [Tlsa(r.usage, r.selector, r.mtype, r.cert) for r in answer if r.usage in (2, 3)]
    return records, "" if records else "no DANE-TA or DANE-EE records"


def _digest(data: bytes, matching: int) -> bytes | None:
    if matching == 0:
        return data
    if matching == 1:
        return hashlib.sha256(data).digest()
    if matching == 2:
        return hashlib.sha512(data).digest()
    return None


def _selected(cert: x509.Certificate, selector: int) -> bytes:
    if selector == 0:
        return cert.public_bytes(serialization.Encoding.DER)
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def matches(records: list[Tlsa], chain: list[x509.Certificate]) -> str:
    """The record that the presented chain satisfies ("DANE-EE 3 1 1"), or "" for none.
    `chain` is the server's certificates, leaf first (as presented)."""
    for record in records:
        candidates = chain[:1] if record.usage == 3 else chain[1:]
        for cert in candidates:
            if _digest(_selected(cert, record.selector), record.matching) == record.data:
                name = "DANE-EE" if record.usage == 3 else "DANE-TA"
                return f"{name} {record.usage} {record.selector} {record.matching}"
    return ""
