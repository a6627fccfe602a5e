"""The local SMTP submission (agent/ingress/smtp.py on aiosmtpd), driven over a real socket by
random sessions: command lines known and unknown, before and after STARTTLS, AUTH attempts
right and wrong (PLAIN, LOGIN, broken base64, aborted), and DATA bodies of any shape. Every
reply is a well-formed SMTP reply and never an exception's; nothing is accepted before TLS
and AUTH; a 250 after DATA names a message that is in the outbox; the connection ends only
when the server says goodbye; and the agent's own logs never hold the PHI sent."""

from __future__ import annotations

import base64
import re
import socket
import ssl
from dataclasses import dataclass, field

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from tests.fuzz.messages import EXTERNAL, INTERNAL, SENDER, TLS_PARTNER, any_message, well_formed
from tests.fuzz.timebox import timeboxed
from tests.fuzz.world import HELD_SSN, MARKER_NAME, assert_in_outbox, start_world

REPLY = re.compile(rb"^([2-5]\d\d)([ -])(.*)$", re.S)
GOODBYE = ("221", "421", "502")  # QUIT, a command over its limit, too many unknown commands
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module")


@pytest.fixture(scope="module")
def world(tmp_path_factory, log_tap):
    yield from start_world(tmp_path_factory, log_tap, smtp=True)


@pytest.fixture(scope="module")
def credentials(world):
    creds = world.client.ingress_credentials()
    return creds["username"], creds["password"], ssl.create_default_context(cafile=creds["ca_file"])


class Closed(Exception):
    pass


@dataclass
class Wire:
    """One SMTP session over a real socket, a line and its reply at a time."""

    sock: socket.socket
    replies: list[tuple[str, bytes]] = field(default_factory=list)
    buffer: bytes = b""

    @classmethod
    def open(cls, port: int) -> Wire:
        wire = cls(socket.create_connection(("127.0.0.1", port), timeout=30))
        wire.reply()  # the greeting
        return wire

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def reply(self) -> str:
        while True:
            line = self._line()
            match = REPLY.match(line)
            assert match, f"not an SMTP reply line: {line!r}"
            assert not line.startswith(b"500 Error: ("), f"an exception escaped to the client: {line!r}"
            if match.group(2) == b" ":
                code = match.group(1).decode()
                self.replies.append((code, match.group(3)))
                return code

    def send(self, line: bytes) -> str:
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def starttls(self, context: ssl.SSLContext) -> None:
        assert not self.buffer, "the server pipelined something before TLS"
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")

    def close(self) -> None:
        self.sock.close()


# --- what a session is made of -----------------------------------------------------------

COMMANDS = (
    "EHLO",
    "HELO",
    "NOOP",
    "RSET",
    "HELP",
    "VRFY",
    "EXPN",
    "MAIL",
    "RCPT",
    "DATA",
    "BDAT",
    "AUTH",
    "STARTTLS",
    "ehlo",
    "mail from:",
    "Rcpt To:",
    "XCLIENT",
    "PROXY",
    "ETRN",
    "TURN",
    "",
)
addresses = st.one_of(
    st.sampled_from((SENDER, *INTERNAL, *EXTERNAL, TLS_PARTNER, "", "<>", "a@b", "@", "x" * 300)), st.emails()
)
line_bytes = st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
command_lines = st.one_of(
    st.tuples(st.sampled_from(COMMANDS), st.one_of(line_bytes, addresses.map(str.encode))).map(
        lambda t: t[0].encode() + (b" " + t[1] if t[1] else b"")
    ),
    addresses.map(lambda a: f"MAIL FROM:<{a}>".encode()),
    st.tuples(
        addresses, st.sampled_from(("", " SIZE=10", " BODY=8BITMIME", " SMTPUTF8", " SIZE=x", " NOTIFY=NEVER"))
    ).map(lambda t: f"RCPT TO:<{t[0]}>{t[1]}".encode()),
    line_bytes,
    st.integers(500, 2000).map(lambda n: b"NOOP " + b"x" * n),  # over the 512-byte command limit
)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


@dataclass(frozen=True)
class Attempt:
    """An AUTH exchange; the right credentials are filled in when it is played."""

    mechanism: str  # PLAIN | PLAIN-continued | LOGIN | broken | abort | CRAM-MD5
    right: bool
    who: str = ""
    secret: str = ""
    broken: bytes = b""

    def lines(self, user: str, password: str) -> list[bytes]:
        who, secret = (user, password) if self.right else (self.who or user, self.secret)
        plain = b64(f"\0{who}\0{secret}".encode())
        return {
            "PLAIN": [b"AUTH PLAIN " + plain],
            "PLAIN-continued": [b"AUTH PLAIN", plain],
            "LOGIN": [b"AUTH LOGIN", b64(who.encode()), b64(secret.encode())],
            "broken": [b"AUTH PLAIN " + (self.broken or plain[:-2])],
            "abort": [b"AUTH LOGIN", b"*"],
            "CRAM-MD5": [b"AUTH CRAM-MD5", b64(b"whatever")],
        }[self.mechanism]


attempts = st.builds(
    Attempt,
    mechanism=st.sampled_from(("PLAIN", "PLAIN-continued", "LOGIN", "broken", "abort", "CRAM-MD5")),
    right=st.integers(0, 3).map(bool),
    who=st.sampled_from(("", "admin", "postseal ")),
    secret=st.text(max_size=20),
    broken=st.sampled_from((b"", b"!!!", b"====", b64(b"no-nul"))),
)


def data_lines(raw: bytes) -> list[bytes]:
    """The message as DATA lines: CRLF line ends, dots stuffed (RFC 5321 4.5.2)."""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return [b"." + line if line.startswith(b".") else line for line in lines]


def note(text: str) -> None:
    """A Hypothesis event for the statistics, when a session runs inside a property test."""
    if currently_in_test_context():
        event(text)


sessions = st.fixed_dictionaries(
    {
        "before_tls": st.lists(
            st.one_of(command_lines.map(lambda line: ("line", line)), attempts.map(lambda a: ("auth", a))), max_size=4
        ),
        "tls": st.integers(0, 9).map(bool),
        "auth": st.lists(attempts, min_size=1, max_size=2),
        "after_auth": st.lists(command_lines, max_size=4),
        "sender": st.one_of(st.just(SENDER), addresses),
        "recipients": st.lists(
            st.one_of(st.sampled_from((*INTERNAL, *EXTERNAL, TLS_PARTNER)), addresses), min_size=1, max_size=3
        ),
        "body": st.one_of(
            well_formed().map(lambda built: built.raw),
            any_message(nesting=40),
            st.just(
                f"From: {SENDER}\r\nTo: {EXTERNAL[0]}\r\nSubject: {MARKER_NAME}\r\n\r\nSSN {HELD_SSN}\r\n".encode()
            ),
        ),
        "quit": st.booleans(),
    }
)


def run_session(port: int, credentials: tuple[str, str, ssl.SSLContext], session: dict) -> list[str]:
    """Plays a session and returns the outbox ids it was answered 250 with. Asserts the
    rules as it goes."""
    user, password, context = credentials
    wire = Wire.open(port)
    authenticated = False
    accepted_ids: list[str] = []
    try:
        wire.send(b"EHLO workstation")
        for kind, item in session["before_tls"]:
            line = item if kind == "line" else item.lines(user, password)[0]
            code = wire.send(line)
            assert code not in ("235", "354"), f"{line!r} answered {code} before STARTTLS"
            assert not (line.upper().startswith(b"MAIL") and code == "250"), "MAIL accepted before STARTTLS"
            if line.upper().startswith(b"STARTTLS") and code == "220":
                wire.starttls(context)
                wire.send(b"EHLO workstation")
                break
        else:
            if not session["tls"]:
                return accepted_ids
            if wire.send(b"STARTTLS") != "220":
                return accepted_ids
            wire.starttls(context)
            wire.send(b"EHLO workstation")
        for attempt in session["auth"]:
            for line in attempt.lines(user, password):
                code = wire.send(line)
                if code != "334":
                    break
            authenticated = authenticated or code == "235"
        note("authenticated" if authenticated else "not authenticated")
        for line in session["after_auth"]:
            code = wire.send(line)
            if code == "354":  # random MAIL, RCPT and DATA lines opened a message
                wire.send(b".")
            elif code == "220":  # a second STARTTLS, accepted: the known quirk tested below
                return accepted_ids
        wire.send(b"RSET")
        code = wire.send(f"MAIL FROM:<{session['sender']}>".encode())
        if not authenticated:
            assert code == "530", f"MAIL answered {code} without AUTH"
            return accepted_ids
        if code != "250":
            return accepted_ids
        accepted = [r for r in session["recipients"] if wire.send(f"RCPT TO:<{r}>".encode()) == "250"]
        if wire.send(b"DATA") != "354":
            return accepted_ids
        assert accepted, "DATA accepted without a recipient"
        for line in data_lines(session["body"]):
            wire.sock.sendall(line + b"\r\n")
        code = wire.send(b".")
        note(f"DATA answered {code}")
        if code == "250":
            ident = re.search(rb"as ([0-9a-f]{16})", wire.replies[-1][1])
            assert ident, f"250 without an outbox id: {wire.replies[-1]!r}"
            accepted_ids.append(ident.group(1).decode())
        if session["quit"]:
            assert wire.send(b"QUIT") == "221"
    except Closed:
        last = wire.replies[-1][0] if wire.replies else None
        assert last in GOODBYE, f"the server closed the connection after {wire.replies[-1:]!r}"
    finally:
        wire.close()
    return accepted_ids


@timeboxed(share=1.0, batch=10)
@given(session=sessions)
def test_random_smtp_sessions_get_well_formed_replies_and_what_is_accepted_is_kept(
    world, credentials, log_tap, session
):
    for ident in run_session(world.running.smtp_port, credentials, session):
        assert_in_outbox(world, ident)
    # Every logger, aiosmtpd's "mail.log" too (the relay sink's own records are kept apart).
    assert log_tap.leaks() == []


def test_the_smtp_submission_writes_no_addresses_commands_or_content_to_mail_log(world, credentials, log_tap):
    start = len(log_tap.lines)
    session = {
        "before_tls": [],
        "tls": True,
        "auth": [Attempt("PLAIN", right=True)],
        "after_auth": [],
        "sender": SENDER,
        "recipients": [EXTERNAL[0]],
        "quit": True,
        "body": f"From: {SENDER}\r\nTo: {EXTERNAL[0]}\r\nSubject: x\r\n\r\nSSN {HELD_SSN} {MARKER_NAME}\r\n".encode(),
    }
    run_session(world.running.smtp_port, credentials, session)
    assert log_tap.leaks(markers=(HELD_SSN, MARKER_NAME, EXTERNAL[0]), since=start) == []


def test_a_second_starttls_inside_tls_is_refused(world, credentials):
    wire = Wire.open(world.running.smtp_port)
    try:
        wire.send(b"EHLO workstation")
        assert wire.send(b"STARTTLS") == "220"
        wire.starttls(credentials[2])
        wire.send(b"EHLO workstation")
        assert wire.send(b"STARTTLS") in ("503", "454")
    finally:
        wire.close()
