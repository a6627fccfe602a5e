"""The local SMTP submission, driven by clients that are not ours: Python's smtplib and
swaks. STARTTLS against the per-install CA, AUTH required, a hold answered with a 5xx that
says why, and the message then in the outbox, held."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import sys

import pytest

from agent.api.client import AgentClient
from agent.demo_world import free_port
from tests.conftest import SAMPLES
from tests.portal_pg import as_nobody

INTERNAL = SAMPLES / "01-internal-note.eml"
SSN = SAMPLES / "05-disability-form-ssn.eml"
PORTAL = SAMPLES / "03-patient-followup.eml"


@pytest.fixture
def ingress(start_agent, sink, home):
    running = start_agent(sink.port, ingress={"smtp_port": free_port()})
    client = AgentClient(running.api_url, running.token, timeout=30)
    creds = client.ingress_credentials()
    context = ssl.create_default_context(cafile=creds["ca_file"])
    return running, client, creds, context


def session(running, creds, context) -> smtplib.SMTP:
    smtp = smtplib.SMTP("127.0.0.1", running.smtp_port, local_hostname="workstation", timeout=60)
    smtp.starttls(context=context)
    smtp.login(creds["username"], creds["password"])
    return smtp


def test_credentials_name_the_running_port_and_the_cli_prints_them(ingress, home):
    running, _, creds, _ = ingress
    assert (creds["host"], creds["port"], creds["security"], creds["username"]) == (
        "127.0.0.1",
        running.smtp_port,
        "STARTTLS",
        "postseal",
    )
    assert len(creds["password"]) == 36
    out = subprocess.run(
        [sys.executable, "-m", "agent.cli", "ingress", "credentials", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTSEAL_HOME": str(home)},
        timeout=60,
    )
    assert out.returncode == 0 and json.loads(out.stdout) == creds
    assert json.loads((home / "agent.json").read_text())["smtp_port"] == running.smtp_port


def test_no_auth_before_tls_no_mail_before_auth_and_a_wrong_password_is_refused(ingress):
    running, client, creds, context = ingress
    with smtplib.SMTP("127.0.0.1", running.smtp_port, timeout=60) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls") and not smtp.has_extn("auth")  # no password in clear, even on loopback
        code, text = smtp.mail("dr.chen@valleyclinic.example")
        assert code == 530 and b"STARTTLS" in text
        smtp.starttls(context=context)  # verifies against the install's CA, name localhost
        smtp.ehlo()
        assert smtp.has_extn("auth")
        code, _ = smtp.mail("dr.chen@valleyclinic.example")
        assert code == 530  # authentication required
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.login(creds["username"], "guess" + creds["password"][5:])
        assert refused.value.smtp_code == 535
    assert client.outbox() == []


def test_accepted_mail_is_protected_and_delivered_and_a_hold_is_a_5xx_that_says_why(ingress, sink):
    running, client, creds, context = ingress
    with session(running, creds, context) as smtp:
        smtp.sendmail("dr.chen@valleyclinic.example", ["nurse.kim@valleyclinic.example"], INTERNAL.read_bytes())
        smtp.sendmail("dr.chen@valleyclinic.example", ["jordan.miles@familymail.example"], PORTAL.read_bytes())
        with pytest.raises(smtplib.SMTPDataError) as held:
            smtp.sendmail("dr.chen@valleyclinic.example", ["records@statedisability.example"], SSN.read_bytes())
    assert held.value.smtp_code == 554
    text = held.value.smtp_error.decode()
    assert text.startswith("5.7.1 Held for review by Postseal: This message contains a Social Security number")
    states = {m["state"] for m in client.outbox()}
    assert len(client.outbox()) == 3 and "held" in states
    for message in client.outbox():
        if message["state"] != "held":
            assert client.wait(message["id"])["state"] == "delivered"
    # The envelope decides who gets it: the internal note went to the one RCPT TO given.
    internal = [m for m in client.outbox() if m["recipients"][0]["address"] == "nurse.kim@valleyclinic.example"]
    assert len(internal) == 1 and len(internal[0]["recipients"]) == 1
    assert not any(b"512-44-8721" in m.data for m in sink.received)


@pytest.mark.skipif(not shutil.which("swaks"), reason="swaks (apt) is installed by make test")
def test_swaks_submits_over_starttls_and_sees_the_hold(ingress, tmp_path):
    running, client, creds, _ = ingress

    def swaks(sample, to):
        return subprocess.run(
            [
                "swaks",
                "--server",
                "127.0.0.1",
                "--port",
                str(running.smtp_port),
                "--tls",
                "--tls-verify",
                "--tls-ca-path",
                creds["ca_file"],
                "--tls-sni",
                "localhost",
                "--ehlo",
                "workstation",
                "--auth",
                "PLAIN",
                "--auth-user",
                creds["username"],
                "--auth-password",
                creds["password"],
                "--from",
                "dr.chen@valleyclinic.example",
                "--to",
                to,
                "--data",
                f"@{sample}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = swaks(INTERNAL, "nurse.kim@valleyclinic.example")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "<~  250 2.0.0 Accepted by Postseal as" in ok.stdout
    held = swaks(SSN, "records@statedisability.example")
    assert held.returncode != 0
    assert "554 5.7.1 Held for review by Postseal: This message contains a Social Security number" in held.stdout
    again = swaks(SSN, "records@statedisability.example")  # sent twice: one held message, not two
    assert "554 5.7.1 Held for review" in again.stdout
    assert sorted(m["state"] for m in client.outbox())[-1] == "held" and len(client.outbox()) == 2


@pytest.mark.skipif(
    not hasattr(os, "getuid")
    or os.getuid() != 0
    or not os.path.exists("/usr/bin/python3")
    or not os.path.exists("/proc/net/tcp"),
    reason="needs root (to act as a second local user) and a system python3",
)
def test_another_user_of_this_computer_gets_no_greeting(ingress):
    running, *_ = ingress
    code = (
        "import smtplib, sys\n"
        "try:\n"
        "    smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30)\n"
        "except smtplib.SMTPConnectError as exc:\n"
        "    print(exc.smtp_code, exc.smtp_error.decode())\n"
    )
    out = subprocess.run(
        as_nobody(["/usr/bin/python3", "-I", "-c", code, str(running.smtp_port)]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.startswith("554 5.7.1 This Postseal agent belongs to another user"), out


# --- what a hostile or broken client leaves behind --------------------------------------


def plain(user: str, password: str) -> str:
    """One AUTH PLAIN attempt (smtplib.login tries PLAIN, then LOGIN: two attempts)."""
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


SSN_VALUE = "078-05-1120"  # in junk commands
HELD_SSN = "512-44-8721"  # in the message: a number the detector takes for real, so it is held


def test_a_hostile_session_leaves_no_address_and_no_content_in_the_log(ingress, caplog):
    running, client, creds, context = ingress
    caplog.set_level(logging.DEBUG)  # the most an admin could ask for
    caplog.set_level(logging.DEBUG, logger="mail.log")  # even aimed at the SMTP library itself
    addresses = ["jane.doe@familymail.example", "records@statedisability.example", "dr.chen@valleyclinic.example"]
    smtp = smtplib.SMTP("127.0.0.1", running.smtp_port, local_hostname="workstation", timeout=60)
    smtp.docmd(f"SSN: {SSN_VALUE} Jane Doe")  # junk before TLS, verbatim in aiosmtpd's log today
    smtp.starttls(context=context)
    smtp.ehlo("workstation")
    smtp.docmd(f"PATIENT Jane Doe SSN {SSN_VALUE}")
    with pytest.raises(smtplib.SMTPAuthenticationError):
        smtp.login(creds["username"], f"Jane Doe {SSN_VALUE}")
    smtp.login(creds["username"], creds["password"])
    message = (
        f"From: {addresses[2]}\r\nTo: {addresses[1]}\r\nSubject: Jane Doe\r\n\r\nClaimant Jane Doe, SSN {HELD_SSN}.\r\n"
    ).encode()
    with pytest.raises(smtplib.SMTPDataError) as held:
        smtp.sendmail(addresses[2], addresses[:2], message)
    assert held.value.smtp_code == 554
    smtp.docmd(f"RCPT TO:<{addresses[0]}> NOTIFY=Jane.Doe")
    smtp.quit()
    assert client.outbox()[0]["state"] == "held"
    text = caplog.text
    assert "local SMTP: message" in text and "held for review" in text  # the agent's own line
    for secret in (
        SSN_VALUE,
        SSN_VALUE.replace("-", ""),
        HELD_SSN,
        "Jane",
        "PATIENT",
        "Claimant",
        creds["password"],
        plain(creds["username"], creds["password"]),
        *addresses,
        "familymail",
        "statedisability",
    ):
        assert secret not in text, f"{secret!r} reached the log"


def test_wrong_passwords_lock_logins_out_even_for_the_right_one(ingress):
    running, client, creds, context = ingress
    for attempt in range(5):  # spread over sessions, as a guessing loop would
        with smtplib.SMTP("127.0.0.1", running.smtp_port, timeout=60) as smtp:
            smtp.starttls(context=context)
            smtp.ehlo()
            assert smtp.docmd("AUTH", f"PLAIN {plain('postseal', f'guess-{attempt}')}")[0] == 535
    with smtplib.SMTP("127.0.0.1", running.smtp_port, timeout=60) as smtp:
        smtp.starttls(context=context)
        with pytest.raises(smtplib.SMTPAuthenticationError) as locked:
            smtp.login(creds["username"], creds["password"])
    assert locked.value.smtp_code == 454
    assert re.match(r"4\.7\.0 Too many failed logins; try again in \d+ seconds", locked.value.smtp_error.decode())


def test_three_wrong_passwords_end_the_session(ingress):
    running, client, creds, context = ingress
    smtp = smtplib.SMTP("127.0.0.1", running.smtp_port, timeout=60)
    smtp.starttls(context=context)
    smtp.ehlo()
    for attempt in range(3):
        assert smtp.docmd("AUTH", f"PLAIN {plain('postseal', f'guess-{attempt}')}")[0] == 535
    code, text = smtp.getreply()  # what the server said as it hung up
    assert (code, text[:9]) == (421, b"4.7.0 Too")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        smtp.noop()


def test_a_display_name_in_raw_utf8_is_delivered_and_one_in_other_bytes_is_refused_at_once(ingress, sink):
    running, client, creds, context = ingress
    portal = "jordan.miles@familymail.example"
    good = (
        'From: "Dr. Chén" <dr.chen@valleyclinic.example>\r\n'
        f"To: {portal}\r\nSubject: follow-up\r\n\r\nSee you Tuesday.\r\n"
    ).encode()
    bad = good.replace("Chén".encode(), b"Ch\xe9n")  # Latin-1, not UTF-8
    with session(running, creds, context) as smtp:
        smtp.sendmail("dr.chen@valleyclinic.example", [portal], good)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("dr.chen@valleyclinic.example", [portal], bad)
    assert refused.value.smtp_code == 554
    assert refused.value.smtp_error.decode().startswith(
        "5.6.0 Postseal cannot read this message: From header: not valid UTF-8"
    )
    [accepted] = client.outbox()
    record = client.wait(accepted["id"])
    assert record["state"] == "delivered", record  # not "internal error; will retry" for five days
    notice = next(r for r in sink.received if r.recipients == (portal,))
    assert notice.message["From"].addresses[0].display_name.startswith("Dr. Chén")


def test_a_message_id_reused_for_other_content_is_refused_not_dropped(ingress):
    running, client, creds, context = ingress
    first = INTERNAL.read_bytes()
    other = first.replace(b"\n\n", b"\n\nA different message.\n", 1)
    with session(running, creds, context) as smtp:
        smtp.sendmail("dr.chen@valleyclinic.example", ["nurse.kim@valleyclinic.example"], first)
        again = smtp.sendmail("dr.chen@valleyclinic.example", ["nurse.kim@valleyclinic.example"], first)
        assert again == {}  # the same message twice: accepted, queued once
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("dr.chen@valleyclinic.example", ["nurse.kim@valleyclinic.example"], other)
    assert refused.value.smtp_code == 554
    assert "already belongs to a different message" in refused.value.smtp_error.decode()
    assert len(client.outbox()) == 1
