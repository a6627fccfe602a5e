"""`postseal bounce` with the bounces real relays send (issue 20): a report ending in a blank
line, a status with its comment, and a bounce that is no RFC 3464 report at all."""

import json

from agent.api.client import AgentClient
from tests.conftest import SAMPLES, run_cli

INTERNAL = SAMPLES / "01-internal-note.eml"
NURSE = "nurse.patel@valleyclinic.example"


def _delivered(start_agent, sink) -> tuple[AgentClient, str]:
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=20)
    ident = client.submit(INTERNAL.read_bytes()).id
    assert client.wait(ident)["state"] == "delivered"
    return client, ident


def test_a_report_with_a_trailing_blank_line_and_a_commented_status_fails_the_recipient(start_agent, sink, home):
    client, ident = _delivered(start_agent, sink)
    report = sink.bounce(sink.to(NURSE)[0], NURSE, status="5.1.1 (permanent failure)")
    report = report.replace(
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n",
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n\r\n",
    )
    path = home / "ses.eml"
    path.write_bytes(report)
    result = run_cli("bounce", str(path), "--json", home=home)
    assert result.returncode == 0, result.stderr
    (recipient,) = json.loads(result.stdout)["recipients"]
    assert (recipient["address"], recipient["status"], recipient["state"]) == (NURSE, "5.1.1", "failed")
    assert client.message(ident)["state"] == "failed"


def test_a_text_bounce_is_matched_by_the_message_id_it_quotes(start_agent, sink, home):
    client, ident = _delivered(start_agent, sink)
    received = sink.to(NURSE)[0]
    headers = received.data[: received.data.find(b"\r\n\r\n")]
    text = (
        b"From: MAILER-DAEMON@relay.test\r\nTo: " + received.mail_from.encode() + b"\r\n"
        b"Subject: failure notice\r\n\r\n"
        b"Hi. This is the qmail-send program at relay.test.\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        b"<" + NURSE.encode() + b">:\r\nRemote host said: 550 5.1.1 No such mailbox\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n" + headers + b"\r\n\r\n"
    )
    path = home / "qmail.eml"
    path.write_bytes(text)
    result = run_cli("bounce", str(path), "--json", home=home)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["id"] == ident and [(r["address"], r["state"]) for r in answer["recipients"]] == [(NURSE, "failed")]
    record = client.message(ident)
    assert record["state"] == "failed" and "read from the bounce's text" in record["recipients"][0]["reason"]


def test_an_smtputf8_bounce_names_its_utf8_recipients_as_written(start_agent, sink, home):
    client, ident = _delivered(start_agent, sink)
    received = sink.to(NURSE)[0]
    message_id = received.message["Message-ID"]
    fields = (
        f"Reporting-MTA: dns; relay.test\r\n\r\n"
        f"Final-Recipient: rfc822; {NURSE}\r\nAction: failed\r\nStatus: 5.2.2 (mailbox full)\r\n\r\n"
        "Final-Recipient: utf-8; jörg@bücher.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    ).encode()
    report = (
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="g"\r\n\r\n'
        b"--g\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n"
        b"--g\r\nContent-Type: message/global-delivery-status\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + fields
        + b"--g\r\nContent-Type: message/global-headers\r\n\r\nMessage-ID: "
        + message_id.encode()
        + b"\r\n\r\n--g--\r\n"
    )
    path = home / "global.eml"
    path.write_bytes(report)
    result = run_cli("bounce", str(path), "--json", home=home)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["id"] == ident and answer["unmatched"] == ["jörg@bücher.test"]
    assert [(r["address"], r["status"], r["state"]) for r in answer["recipients"]] == [(NURSE, "5.2.2", "failed")]
    text = run_cli("bounce", str(path), home=home)
    assert "jörg@bücher.test" in text.stdout.decode() and "\ufffd" not in text.stdout.decode()
