"""Delivery to the organization's relay over SMTP, with a per-recipient result.

TLS to the relay follows `relay.starttls`: `off`, `opportunistic` (encrypt when offered),
`required` (no STARTTLS, or a certificate that does not verify → nothing is sent). A TLS-method
copy always needs a *verified* TLS hop, whatever `relay.starttls` says: its only protection
is the transport, so it is never handed over in clear.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field

from agent.config import RelayConfig

_EOL = re.compile(rb"\r?\n")


@dataclass(frozen=True)
class RecipientResult:
    address: str
    ok: bool
    permanent: bool  # 5xx: do not retry
    reply: str


@dataclass
class SendResult:
    recipients: dict[str, RecipientResult] = field(default_factory=dict)
    tls_version: str = ""
    tls_cipher: str = ""
    tls_peer: str = ""  # set only when the certificate was verified for this name


class DeliveryError(Exception):
    """Nothing was handed over. `permanent` says whether retrying can help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def _context(relay: RelayConfig, verify: bool) -> ssl.SSLContext:
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()
    if relay.ca_file:
        context.load_verify_locations(relay.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def wire_format(data: bytes) -> bytes:
    """CRLF line ends, as RFC 5321 §2.3.8 requires: smtplib sends bytes unchanged, and a
    message with bare LF would reach the relay as one over-long line and be refused."""
    return _EOL.sub(b"\r\n", data)


def send(relay: RelayConfig, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool) -> SendResult:
    """Hand one copy to the relay. Raises DeliveryError when nothing could be handed over."""
    data = wire_format(data)
    where = f"relay {relay.host}:{relay.port}"
    require_tls = needs_verified_tls or relay.starttls == "required"
    try:
        client = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout, local_hostname="localhost")
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{where} not reachable: {exc}") from None
    result = SendResult()
    try:
        client.ehlo()
        if relay.starttls != "off" or needs_verified_tls:
            if client.has_extn("starttls"):
                verify = require_tls
                try:
                    client.starttls(context=_context(relay, verify))
                except ssl.SSLCertVerificationError as exc:
                    raise DeliveryError(f"{where}: TLS certificate not verified ({exc.verify_message})") from None
                except (ssl.SSLError, smtplib.SMTPException) as exc:
                    raise DeliveryError(f"{where}: STARTTLS failed ({exc})") from None
                client.ehlo()
                sock = client.sock
                assert isinstance(sock, ssl.SSLSocket)
                result.tls_version = sock.version() or ""
                result.tls_cipher = (sock.cipher() or ("",))[0]
                result.tls_peer = relay.host if verify else ""
            elif require_tls:
                why = "TLS-only recipients need it" if needs_verified_tls else "relay.starttls is 'required'"
                raise DeliveryError(f"{where} does not offer STARTTLS and {why}; nothing was sent in clear")
        if relay.username:
            client.login(relay.username, relay.password)
        code, text = client.mail(mail_from, ["SMTPUTF8"] if client.has_extn("smtputf8") and not mail_from.isascii() else [])
        if code != 250:
            raise DeliveryError(f"{where} refused sender {mail_from}: {_reply(code, text)}", permanent=code >= 500)
        accepted = []
        for address in recipients:
            code, text = client.rcpt(address)
            if code in (250, 251):
                accepted.append(address)
            else:
                result.recipients[address] = RecipientResult(address, False, code >= 500, _reply(code, text))
        if accepted:
            code, text = client.data(data)
            for address in accepted:
                result.recipients[address] = RecipientResult(address, code == 250, code >= 500, _reply(code, text))
        else:
            client.rset()
        return result
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{where} refused the login for {relay.username}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"{where}: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=exc.smtp_code >= 500) from None
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{where}: connection lost ({exc or type(exc).__name__})") from None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
