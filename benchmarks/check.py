"""The add-in check: `POST /v1/check`, which the Outlook and Gmail add-ins wait on at every Send.

A 50 KB draft with an identifier in it, to 5 recipients: two colleagues (internal), a partner
whose OpenPGP key is on file, and two outside addresses with no key. The agent runs as its own
process with its network lookups ON (Web Key Directory for keyless recipients, MTA-STS and
DANE for their domains) against a DNS server of our own on 127.0.0.1 (tests/dns_fake.py) that
knows none of these names: the first check does the lookups and remembers the answers (the
negative caches of agent/keys/discovery.py and agent/tls_policy.py); the measured checks are
answered from those caches, as a draft checked again and again is. The benchmark counts the DNS
queries made during the measured checks and prints them: a number above 0 means a lookup was
not answered from cache, and the figure then includes the network.

One client, one check after the other (an add-in checks one draft at a time): p50 and p99.
Baseline, same run, same client and bytes: the aiohttp server of benchmarks/baseline_server.py
answering a fixed plan after reading the body — the floor of an HTTP round trip with 50 KB.
Target (issue 18): p99 ≤ 10 ms.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import Recipient, free_port
from benchmarks.agent_process import running_agent
from benchmarks.baseline_server import running as baseline_server
from benchmarks.figures import Figure, percentile
from tests.dns_fake import FakeDns

SENDER = "dr.chen@valleyclinic.example"
PARTNER = "referrals@lakesidecardiology.example"
RECIPIENTS = [
    "nurse.patel@valleyclinic.example",
    "front.desk@valleyclinic.example",
    PARTNER,
    "billing@northshore-imaging.example",
    "intake@riverbend-rehab.example",
]


def draft() -> bytes:
    line = "Assessment and plan reviewed with the patient; labs to be repeated in four weeks.\n"
    body = (line * 700)[:50_000]
    return (
        f"From: {SENDER}\r\nTo: {', '.join(RECIPIENTS[:3])}\r\nCc: {', '.join(RECIPIENTS[3:])}\r\n"
        f"Subject: Referral and results\r\nMessage-ID: <check@valleyclinic.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nPatient MRN: VC-0012345, DOB: 03/14/1958\r\n{body}"
    ).encode()


def timed(check: Callable[[bytes], object], raw: bytes, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        check(raw)
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure(count: int, folder: Path) -> dict[str, float]:
    raw = draft()
    dns = FakeDns()
    partner = Recipient(folder / "people", PARTNER)
    try:
        config = config_mod.from_dict(
            {
                "organization": {"internal_domains": ["valleyclinic.example"]},
                "relay": {"host": "127.0.0.1", "port": free_port(), "starttls": "off"},
                # A clinic's portal (never contacted by a check): a local URL would hold the draft.
                "portal": {"url": "https://portal.valleyclinic.example", "embedded": False},
                "ingress": {"smtp_port": 0, "addin_port": 0},
                "network": {"dns_servers": [dns.server]},
                "pgp": {"wkd": True},
                "tls": {"mta_sts": True, "dane": True},
            }
        )
        with running_agent(folder / "home", config) as (client, _pid):
            client.import_key(partner.public_key().encode())
            plan = client.check(raw)  # the lookups happen here and are remembered
            if len(plan.get("recipients", [])) != len(RECIPIENTS):
                raise RuntimeError(f"check benchmark: the plan names {len(plan.get('recipients', []))} recipients")
            looked_up = len(dns.queries)
            ours = timed(client.check, raw, count)
            uncached = len(dns.queries) - looked_up
        with baseline_server(folder / "baseline.sqlite") as (url, _pid):
            base = timed(AgentClient(url, "none").check, raw, count)
    finally:
        partner.close()
        dns.close()
    return {
        "p50": percentile(ours, 50),
        "p99": percentile(ours, 99),
        "base_p50": percentile(base, 50),
        "base_p99": percentile(base, 99),
        "first_lookups": looked_up,
        "uncached_lookups": uncached,
    }


def figures(count: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="ps-bench-check-", dir="/tmp") as tmp:
        r = measure(count, Path(tmp))
    print(
        f"check: DNS queries at the first check {r['first_lookups']}, during the {count} measured checks "
        f"{r['uncached_lookups']} (0: every lookup answered from cache)"
    )
    what = "aiohttp, read body + fixed answer"
    name = "`POST /v1/check`, 50 KB, 5 recipients, lookups cached"
    return [
        Figure(f"{name}: p50", r["p50"], r["base_p50"], "ms", what, "—", False),
        Figure(f"{name}: p99", r["p99"], r["base_p99"], "ms", what, "≤ 10 ms", False),
    ]


def main(count: int) -> int:
    for figure in figures(count):
        print(figure.line())
    return 0
