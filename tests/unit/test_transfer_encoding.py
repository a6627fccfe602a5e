"""Transfer encodings are undone as RFC 2045 reads them, or the part is flagged: no attachment
is scanned as its base64 letters and passed as read (issue 20)."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest

from agent.intake import BadMessage, parse
from agent.policy.inspect import inspect
from agent.transfer_encoding import base64_problem, decode, mechanism

SSN = "512-44-8721"
HEAD = b"From: dr.chen@valleyclinic.example\r\nTo: referrals@lakeside.example\r\nSubject: forms\r\n"


def zipped(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", text)
    return out.getvalue()


def with_attachment(cte_header: bytes, body: bytes, kind: bytes = b"application/zip") -> bytes:
    return (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nForms attached.\r\n"
        b"--b\r\nContent-Type: "
        + kind
        + b'\r\nContent-Disposition: attachment; filename="forms.zip"\r\n'
        + cte_header
        + b"\r\n\r\n"
        + body
        + b"\r\n--b--\r\n"
    )


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip()


@pytest.mark.parametrize(
    "header",
    [
        b"Content-Transfer-Encoding:\r\n base64",  # folded: the value on the next line
        b"Content-Transfer-Encoding:\r\n\tBASE64",
        b"Content-Transfer-Encoding: base64 ",
        b"Content-Transfer-Encoding: base64 (from the scanner at the front desk)",
    ],
)
def test_a_zip_behind_a_folded_or_commented_encoding_is_opened_and_read(header):
    message = parse(with_attachment(header, b64(zipped(f"Patient SSN {SSN}")))).message
    findings = inspect(message)
    assert any(f.type == "us_ssn" and f.location == "attachment:forms.zip/notes.txt" for f in findings), findings
    assert not any(f.type == "uninspectable_attachment" for f in findings)


@pytest.mark.parametrize("value", [b"base-64", b"x-gzip64", b"8bits", b"quoted-printable;"])
def test_an_unknown_or_malformed_encoding_is_flagged_for_the_rules_and_still_read_as_it_came(value):
    body = f"Patient SSN {SSN}".encode()
    message = parse(with_attachment(b"Content-Transfer-Encoding: " + value, body, b"text/plain")).message
    findings = inspect(message)
    flagged = [f for f in findings if f.type == "uninspectable_attachment"]
    assert flagged and flagged[0].location == "attachment:forms.zip"
    assert "Content-Transfer-Encoding" in flagged[0].detail
    assert any(f.type == "us_ssn" for f in findings)  # read as it came, too


def test_an_unknown_encoding_of_the_body_is_flagged_too():
    raw = HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base9000\r\n\r\nU1NO\r\n"
    findings = inspect(parse(raw).message)
    assert [(f.type, f.location) for f in findings] == [("uninspectable_attachment", "body")]


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"SGVsbG8g!d29ybGQ=", "only base64 data is allowed"),  # a character outside the alphabet
        (b"SGVsbG8=d29ybGQ=", "excess data after padding"),  # what one decoder skips, another stops at
        (b"SGVsbG8gd29ybGQgA", "1 more than a multiple of 4"),
    ],
)
def test_invalid_base64_is_noticed_without_decoding_the_part(body, problem):
    assert problem in base64_problem(body)


@pytest.mark.parametrize("body", [b"SGVsbG8gd29ybGQ=", b"SGVsbG8g\r\nd29ybGQ=\r\n", b"SGVsbG8gd29ybGQ", b""])
def test_valid_base64_with_line_breaks_or_without_final_padding_is_accepted(body):
    assert base64_problem(body) == ""


def test_intake_refuses_invalid_base64_naming_the_header_and_the_part():
    bad = b64(zipped("x"))[:40] + b"!!" + b64(zipped("x"))[40:]
    with pytest.raises(
        BadMessage,
        match=r"Content-Transfer-Encoding header: the body of part application/zip "
        r"is declared base64 but is invalid base64",
    ):
        parse(with_attachment(b"Content-Transfer-Encoding: base64", bad))


def test_intake_refuses_two_transfer_encodings_that_disagree():
    raw = with_attachment(b"Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64", b64(b"x"))
    with pytest.raises(BadMessage, match="Content-Transfer-Encoding header given 2 times with different values"):
        parse(raw)


def test_uuencoded_parts_are_decoded():
    import binascii

    body = b"begin 644 notes.txt\r\n" + binascii.b2a_uu(f"SSN {SSN}".encode()) + b"`\r\nend\r\n"
    raw = HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n" + body
    part = parse(raw).message
    assert decode(part).data == f"SSN {SSN}".encode() and decode(part).problem == ""


def test_the_mechanism_is_seven_bit_when_no_header_says_otherwise():
    assert mechanism(parse(HEAD + b"\r\nhi\r\n").message) == ("7bit", "")


def test_raw_eight_bit_bytes_come_back_as_they_came():
    raw = (
        HEAD + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nJos\xc3\xa9 \xff\r\n"
    )
    assert decode(parse(raw).message).data.rstrip() == b"Jos\xc3\xa9 \xff"


def test_raw_bytes_under_a_charset_that_decodes_nothing_are_read_without_an_exception():
    # get_payload() would decode the byte by charset "idna" and raise UnicodeError (a 500 from the API).
    raw = HEAD + b"Content-Type: text/plain; charset=idna\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n\x80\r\n"
    message = parse(raw).message
    assert decode(message).problem == "uuencoded content without its begin line"
    assert [f.type for f in inspect(message)] == ["uninspectable_attachment"]
