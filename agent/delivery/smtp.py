"""Delivery to the organization's relay over SMTP, with a per-recipient result.

TLS to the relay follows `relay.starttls`: `off`, `opportunistic` (encrypt when offered),
`required` (no STARTTLS, or a certificate that does not verify → nothing is sent). A TLS-method
copy always needs a *verified* TLS hop, whatever `relay.starttls` says: its only protection
is the transport, so it is never handed over in clear.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.config import RelayConfig
from agent.net_words import said

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
    tls_policy: str = ""  # what required verified TLS on this hop (MTA-STS, DANE, REQUIRETLS)


class DeliveryError(Exception):
    """Nothing was handed over. `permanent`: retrying cannot help. `unreachable`: no
    connection could be made at all — the network or the relay is down, not this copy.
    `retry_after`: the server asked us to wait this long (throttling). `sign_in`: the
    sender's account must be signed in again before anything more can go through it.
    `hold`: a person must act (mailbox over quota, a message the provider cannot take).
    `unverified`: no MX could be reached over TLS verified as the domain's policy asks."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        unreachable: bool = False,
        retry_after: float = 0.0,
        sign_in: str = "",
        hold: bool = False,
        unverified: bool = False,
    ) -> None:
        super().__init__(message)
        self.unverified = unverified
        self.permanent = permanent
        self.unreachable = unreachable
        self.retry_after = retry_after
        self.sign_in = sign_in
        self.hold = hold


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


@dataclass
class Session:
    client: smtplib.SMTP
    tls_version: str = ""
    tls_cipher: str = ""
    tls_peer: str = ""
    last_used: float = 0.0

    @property
    def verified(self) -> bool:
        return bool(self.tls_peer)

    def close(self) -> None:
        try:
            self.client.quit()
        except (OSError, smtplib.SMTPException):
            self.client.close()


def _connect(
    relay: RelayConfig, needs_verified_tls: bool, login: Callable[[smtplib.SMTP], None] | None = None
) -> Session:
    where = f"relay {relay.host}:{relay.port}"
    require_tls = needs_verified_tls or relay.starttls == "required"
    try:
        client = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout, local_hostname="localhost")
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{where} not reachable: {said(exc)}", unreachable=True) from None
    session = Session(client)
    try:
        client.ehlo()
        if relay.starttls != "off" or needs_verified_tls:
            if client.has_extn("starttls"):
                try:
                    client.starttls(context=_context(relay, require_tls))
                except ssl.SSLCertVerificationError as exc:
                    raise DeliveryError(f"{where}: TLS certificate not verified ({exc.verify_message})") from None
                except (ssl.SSLError, smtplib.SMTPException) as exc:
                    raise DeliveryError(f"{where}: STARTTLS failed ({exc})") from None
                client.ehlo()
                sock = client.sock
                assert isinstance(sock, ssl.SSLSocket)
                session.tls_version = sock.version() or ""
                session.tls_cipher = (sock.cipher() or ("",))[0]
                session.tls_peer = relay.host if require_tls else ""
            elif require_tls:
                why = "TLS-only recipients need it" if needs_verified_tls else "relay.starttls is 'required'"
                raise DeliveryError(f"{where} does not offer STARTTLS and {why}; nothing was sent in clear")
        if login is not None:
            login(client)  # raises DeliveryError itself, naming what to do
        elif relay.username:
            client.login(relay.username, relay.password)
        return session
    except smtplib.SMTPAuthenticationError as exc:
        session.close()
        raise DeliveryError(
            f"{where} refused the login for {relay.username}: {_reply(exc.smtp_code, exc.smtp_error)}"
        ) from None
    except DeliveryError:
        session.close()
        raise
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        session.close()
        raise DeliveryError(f"{where}: connection lost ({said(exc)})") from None


class StaleSession(Exception):
    """A reused session was dead before anything was handed over: safe to try a fresh one."""


def xtext(value: str) -> str:
    """RFC 3461 §4: '+', '=' and anything outside printable ASCII as +HH."""
    return "".join(
        c if 33 <= ord(c) <= 126 and c not in "+=" else "".join(f"+{b:02X}" for b in c.encode()) for c in value
    )


def transact(
    session: Session,
    where: str,
    mail_from: str,
    recipients: list[str],
    data: bytes,
    envid: str = "",
    require_tls: bool = False,
) -> SendResult:
    client = session.client
    result = SendResult(tls_version=session.tls_version, tls_cipher=session.tls_cipher, tls_peer=session.tls_peer)
    mail_options = ["SMTPUTF8"] if client.has_extn("smtputf8") and not mail_from.isascii() else []
    if require_tls and session.verified and client.has_extn("requiretls"):
        # RFC 8689: every later hop must also use verified TLS, or return the message.
        mail_options.append("REQUIRETLS")
        result.tls_policy = "REQUIRETLS"
    rcpt_options: list[str] = []
    if envid and client.has_extn("dsn"):
        # RFC 3461: a later bounce carries our outbox id (Original-Envelope-Id) and the
        # address we sent to (Original-Recipient), so it finds its message exactly; RET=HDRS
        # keeps the relay from quoting the whole (possibly PHI) message back in the bounce.
        mail_options += [f"ENVID={xtext(envid)}", "RET=HDRS"]
        rcpt_options = ["NOTIFY=FAILURE,DELAY"]
    try:
        code, text = client.mail(mail_from, mail_options)
    except (smtplib.SMTPServerDisconnected, OSError):
        raise StaleSession() from None
    if code == 421:
        raise StaleSession()
    if code != 250:
        client.rset()
        raise DeliveryError(f"{where} refused sender {mail_from}: {_reply(code, text)}", permanent=code >= 500)
    accepted = []
    for address in recipients:
        orcpt = [f"ORCPT=rfc822;{xtext(address)}"] if rcpt_options and address.isascii() else []
        code, text = client.rcpt(address, rcpt_options + orcpt)
        if code in (250, 251):
            accepted.append(address)
        else:
            result.recipients[address] = RecipientResult(address, False, code >= 500, _reply(code, text))
    if accepted:
        # From here on the relay may have the message: any failure is the at-least-once
        # window (the copy is retried), never a reason to try another session at once.
        code, text = client.data(data)
        for address in accepted:
            result.recipients[address] = RecipientResult(address, code == 250, code >= 500, _reply(code, text))
    else:
        client.rset()
    return result


class RelayConnections:
    """Sessions to the relay, reused between copies (fewer handshakes for us and the relay).

    A session that verified the relay's certificate may carry any copy; an unverified or
    plain one never carries a TLS-only copy. Idle sessions are closed after IDLE seconds,
    well inside the 5 minutes a server may wait (RFC 5321 §4.5.3.2.7)."""

    IDLE = 30.0
    MAX_IDLE_SESSIONS = 4

    def __init__(
        self, relay: RelayConfig, login: Callable[[smtplib.SMTP], None] | None = None, where: str = ""
    ) -> None:
        self.relay = relay
        self.login = login
        self.where = where or f"relay {relay.host}:{relay.port}"
        self._idle: list[Session] = []
        self._lock = threading.Lock()

    def _take(self, needs_verified_tls: bool) -> Session | None:
        now = time.monotonic()
        with self._lock:
            for session in list(self._idle):
                if now - session.last_used > self.IDLE:
                    self._idle.remove(session)
                    session.close()
                elif session.verified or not needs_verified_tls:
                    self._idle.remove(session)
                    return session
        return None

    def _give_back(self, session: Session) -> None:
        session.last_used = time.monotonic()
        with self._lock:
            if len(self._idle) < self.MAX_IDLE_SESSIONS:
                self._idle.append(session)
                return
        session.close()

    def send(
        self, mail_from: str, recipients: list[str], data: bytes, needs_verified_tls: bool, envid: str = ""
    ) -> SendResult:
        """Hand one copy to the relay. Raises DeliveryError when nothing could be handed over."""
        data = wire_format(data)
        session = self._take(needs_verified_tls)
        for _ in range(2):
            if session is None:
                session = _connect(self.relay, needs_verified_tls, self.login)
            try:
                result = transact(session, self.where, mail_from, recipients, data, envid, needs_verified_tls)
            except StaleSession:
                session.client.close()
                session = None
                continue
            except DeliveryError:
                self._give_back(session)
                raise
            except smtplib.SMTPResponseException as exc:
                session.close()
                raise DeliveryError(
                    f"{self.where}: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=exc.smtp_code >= 500
                ) from None
            except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                session.client.close()
                raise DeliveryError(f"{self.where}: connection lost ({said(exc)})") from None
            self._give_back(session)
            return result
        raise DeliveryError(f"{self.where}: the relay closed the connection before accepting the sender")

    def probe(self) -> bool:
        return probe(self.relay)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for session in idle:
            session.close()


def probe(relay: RelayConfig, timeout: float = 5.0) -> bool:
    """A cheap reachability check (a TCP connect, no SMTP session) for the offline probe."""
    try:
        with socket.create_connection((relay.host, relay.port), timeout=timeout):
            return True
    except OSError:
        return False
