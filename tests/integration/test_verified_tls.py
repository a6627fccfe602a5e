"""Verified TLS decided from the recipient's own DNS and web server (MTA-STS, DANE), and
enforced by direct delivery to their MX: a local DNS server, a policy host and MX servers
with certificates from test CAs stand in for the partner's domain. An MX with the wrong
certificate gets nothing in clear; after the fallback time the recipient gets the portal."""

from __future__ import annotations

import hashlib
import json
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from agent.config import NetworkConfig, TlsConfig
from agent.demo_world import free_port
from agent.net import Network
from agent.tls_policy import TlsPolicies
from tests.dns_fake import FakeDns
from tests.named_https import NamedHttps, issue

DOMAIN = "lakeside-billing.example"
MX = f"mx1.{DOMAIN}"
RECIPIENT = f"claims@{DOMAIN}"
POLICY = f"version: STSv1\nmode: enforce\nmx: {MX}\nmax_age: 86400\n".encode()
MESSAGE = (
    f"From: Dr Chen <dr.chen@valleyclinic.example>\r\nTo: {RECIPIENT}\r\nSubject: Claim 4471\r\n"
    "Message-ID: <claim-4471@valleyclinic.example>\r\n\r\nClaim 4471 for the November visit.\r\n"
).encode()


class Mx:
    """An MX host with STARTTLS under the given certificate; keeps what it receives."""

    def __init__(self, cert, key) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        mx = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                mx.received.append((list(envelope.rcpt_tos), envelope.original_content))
                return "250 2.0.0 queued at the partner"

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.port = free_port()
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, tls_context=context, server_hostname=MX
        )
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def world(tmp_path):
    dns = FakeDns()
    web = NamedHttps(tmp_path / "web", [f"mta-sts.{DOMAIN}"])
    web.routes[(f"mta-sts.{DOMAIN}", "/.well-known/mta-sts.txt")] = POLICY
    dns.add(MX, "A", "127.0.0.1")
    dns.add(DOMAIN, "MX", f"10 {MX}.")
    yield dns, web
    web.close()
    dns.close()


def mta_sts(dns, ident="20261201"):
    dns.add(f"_mta-sts.{DOMAIN}", "TXT", f'"v=STSv1; id={ident};"')


def start(start_agent, sink, dns, web, mx: Mx, ca_file, **tls):
    connect = [*web.connect_to(), f"{MX}:25=127.0.0.1:{mx.port}"]
    return start_agent(
        sink.port,
        network={"dns_servers": [dns.server], "connect_to": connect, "ca_file": str(ca_file)},
        tls={"direct": True, **tls},
        pgp={"wkd": False},
    )


def bundle(tmp_path, *files) -> str:
    path = tmp_path / "bundle.pem"
    path.write_bytes(b"".join(f.read_bytes() for f in files))
    return str(path)


def test_an_mta_sts_enforce_domain_gets_verified_tls_direct_to_its_mx(start_agent, sink, world, tmp_path):
    dns, web = world
    mta_sts(dns)
    ca, cert, key = issue(tmp_path / "mx", [MX])
    mx = Mx(cert, key)
    try:
        running = start(start_agent, sink, dns, web, mx, bundle(tmp_path, web.ca_file, ca))
        plan = running.pipeline.plan(MESSAGE)[1]
        [rcpt] = plan.recipients
        assert rcpt.method.value == "tls" and rcpt.reason == "MTA-STS policy in enforce mode (id 20261201)"
        accepted = running.pipeline
        from agent.api.client import AgentClient

        client = AgentClient(running.api_url, running.token)
        final = client.wait(client.submit(MESSAGE).id)
        assert final["state"] == "delivered", final["recipients"][0]["reason"]
        proof = final["recipients"][0]["proof"]
        assert proof["tls_version"] in ("TLSv1.2", "TLSv1.3") and proof["tls_peer"] == MX
        assert proof["tls_policy"] == "MTA-STS policy in enforce mode (id 20261201)"
        assert [r for r, _ in mx.received] == [[RECIPIENT]] and sink.received == []
        delivered = [r for r in accepted.audit.records() if r.get("event") == "delivered"]
        assert "required by MTA-STS policy in enforce mode" in delivered[0]["tls"]
        assert delivered[0]["proof"] == proof  # the audit keeps the proof structured, as the outbox does
    finally:
        mx.close()


@pytest.mark.parametrize("fault", ["untrusted certificate", "another name"])
def test_an_mx_with_the_wrong_certificate_gets_nothing_and_the_portal_is_used(
    start_agent, sink, world, tmp_path, fault
):
    dns, web = world
    mta_sts(dns)
    ca, cert, key = issue(tmp_path / "mx", [MX] if fault == "untrusted certificate" else [f"other.{DOMAIN}"])
    mx = Mx(cert, key)
    try:
        trusted = [web.ca_file] if fault == "untrusted certificate" else [web.ca_file, ca]
        running = start(start_agent, sink, dns, web, mx, bundle(tmp_path, *trusted), fallback_after_hours=0)
        from agent.api.client import AgentClient

        client = AgentClient(running.api_url, running.token)
        final = client.wait(client.submit(MESSAGE).id)
        assert mx.received == []  # nothing in clear, nothing at all, to an MX that did not verify
        assert final["state"] == "delivered" and final["recipients"][0]["method"] == "portal", final
        assert "their encrypted connection kept failing" in final["plan"]["recipients"][0]["says"]
        [notice] = sink.received
        assert b"Claim 4471 for the November visit" not in notice.data
        [fallback] = [r for r in running.pipeline.audit.records() if r.get("event") == "tls_fallback"]
        assert "certificate" in fallback["reason"] and "nothing was sent" in fallback["reason"]
    finally:
        mx.close()


def test_before_the_fallback_time_the_copy_waits_with_the_reason(start_agent, sink, world, tmp_path):
    dns, web = world
    mta_sts(dns)
    ca, cert, key = issue(tmp_path / "mx", [MX])
    mx = Mx(cert, key)
    try:
        running = start(start_agent, sink, dns, web, mx, str(web.ca_file))  # the MX's CA is not trusted
        from agent.api.client import AgentClient

        client = AgentClient(running.api_url, running.token)
        ident = client.submit(MESSAGE).id
        import time

        deadline = time.monotonic() + 20
        while client.message(ident)["state"] != "deferred":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        reason = client.message(ident)["recipients"][0]["reason"]
        assert "certificate not verified" in reason and mx.received == [] and sink.received == []
    finally:
        mx.close()


@pytest.mark.parametrize(
    ("policy", "why"),
    [
        (b"version: STSv1\nmode: testing\nmx: mx1.x\nmax_age: 600\n", "testing mode: not enforced"),
        (b"version: STSv2\nmode: enforce\n", "version is not STSv1"),
        (b"version: STSv1\nmode: enforce\nmx: mx1\nmax_age: forever\n", "max_age is missing or not a number"),
        (404, "answered HTTP 404"),
    ],
)
def test_a_testing_malformed_or_missing_policy_does_not_make_tls_verified(world, tmp_path, policy, why):
    dns, web = world
    mta_sts(dns)
    web.routes[(f"mta-sts.{DOMAIN}", "/.well-known/mta-sts.txt")] = policy
    policies = TlsPolicies(
        TlsConfig(dane=False),
        Network(NetworkConfig([dns.server], web.connect_to(), str(web.ca_file))),
        tmp_path,
        str(web.ca_file),
    )
    requirement = policies.requirement(DOMAIN)
    assert not requirement.verified and why in " ".join(requirement.why_not), requirement.why_not


def test_a_dns_timeout_is_a_reason_not_a_verified_domain(world, tmp_path):
    dns, web = world
    dns.delay = 2.0
    network = Network(NetworkConfig([dns.server], [], ""), timeout=0.5)
    requirement = TlsPolicies(TlsConfig(dane=False), network, tmp_path).requirement(DOMAIN)
    assert not requirement.verified and "DNS timed out" in requirement.why_not[0]


def spki_sha256(cert_file) -> str:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def test_dane_ee_records_that_are_dnssec_signed_make_tls_verified_and_must_match(start_agent, sink, world, tmp_path):
    dns, web = world
    ca, cert, key = issue(tmp_path / "mx", [MX])  # no WebPKI trust needed: DANE-EE pins the key
    dns.signed.add(f"{DOMAIN}.")  # the MX records are signed too
    dns.add(f"_25._tcp.{MX}", "TLSA", f"3 1 1 {spki_sha256(cert)}", signed=True)
    mx = Mx(cert, key)
    try:
        running = start(start_agent, sink, dns, web, mx, str(web.ca_file), mta_sts=False)
        plan = running.pipeline.plan(MESSAGE)[1]
        assert plan.recipients[0].reason == f"DANE TLSA records for {MX} (DNSSEC-validated)"
        from agent.api.client import AgentClient

        client = AgentClient(running.api_url, running.token)
        final = client.wait(client.submit(MESSAGE).id)
        assert final["state"] == "delivered" and final["recipients"][0]["proof"]["tls_peer"] == f"{MX} (DANE-EE 3 1 1)"
        assert len(mx.received) == 1
    finally:
        mx.close()


def test_tlsa_records_without_dnssec_are_not_used(world, tmp_path):
    dns, web = world
    dns.add(f"_25._tcp.{MX}", "TLSA", "3 1 1 " + "ab" * 32)  # not signed: AD stays clear
    requirement = TlsPolicies(
        TlsConfig(mta_sts=False), Network(NetworkConfig([dns.server], [], "")), tmp_path
    ).requirement(DOMAIN)
    assert not requirement.verified and "not DNSSEC-validated" in " ".join(requirement.why_not)


def test_a_policy_is_cached_and_fetched_again_when_its_id_changes(world, tmp_path):
    dns, web = world
    mta_sts(dns, "one")
    network = Network(NetworkConfig([dns.server], web.connect_to(), str(web.ca_file)))
    TlsPolicies(TlsConfig(dane=False), network, tmp_path, str(web.ca_file)).requirement(DOMAIN)
    TlsPolicies(TlsConfig(dane=False), network, tmp_path, str(web.ca_file)).requirement(DOMAIN)  # a restart
    assert len([h for h in web.hits if h[1] == "/.well-known/mta-sts.txt"]) == 1
    dns.records[(f"_mta-sts.{DOMAIN}.", "TXT")] = ['"v=STSv1; id=two;"']
    requirement = TlsPolicies(TlsConfig(dane=False), network, tmp_path, str(web.ca_file)).requirement(DOMAIN)
    assert requirement.policy.id == "two" and len([h for h in web.hits if h[1] == "/.well-known/mta-sts.txt"]) == 2
    cached = json.loads((tmp_path / "mta-sts.json").read_text())[DOMAIN]
    assert cached["policy"]["mx"] == [MX]
