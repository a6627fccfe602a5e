"""Every part's text reaches the detectors: words between HTML table cells, the Subject of a
forwarded message, the fields of a delivery report (issue 20)."""

from __future__ import annotations

import pytest

from agent.intake import parse
from agent.policy.inspect import inspect
from agent.policy.normalize import html_to_text

SSN = "512-44-8721"
HEAD = b"From: dr.chen@valleyclinic.example\r\nTo: referrals@lakeside.example\r\nSubject: notes\r\n"


def html_message(html: str) -> bytes:
    return HEAD + b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html.encode() + b"\r\n"


@pytest.mark.parametrize(
    "html",
    [
        f"<table>Patient SSN {SSN}<tr><td>Visit</td><td>Monday</td></tr></table>",  # before the first row
        f"<table><tr><td>Visit</td></tr>SSN {SSN}<tr><td>Monday</td></tr></table>",  # between rows
        f"<table><tr>SSN {SSN}<td>Visit</td></tr></table>",  # in a row, outside its cells
        f"<table><tr><td><table><tr><td>x</td></tr>SSN {SSN}</table></td></tr></table>",  # in a nested table
        f"<table><tr><td>Visit</td></tr></table></td>SSN {SSN}</table>",  # after stray end tags
    ],
)
def test_text_inside_a_table_but_outside_every_cell_is_inspected(html):
    findings = inspect(parse(html_message(html)).message)
    assert any(f.type == "us_ssn" and f.location == "body" for f in findings), html_to_text(html, hidden=True)


def test_words_between_cells_come_before_the_table_as_a_browser_shows_them():
    text = html_to_text("<table>Note: <tr><td>Name</td><td>Ann</td></tr> continued</table>", hidden=True)
    assert text.index("Note: continued") < text.index("Ann")


def test_whitespace_between_cells_adds_no_line():
    assert html_to_text("<table>\n  <tr>\n    <td>a</td>\n  </tr>\n</table>", hidden=True) == "\na\n"


def forwarded(subject: bytes, kind: bytes = b"message/rfc822", body: bytes = b"hello\r\n") -> bytes:
    return (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        b"--b\r\nContent-Type: " + kind + b"\r\n\r\n"
        b"From: front.desk@valleyclinic.example\r\nSubject: " + subject + b"\r\n\r\n" + body + b"--b--\r\n"
    )


def test_the_subject_of_a_forwarded_message_is_inspected():
    findings = inspect(parse(forwarded(f"Intake form, SSN {SSN}".encode())).message)
    assert [(f.type, f.location) for f in findings] == [("us_ssn", "body")]


def test_a_forwarded_multipart_message_has_its_subject_inspected_too():
    inner = (
        b'Content-Type: multipart/alternative; boundary="c"\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\n'
        b"hi\r\n--c--\r\n"
    )
    raw = forwarded(f"SSN {SSN}".encode(), body=b"").replace(
        b"Subject: SSN", inner.split(b"\r\n\r\n")[0] + b"\r\nSubject: SSN"
    )
    raw = raw.replace(b"\r\n\r\n--b--", b"\r\n\r\n" + inner.split(b"\r\n\r\n", 1)[1] + b"--b--")
    message = parse(raw).message
    assert any(p.get_content_type() == "multipart/alternative" for p in message.walk())
    assert any(f.type == "us_ssn" for f in inspect(message))


def test_the_fields_of_a_delivery_report_are_inspected():
    report = (
        HEAD + b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; x@lakeside.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 patient SSN " + SSN.encode() + b" unknown\r\n\r\n--b--\r\n"
    )
    assert any(f.type == "us_ssn" for f in inspect(parse(report).message))


def test_a_body_labelled_text_that_holds_a_zip_is_opened():
    import base64
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", f"Patient SSN {SSN}")
    raw = (
        HEAD
        + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(out.getvalue())
        + b"\r\n"
    )
    findings = inspect(parse(raw).message)
    assert any(f.type == "us_ssn" and f.location == "body/notes.txt" for f in findings), findings


def test_alt_text_and_titles_are_inspected_as_mail_programs_show_them_when_images_are_blocked():
    html = f'<p>Scan below</p><img src="cid:1" alt="Card of patient, SSN {SSN}"><a href="#" title="x">y</a>'
    findings = inspect(parse(html_message(html)).message)
    assert any(f.type == "us_ssn" for f in findings)


@pytest.mark.parametrize("where", ["preamble", "epilogue"])
def test_text_before_the_first_part_and_after_the_last_is_inspected(where):
    before, after = (f"SSN {SSN}\r\n", "") if where == "preamble" else ("", f"SSN {SSN}\r\n")
    raw = (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + before.encode()
        + b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"
        + after.encode()
    )
    assert any(f.type == "us_ssn" and f.location == "body" for f in inspect(parse(raw).message))
