"""Fail closed, lose nothing: every failure ends deferred, held or failed with a reason."""

import json
import socket

from aiosmtpd.controller import Controller

from agent.demo_world import SmtpSink, free_port
from tests.conftest import SAMPLES, run_cli

TLS_SAMPLE = SAMPLES / "04-billing-claim-tls.eml"
PORTAL_SAMPLE = SAMPLES / "03-patient-followup.eml"
INTERNAL_SAMPLE = SAMPLES / "01-internal-note.eml"


def send(home, sample, timeout="3"):
    result = run_cli("send", str(sample), "--wait", "--timeout", timeout, "--json", home=home)
    return result, json.loads(result.stdout) if result.stdout else None


def test_unreachable_relay_defers_with_a_reason(start_agent, home):
    dead = free_port()
    start_agent(dead)
    result, record = send(home, INTERNAL_SAMPLE)
    assert result.returncode == 1
    assert record["state"] == "deferred"
    assert f"127.0.0.1:{dead} not reachable" in record["recipients"][0]["reason"]
    assert record["recipients"][0]["waiting_for_network"]
    assert b"stays in the outbox" in result.stderr


def test_relay_without_starttls_never_gets_a_tls_only_copy(start_agent, home):
    with SmtpSink(ca=None) as plain:  # no STARTTLS offered at all
        start_agent(plain.port, relay={"starttls": "off"})
        result, record = send(home, TLS_SAMPLE)
        assert record["state"] == "deferred"
        assert "does not offer STARTTLS" in record["reason"] and "nothing was sent in clear" in record["reason"]
        assert plain.received == []


def test_required_starttls_refused_by_the_relay_holds_back_everything(start_agent, home):
    with SmtpSink(ca=None) as plain:
        start_agent(plain.port, relay={"starttls": "required"})
        _, record = send(home, INTERNAL_SAMPLE)
        assert record["state"] == "deferred" and "relay.starttls is 'required'" in record["reason"]
        assert plain.received == []


def test_relay_certificate_that_does_not_verify_stops_tls_only_delivery(start_agent, sink, home):
    start_agent(sink.port, relay={"ca_file": ""})  # the test CA is not trusted now
    _, record = send(home, TLS_SAMPLE)
    assert record["state"] == "deferred" and "certificate not verified" in record["reason"]
    assert sink.received == []


class _Refusing:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("nurse"):
            return "550 5.1.1 <nurse.patel@valleyclinic.example>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: queued as R1"


def test_a_refused_recipient_fails_with_the_relay_reply(start_agent, home):
    port = free_port()
    controller = Controller(_Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        start_agent(port, relay={"starttls": "off"})
        result, record = send(home, INTERNAL_SAMPLE)
        assert result.returncode == 1
        assert record["state"] == "failed"
        assert "550 5.1.1" in record["recipients"][0]["reason"]
    finally:
        controller.stop()


def test_unreachable_portal_defers_and_sends_nothing(start_agent, sink, home):
    # An agent with a credential (here an earlier release's shared token) whose portal is down.
    start_agent(
        sink.port,
        portal={
            "url": f"http://127.0.0.1:{free_port()}",
            "embedded": False,
            "upload_token": "a-token-from-an-earlier-release",
        },
    )
    _, record = send(home, PORTAL_SAMPLE, timeout="20")  # the upload is retried (backoff) before deferring
    assert record["state"] == "deferred" and "not reachable" in record["reason"]
    assert sink.received == []


def test_an_agent_not_yet_enrolled_defers_portal_mail_and_says_how_to_enrol(start_agent, sink, home):
    start_agent(sink.port, portal={"url": f"http://127.0.0.1:{free_port()}", "embedded": False})
    _, record = send(home, PORTAL_SAMPLE)
    assert record["state"] == "deferred" and "not enrolled" in record["reason"]
    assert "postseal portal enroll" in record["reason"]
    assert sink.received == []


def test_bad_input_gets_exit_2_and_one_line(start_agent, sink, home, tmp_path):
    start_agent(sink.port)
    broken = tmp_path / "broken.eml"
    broken.write_bytes(b"From: a@x.example\r\nTo: b@y.example\r\nContent-Type: multipart/mixed\r\n\r\nbody\r\n")
    result = run_cli("send", str(broken), home=home)
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1 and b"malformed MIME" in result.stderr
    assert b"Traceback" not in result.stderr

    result = run_cli("send", str(tmp_path / "missing.eml"), home=home)
    assert result.returncode == 2 and b"missing.eml: no such file" in result.stderr

    bad_rcpt = tmp_path / "rcpt.eml"
    bad_rcpt.write_bytes(b"From: a@x.example\r\nTo: someone at clinic\r\n\r\nhi\r\n")
    result = run_cli("send", str(bad_rcpt), home=home)
    assert result.returncode == 2 and b"not a valid e-mail address" in result.stderr


def test_a_key_gpg_rejects_is_a_clear_error(home, tmp_path):
    junk = tmp_path / "junk.asc"
    junk.write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n")
    result = run_cli("keys", "import", str(junk), home=home)
    assert result.returncode == 2 and b"gpg could not import a key" in result.stderr
    assert b"Traceback" not in result.stderr


def test_no_agent_running_is_exit_4(home):
    result = run_cli("send", str(INTERNAL_SAMPLE), home=home)
    assert result.returncode == 4 and b"postseal agent" in result.stderr
    result = run_cli("outbox", home=home)
    assert result.returncode == 4


def test_unknown_config_key_stops_the_agent_with_exit_2(home):
    (home / "config.toml").write_text('[relay]\nhots = "mail.example"\n')
    result = run_cli("agent", home=home, timeout=30)
    assert result.returncode == 2
    assert b"line 2: unknown key 'hots' in [relay]" in result.stderr
    assert b"Traceback" not in result.stderr


def test_port_in_use_is_a_clear_start_error(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        (home / "config.toml").write_text(f'[portal]\nurl = "http://127.0.0.1:{port}"\n')
        result = run_cli("agent", home=home, timeout=30)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}".encode() in result.stderr
    assert b"Traceback" not in result.stderr
