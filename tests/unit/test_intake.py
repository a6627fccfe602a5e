import base64
from pathlib import Path

import pytest

from agent.intake import MAX_MIME_DEPTH, BadMessage, content_digest, parse, without_bcc
from agent.policy.inspect import inspect_message

GOOD = (
    b"From: Dr. Chen <dr.chen@valleyclinic.example>\r\nTo: a@x.example\r\nCc: b@y.example\r\n"
    b"Bcc: hidden@z.example\r\nSubject: hi\r\n\r\nhello\r\n"
)


def test_recipients_come_from_to_cc_and_bcc_and_ids_are_filled_in():
    intake = parse(GOOD)
    assert intake.sender == "dr.chen@valleyclinic.example"
    assert intake.recipients == ("a@x.example", "b@y.example", "hidden@z.example")
    assert intake.message_id and "Date" in intake.message


def test_bcc_never_leaves_in_the_copy():
    copy = without_bcc(parse(GOOD).message)
    assert "Bcc" not in copy and b"hidden@z.example" not in copy.as_bytes()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "empty"),
        (b"just some text without headers", "no RFC 822 headers|From header"),
        (b"To: a@x.example\r\n\r\nbody", "From header"),
        (b"From: a@x.example\r\n\r\nbody", "no recipients"),
        (b"From: a@x.example\r\nTo: not-an-address\r\n\r\nbody", "'not-an-address' is not a valid"),
        (b"From: a@x.example\r\nTo: b@x.example\r\nContent-Type: multipart/mixed\r\n\r\nbody", "malformed MIME"),
        (
            b"From: a@x.example\r\nTo: b@x.example\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here",
            "malformed MIME",
        ),
    ],
)
def test_bad_messages_are_refused_with_a_reason(raw, problem):
    with pytest.raises(BadMessage, match=problem):
        parse(raw)


def test_oversized_message_is_refused(monkeypatch):
    import agent.intake as intake

    monkeypatch.setattr(intake, "MAX_MESSAGE_BYTES", 1000)
    with pytest.raises(BadMessage, match="limit"):
        parse(GOOD + b"x" * 2000)


def nested(depth: int) -> bytes:
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    return b"From: a@x.example\r\nTo: b@x.example\r\n" + opening + b"Content-Type: text/plain\r\n\r\nhi\r\n" + closing


def test_parts_nested_past_the_limit_are_refused_without_a_recursion_error():
    assert parse(nested(MAX_MIME_DEPTH - 1)).message.is_multipart()
    for depth in (MAX_MIME_DEPTH, 500, 5000):
        with pytest.raises(BadMessage, match=f"nested deeper than {MAX_MIME_DEPTH} levels"):
            parse(nested(depth))


def test_a_raw_utf8_display_name_is_encoded_and_other_bytes_are_refused_naming_the_header():
    raw = 'From: "Dr. Chén" <a@x.example>\r\nTo: b@x.example,\r\n "Zoë" <c@x.example>\r\nSubject: s\r\n\r\nhi\r\n'.encode()
    message = parse(raw).message
    assert message["From"].addresses[0].display_name == "Dr. Chén"
    assert message.as_bytes().isascii() and message.as_bytes().startswith(b"From: ")  # RFC 2047, order kept
    assert [a.addr_spec for a in message["To"].addresses] == ["b@x.example", "c@x.example"]
    for header in ("From", "To", "Reply-To", "Cc"):
        headers = {"From": b"a@x.example", "To": b"b@x.example", header: b'"Ch\xe9n" <d@x.example>'}  # Latin-1
        bad = b"".join(k.encode() + b": " + v + b"\r\n" for k, v in headers.items()) + b"\r\nhi\r\n"
        with pytest.raises(BadMessage, match=f"^{header} header: not valid UTF-8"):
            parse(bad)


def test_an_envelope_address_with_undecodable_bytes_is_not_an_address():
    with pytest.raises(BadMessage, match="is not a valid e-mail address"):
        parse(GOOD, envelope_recipients=["b\udce9@x.example"])


def test_the_content_digest_ignores_the_date_and_line_endings_but_not_the_content_or_recipients():
    stored = parse(GOOD).message.as_bytes()
    redated = stored.replace(b"Date: ", b"Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n X-Was: ", 1)
    base = content_digest(stored, ["a@x.example"])
    assert content_digest(redated, ["a@x.example"]) == base
    assert content_digest(stored.replace(b"\n", b"\r\n"), ["A@x.example"]) == base
    assert content_digest(stored.replace(b"hello", b"hellO"), ["a@x.example"]) != base
    assert content_digest(stored, ["a@x.example", "z@x.example"]) != base


HEAD = b"From: a@valleyclinic.example\r\nTo: b@example.org\r\n"


@pytest.mark.parametrize(
    "header",
    [
        b"To: a@[\r\n",  # AttributeError inside the standard library's address parser
        b'Cc: a@b.example,"\r\n',  # IndexError
        b"Reply-To: =?iso-8859-1?b?!!!?=\r\n",  # IndexError, in a header intake itself never reads
    ],
)
def test_a_header_the_email_package_cannot_parse_is_a_bad_message_not_a_crash(header):
    with pytest.raises(BadMessage, match="header cannot be parsed"):
        parse(HEAD + header + b"\r\nbody\r\n")


@pytest.mark.parametrize("separator", [b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e"])
def test_a_line_break_inside_a_header_cannot_smuggle_headers_past_inspection(separator):
    # Inspected, the body is a line of base64-looking text; stored and refolded, the Subject
    # would end at the separator and the body would decode to an SSN for the recipient.
    raw = (
        HEAD + b"Subject: hi" + separator + b"Content-Transfer-Encoding: base64\r\n"
        b"Content-Type: text/plain\r\n\r\nNTEyLTQ0LTg3MjE=\r\n"
    )
    with pytest.raises(BadMessage, match="would change when stored"):
        parse(raw)


def test_a_header_with_raw_8bit_bytes_that_would_need_refolding_is_refused_not_a_crash():
    raw = HEAD + b"Resent-From: " + b"Patient " * 6 + b'00"' + b"\xc2\x80" * 5 + b"\xf0\x90\x80\x80 <b>\r\n\r\nbody\r\n"
    with pytest.raises(BadMessage, match="raw 8-bit bytes"):
        parse(raw)
    # In the address headers intake reads (From, To, Cc, Reply-To) raw UTF-8 is encoded instead.
    stored = parse(raw.replace(b"Resent-From:", b"Reply-To:")).message.as_bytes()
    assert stored.isascii() and b"Reply-To: Patient" in stored


def test_what_intake_accepts_is_stored_with_the_same_headers_and_parts():
    raw = HEAD + b"Subject: plain\r\nX-Tab: a\tb\r\n\r\nbody\r\n"
    stored = parse(raw).message.as_bytes()
    assert parse(stored).message["X-Tab"] == "a\tb"


@pytest.mark.parametrize(
    "sender",
    [
        b"From:\xa0dr.chen@valleyclinic.example",
        b"From: dr\x00chen@valleyclinic.example",
        b"From: dr.ch\xe9n@valleyclinic.example",
    ],
)
def test_an_address_with_a_raw_byte_or_control_character_is_not_a_valid_address(sender):
    # A byte that is not UTF-8 is refused naming the header; a control character as no address.
    with pytest.raises(BadMessage, match="not a valid e-mail address|From header: not valid UTF-8"):
        parse(sender + b"\r\nTo: b@example.org\r\n\r\nbody\r\n")


def test_a_second_to_header_beside_an_8bit_one_is_a_bad_message_not_a_crash():
    raw = HEAD.replace(b"To: b@example.org", b"To: nurse.kim@valleyclinic.example") + b"To: \xc3\xa9\r\n\r\nbody\r\n"
    with pytest.raises(BadMessage, match="To header"):
        parse(raw)


@pytest.mark.parametrize("message_id", [b"<a\xb0b@valleyclinic.example>", b"<a\x07b@valleyclinic.example>"])
def test_a_message_id_that_is_not_printable_ascii_is_refused(message_id):
    # It was accepted and then stopped the portal notice, which carries it (retried forever).
    with pytest.raises(BadMessage, match="Message-ID header"):
        parse(HEAD + b"Message-ID: " + message_id + b"\r\n\r\nbody\r\n")


# --- issue 20: malformed headers from real mail are the one bad-input error, naming the header
HEAD = b"From: a@x.example\r\nTo: b@y.example\r\nSubject: s\r\n"


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (b"From: John.<john@x.example>", "From header"),  # a display name ending in a dot before <addr>
        (b"Message-ID: <[id@host]>", "Message-ID header"),  # brackets inside the msg-id
        (b"Message-ID: <[1.2.3.4]@host>", "Message-ID header"),
        (b"From: =?utf-8?q?John=0D=0ADoe?= <j@x.example>", "From header"),  # an encoded line break
        (b"Reply-To: =?utf-8?b?Sm9obgpEb2U=?= <j@x.example>", "Reply-To header"),
    ],
)
def test_malformed_headers_of_real_mail_are_refused_naming_the_header(header, named):
    name = header.split(b":")[0]
    rest = b"".join(line + b"\r\n" for line in HEAD.split(b"\r\n") if line and not line.startswith(name + b":"))
    with pytest.raises(BadMessage, match=named):
        parse(header + b"\r\n" + rest + b"\r\nbody\r\n")


@pytest.mark.parametrize("name", [b"John Q.", b"Smith Jr.", b"Dr."])
def test_a_display_name_ending_in_a_dot_with_a_space_before_the_address_is_accepted(name):
    assert parse(b"From: " + name + b" <john@x.example>\r\nTo: b@y.example\r\n\r\nhi\r\n").sender == "john@x.example"


def test_two_content_types_that_disagree_are_refused_naming_the_header():
    raw = (
        HEAD + b"Content-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"
    )
    with pytest.raises(BadMessage, match="Content-Type header: given 2 times with different values in message"):
        parse(raw)


def test_the_same_content_type_twice_is_one_reading_and_accepted():
    raw = HEAD + b"Content-Type: text/plain; charset=utf-8\r\nContent-Type: text/plain;  charset=UTF-8\r\n\r\nhi\r\n"
    assert parse(raw).message.get_content_type() == "text/plain"


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (HEAD + b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here", "Content-Type header of message"),
        (HEAD + b"Content-Type: multipart/mixed\r\n\r\nbody", "Content-Type header of message"),
        (
            HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nnot a header line\r\n\r\nx\r\n--b--\r\n',
            "headers of part text/plain",
        ),
    ],
)
def test_broken_mime_structure_is_refused_naming_the_header_and_where(raw, named):
    with pytest.raises(BadMessage, match=named):
        parse(raw)


def test_a_transfer_encoded_enclosed_message_is_refused_naming_the_header():
    inner = base64.b64encode(b"From: x@y.example\r\nSubject: SSN 512-44-8721\r\n\r\nhi\r\n")
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + inner + b"\r\n--b--\r\n"
    )
    with pytest.raises(BadMessage, match=r"Content-Transfer-Encoding header of part message/rfc822: 'base64'"):
        parse(raw)


def test_two_boundaries_in_one_content_type_are_refused():
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary=a; BOUNDARY="b"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\n'
        b"A\r\n--a--\r\n--b\r\nContent-Type: text/plain\r\n\r\nSSN 512-44-8721\r\n--b--\r\n"
    )
    with pytest.raises(BadMessage, match="Content-Type header of message: boundary given twice"):
        parse(raw)


def test_a_boundary_quoted_with_semicolons_inside_is_one_boundary():
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary="x;boundary=y"\r\n\r\n--x;boundary=y\r\n'
        b"Content-Type: text/plain\r\n\r\nA\r\n--x;boundary=y--\r\n"
    )
    assert parse(raw).message.is_multipart()


SAMPLES = sorted((Path(__file__).parents[2] / "assets" / "samples").glob("*.eml"))


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_the_stored_form_written_at_intake_is_what_the_message_writes_after_inspection(sample):
    """Agent.submit stores `Intake.stored`, written once at intake: planning (inspection of
    every part, attachments included) must leave the message as it was."""
    intake = parse(sample.read_bytes())
    inspect_message(intake.message)
    assert intake.stored and intake.stored == intake.message.as_bytes()
