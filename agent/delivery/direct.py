"""Verified-TLS copies delivered to the recipient's own MX, enforcing the policy that made
them verified-TLS copies (`tls.direct = true`; otherwise the organization's relay delivers
them and enforces policy at its hop).

Per recipient domain: the MX hosts by preference (tls_policy.mx_hosts); with MTA-STS only the
hosts its `mx` patterns allow (RFC 8461 §4.1); STARTTLS is required, TLS 1.2 or newer, and the
server is verified as its policy says — the certificate chain and the MX name for MTA-STS and
tls.required_domains (RFC 8461 §4.2), a DANE-EE TLSA match for DANE (RFC 7672 §3.1.1; names
and dates do not matter there). A host that fails verification is skipped with the reason;
when none passes, nothing was sent and the copy waits (DeliveryError(unverified=True)); the
pipeline sends the recipient the portal instead once `tls.fallback_after_hours` have passed.
Never a cleartext retry.
"""

from __future__ import annotations

import smtplib
import ssl
from collections import defaultdict

from cryptography import x509

from agent import dane
from agent.delivery.smtp import DeliveryError, SendResult, Session, StaleSession, transact, wire_format
from agent.net import Network
from agent.net_words import said
from agent.tls_policy import Requirement, TlsPolicies, mx_hosts

SMTP_PORT = 25


class _Smtp(smtplib.SMTP):
    """smtplib.SMTP that connects where network.connect_to says."""

    def __init__(self, network: Network, host: str, timeout: float) -> None:
        self._network = network
        super().__init__(timeout=timeout, local_hostname="localhost")
        self._host = host
        (code, msg) = self.connect(host, SMTP_PORT)
        if code != 220:
            self.close()
            raise smtplib.SMTPConnectError(code, msg)

    def _get_socket(self, host, port, timeout):
        return self._network.connect(host, port, timeout)


class DirectDelivery:
    where = "direct delivery"

    def __init__(self, network: Network, policies: TlsPolicies, ca_file: str = "", timeout: float = 30.0) -> None:
        self.network = network
        self.policies = policies
        self.ca_file = ca_file
        self.timeout = timeout

    def probe(self) -> bool:
        return True  # reachability is per domain; the relay's probe stands for the network

    def close(self) -> None:
        pass

    def _context(self, requirement: Requirement) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(self.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if requirement.kind == "dane":
            # DANE-EE authenticates the key itself; WebPKI names and chains do not apply.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _session(self, host: str, requirement: Requirement) -> Session:
        try:
            client = _Smtp(self.network, host, self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{host}: not reachable ({said(exc)})") from None
        session = Session(client)
        try:
            client.ehlo()
            if not client.has_extn("starttls"):
                raise DeliveryError(f"{host} does not offer STARTTLS; its domain requires verified TLS")
            try:
                client.starttls(context=self._context(requirement))
            except ssl.SSLCertVerificationError as exc:
                raise DeliveryError(f"{host}: certificate not verified ({exc.verify_message})") from None
            except (ssl.SSLError, smtplib.SMTPException) as exc:
                raise DeliveryError(f"{host}: STARTTLS failed ({exc})") from None
            sock = client.sock
            assert isinstance(sock, ssl.SSLSocket)
            if requirement.kind == "dane":
                leaf = sock.getpeercert(binary_form=True)
                matched = (
                    dane.matches(requirement.tlsa.get(host, []), [x509.load_der_x509_certificate(leaf)]) if leaf else ""
                )
                if not matched:
                    raise DeliveryError(f"{host}: its certificate matches none of its DNSSEC-signed TLSA records")
                session.tls_peer = f"{host} ({matched})"
            else:
                session.tls_peer = host
            session.tls_version, session.tls_cipher = sock.version() or "", (sock.cipher() or ("",))[0]
            client.ehlo()
            return session
        except DeliveryError:
            client.close()  # no QUIT: after a failed handshake the server is still in TLS, waiting
            raise
        except (OSError, smtplib.SMTPException) as exc:
            client.close()
            raise DeliveryError(f"{host}: connection lost ({said(exc)})") from None

    def send(
        self, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool, envid: str = ""
    ) -> SendResult:
        data = wire_format(data)
        by_domain: dict[str, list[str]] = defaultdict(list)
        for address in recipients:
            by_domain[address.rpartition("@")[2].lower()].append(address)
        result = SendResult()
        for domain, group in by_domain.items():
            part = self._send_domain(domain, mail_from, group, data, envid)
            result.recipients.update(part.recipients)
            result.tls_version, result.tls_cipher = part.tls_version, part.tls_cipher
            result.tls_peer, result.tls_policy = part.tls_peer, part.tls_policy
        return result

    def _send_domain(self, domain: str, mail_from: str, recipients: list[str], data: bytes, envid: str) -> SendResult:
        requirement = self.policies.requirement(domain)
        if not requirement.verified:
            raise DeliveryError(
                f"{domain} no longer has a verified-TLS policy ({'; '.join(requirement.why_not)})", unverified=True
            )
        try:
            hosts, _ = mx_hosts(domain, self.network.resolver())
        except Exception as exc:  # noqa: BLE001 - any DNS failure: nothing sent, try later
            raise DeliveryError(f"{domain}: MX lookup failed ({type(exc).__name__})") from None
        failures = []
        for host in hosts:
            if requirement.policy is not None and not requirement.policy.allows(host):
                failures.append(f"{host}: not allowed by the MTA-STS policy's mx patterns")
                continue
            if requirement.kind == "dane" and host not in requirement.tlsa:
                failures.append(f"{host}: no TLSA records")
                continue
            try:
                session = self._session(host, requirement)
            except DeliveryError as exc:
                failures.append(str(exc))
                continue
            try:
                result = transact(session, host, mail_from, recipients, data, envid)
            except (StaleSession, smtplib.SMTPException, OSError) as exc:
                failures.append(f"{host}: session lost ({said(exc)})")
                continue
            finally:
                session.close()
            result.tls_policy = requirement.detail
            return result
        raise DeliveryError(
            f"no MX of {domain} passed verification: {'; '.join(failures) or 'no MX hosts'}; nothing was sent",
            unverified=True,
        )
