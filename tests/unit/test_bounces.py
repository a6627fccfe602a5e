"""Parsing delivery status notifications (RFC 3464) as relays write them, and hostile ones."""

import pytest

from agent import bounces, webhooks

POSTFIX = b"""From: MAILER-DAEMON@relay.clinic.test (Mail Delivery System)\r
Subject: Undelivered Mail Returned to Sender\r
Auto-Submitted: auto-replied\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status;\r
\tboundary="9F1A.1700000000/relay.clinic.test"\r
\r
--9F1A.1700000000/relay.clinic.test\r
Content-Description: Notification\r
Content-Type: text/plain; charset=us-ascii\r
\r
This is the mail system at host relay.clinic.test.\r
\r
--9F1A.1700000000/relay.clinic.test\r
Content-Description: Delivery report\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; relay.clinic.test\r
X-Postfix-Queue-ID: 9F1A\r
Original-Envelope-Id: 5f2c9a0b1d3e4f60\r
Arrival-Date: Wed, 25 Nov 2026 10:00:00 -0500 (EST)\r
\r
Final-Recipient: rfc822; bob@partner.test\r
Original-Recipient: rfc822;Bob@Partner.test\r
Action: failed\r
Status: 5.1.1\r
Remote-MTA: dns; mx.partner.test\r
Diagnostic-Code: smtp; 550 5.1.1 <bob@partner.test>: Recipient address\r
    rejected: User unknown in local recipient table\r
\r
Final-Recipient: rfc822; carol@partner.test\r
Action: delayed\r
Status: 4.4.1\r
Diagnostic-Code: X-Postfix; connect to mx.partner.test: Connection timed out\r
\r
--9F1A.1700000000/relay.clinic.test\r
Content-Description: Undelivered Message Headers\r
Content-Type: text/rfc822-headers\r
\r
From: Dr. Chen <dr.chen@clinic.test>\r
Subject: Labs for Robert Alvarez\r
Message-ID: <20261125.labs@clinic.test>\r
\r
--9F1A.1700000000/relay.clinic.test--\r
"""


def test_a_postfix_bounce_gives_each_recipient_its_status_and_the_original_id():
    report = bounces.parse(POSTFIX)
    assert (report.envelope_id, report.message_id, report.reporting_mta) == (
        "5f2c9a0b1d3e4f60",
        "20261125.labs@clinic.test",
        "dns; relay.clinic.test",
    )
    bob, carol = report.recipients
    assert (bob.address, bob.action, bob.status, bob.failed) == ("bob@partner.test", "failed", "5.1.1", True)
    assert bob.diagnostic == (
        "smtp; 550 5.1.1 <bob@partner.test>: Recipient address rejected: User unknown in local recipient table"
    )
    assert (carol.address, carol.action, carol.failed) == ("carol@partner.test", "delayed", False)


def test_nothing_of_the_returned_message_but_its_id_comes_out():
    report = bounces.parse(POSTFIX)
    assert "Alvarez" not in repr(report)


def test_utf8_addresses_are_decoded():
    raw = POSTFIX.replace(
        b"Original-Recipient: rfc822;Bob@Partner.test", b"Original-Recipient: utf-8; j\\x{F6}rg@partner.test"
    )
    assert bounces.parse(raw).recipients[0].address == "j\u00f6rg@partner.test"


def test_a_hostile_diagnostic_is_one_bounded_line():
    raw = POSTFIX.replace(b"Status: 5.1.1\r\n", b"Status: 5.1.1\r\nX-Junk: 1\r\n").replace(
        b"smtp; 550 5.1.1", b"smtp; 550 " + b"A" * 100_000 + b"\x07\x1b[31m"
    )
    diagnostic = bounces.parse(raw).recipients[0].diagnostic
    assert len(diagnostic) <= 300 and "\x1b" not in diagnostic and "\n" not in diagnostic


@pytest.mark.parametrize(
    "raw, why",
    [
        (b"Subject: hello\r\n\r\nnot a report\r\n", "expected a multipart/report"),
        (
            b"Content-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n\r\n--x\r\n"
            b"Content-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; bob@partner.test\r\n"
            b"Disposition: manual-action/MDN-sent-manually; displayed\r\n--x--\r\n",
            "not delivery-status",
        ),
        (
            POSTFIX.replace(b"Content-Type: message/delivery-status", b"Content-Type: text/plain"),
            "no message/delivery-status part",
        ),
        (
            POSTFIX.replace(b"Action: failed", b"Action: exploded").replace(b"Action: delayed", b"Action: exploded"),
            "valid Action",
        ),
        (
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n"
            b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; a\r\n--x--\r\n",
            "no per-recipient fields",
        ),
        (b"\xff\xfe\x00garbage", "expected a multipart/report"),
    ],
)
def test_what_is_not_a_usable_dsn_says_why(raw, why):
    with pytest.raises(bounces.NotADsn, match=why):
        bounces.parse(raw)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://localhost/x", "http://[::1]:9/x", "http://127.8.9.10/"]
)
def test_loopback_callbacks_are_accepted(url):
    assert webhooks.validate_url(url) == url


def test_signatures_bind_body_secret_and_time():
    body = b'{"type": "recipient.delivered"}'
    header = webhooks.signature("k", body, 1_800_000_000)
    assert webhooks.verify("k", body, header, now=1_800_000_010)
    assert not webhooks.verify("k", body + b" ", header, now=1_800_000_010)
    assert not webhooks.verify("k", body, header, now=1_800_000_000 + 3600)  # a replay an hour later
    assert not webhooks.verify("k", body, "t=abc,v1=00")


# --- what real relays send that the first parser refused ------------------------------------


def test_a_blank_line_after_the_last_recipient_group_is_no_empty_recipient():
    # Amazon SES, Exchange 2007 and Office 365 end the status part with one more blank line.
    raw = POSTFIX.replace(b"Connection timed out\r\n\r\n", b"Connection timed out\r\n\r\n\r\n\r\n")
    assert [r.address for r in bounces.parse(raw).recipients] == ["bob@partner.test", "carol@partner.test"]


def test_per_message_fields_run_into_the_first_recipient_group():
    raw = POSTFIX.replace(
        b"Arrival-Date: Wed, 25 Nov 2026 10:00:00 -0500 (EST)\r\n\r\n",
        b"Arrival-Date: Wed, 25 Nov 2026 10:00:00 -0500 (EST)\r\n",
    )
    report = bounces.parse(raw)
    assert report.reporting_mta == "dns; relay.clinic.test"
    assert [r.address for r in report.recipients] == ["bob@partner.test", "carol@partner.test"]


def test_the_status_code_leaves_its_comment_behind():
    raw = POSTFIX.replace(b"Status: 5.1.1\r\n", b"Status: 5.0.0 (permanent failure)\r\n")
    assert bounces.parse(raw).recipients[0].status == "5.0.0"


@pytest.mark.parametrize("status", [b"", b"permanent", b"5.1", b"9.1.1", b"5.1.1000"])
def test_a_status_outside_the_grammar_is_left_empty(status):
    raw = POSTFIX.replace(b"Status: 5.1.1\r\n", b"Status: " + status + b"\r\n")
    failed = bounces.parse(raw).recipients[0]
    assert failed.status == "" and failed.failed


SMTPUTF8 = """Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r
\r
--b\r
Content-Type: text/plain; charset=utf-8\r
\r
Delivery failed.\r
--b\r
Content-Type: message/global-delivery-status\r
{encoding}\r
{body}\r
--b\r
Content-Type: message/global-headers\r
\r
Message-ID: <labs.7@clinic.test>\r
Subject: Befund für Jörg\r
\r
--b--\r
"""
GLOBAL_FIELDS = (
    "Reporting-MTA: dns; relay.clinic.test\r\n\r\n"
    "Final-Recipient: utf-8; jörg@bücher.test\r\nAction: failed\r\n"
    "Status: 5.1.1 (no such user)\r\nDiagnostic-Code: smtp; 550 5.1.1 jörg unbekannt\r\n\r\n"
    "Original-Recipient: rfc822; ann@partner.test\r\nFinal-Recipient: rfc822; ann@partner.test\r\n"
    "Action: delayed\r\nStatus: 4.4.1\r\n\r\n"
)


@pytest.mark.parametrize("encoding", ["8bit", "base64", "quoted-printable"])
def test_an_smtputf8_bounce_gives_its_utf8_addresses_back(encoding):
    import base64
    import quopri

    body = GLOBAL_FIELDS.encode()
    encoded = {"8bit": body, "base64": base64.encodebytes(body), "quoted-printable": quopri.encodestring(body)}[
        encoding
    ]
    raw = SMTPUTF8.format(encoding=f"Content-Transfer-Encoding: {encoding}\r\n", body="@@").encode()
    raw = raw.replace(b"@@", encoded)
    report = bounces.parse(raw)
    assert report.message_id == "labs.7@clinic.test"
    (jorg, ann) = report.recipients
    assert (jorg.address, jorg.status, jorg.failed) == ("jörg@bücher.test", "5.1.1", True)
    assert "\ufffd" not in jorg.diagnostic and jorg.diagnostic.endswith("jörg unbekannt")
    assert (ann.address, ann.action) == ("ann@partner.test", "delayed")


def test_raw_utf8_in_a_plain_delivery_status_part_is_read_as_utf8():
    raw = POSTFIX.replace(
        b"Final-Recipient: rfc822; carol@partner.test", "Final-Recipient: utf-8; cärol@partner.test".encode()
    )
    assert bounces.parse(raw).recipients[1].address == "cärol@partner.test"


# --- bounces that are no RFC 3464 report: read by their wording (flufl.bounce) ---------------

QMAIL = b"""From: MAILER-DAEMON@relay.clinic.test\r
To: dr.chen@clinic.test\r
Subject: failure notice\r
\r
Hi. This is the qmail-send program at relay.clinic.test.\r
I'm afraid I wasn't able to deliver your message to the following addresses.\r
This is a permanent error; I've given up. Sorry it didn't work out.\r
\r
<bob@partner.test>:\r
192.0.2.7 does not like recipient.\r
Remote host said: 550 5.1.1 <bob@partner.test>: Recipient address rejected\r
Giving up on 192.0.2.7.\r
\r
--- Below this line is a copy of the message.\r
\r
Return-Path: <dr.chen@clinic.test>\r
From: Dr. Chen <dr.chen@clinic.test>\r
To: bob@partner.test\r
Subject: Labs for Robert Alvarez\r
Message-ID: <20261125.labs@clinic.test>\r
\r
Potassium 5.9 for Robert Alvarez.\r
"""


def test_a_text_bounce_names_its_failed_recipient_and_the_quoted_message_id():
    report = bounces.parse(QMAIL)
    assert report.source == "wording" and report.message_id == "20261125.labs@clinic.test"
    (bob,) = report.recipients
    assert (bob.address, bob.action, bob.failed, bob.status) == ("bob@partner.test", "failed", True, "")
    assert "Alvarez" not in repr(report)


def test_a_text_bounce_that_attaches_the_original_gives_its_message_id():
    raw = (
        b"Content-Type: multipart/mixed; boundary=m\r\nSubject: failure notice\r\n\r\n--m\r\n"
        b"Content-Type: text/plain\r\n\r\n"
        + QMAIL.split(b"--- Below")[0].split(b"\r\n\r\n", 1)[1]
        + b"\r\n--m\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <attached.1@clinic.test>\r\n"
        b"Subject: x\r\n\r\nbody\r\n--m--\r\n"
    )
    report = bounces.parse(raw)
    assert report.message_id == "attached.1@clinic.test" and [r.address for r in report.recipients] == [
        "bob@partner.test"
    ]


def test_a_malformed_report_is_read_by_its_wording_as_far_as_it_goes():
    # Bob's action is no action: his line says nothing, Carol's delay is still read.
    report = bounces.parse(POSTFIX.replace(b"Action: failed", b"Action: exploded"))
    assert report.source == "wording"
    assert [(r.address, r.action) for r in report.recipients] == [("carol@partner.test", "delayed")]


@pytest.mark.parametrize(
    "raw",
    [
        b"From: ann@partner.test\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\n"
        b"I am away until Monday; write to bob@partner.test meanwhile.\r\n",
        b"Subject: hello\r\n\r\nnot a report\r\n",
    ],
)
def test_mail_that_names_no_failure_is_still_not_a_bounce(raw):
    with pytest.raises(bounces.NotADsn, match="names no failed recipient"):
        bounces.parse(raw)


def test_a_text_bounce_is_read_from_its_start_however_long_the_returned_message():
    from agent import bounce_wording

    long = QMAIL + b"Potassium 5.9 for Robert Alvarez.\r\n" * (bounce_wording.READ_BYTES // 20)
    report = bounces.parse(long)
    assert [r.address for r in report.recipients] == ["bob@partner.test"]
    assert report.message_id == "20261125.labs@clinic.test"
