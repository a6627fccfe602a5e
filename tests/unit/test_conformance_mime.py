"""The MIME conformance checker tells the four outcomes apart with its own reading of the
message, so it catches the agent when the agent misses content (issue 20)."""

from __future__ import annotations

import base64

import pytest

from benchmarks.conformance_mime import check

HEAD = b"From: a@valleyclinic.example\r\nSubject: s\r\n"  # no To: the checker gives an envelope, as SMTP does


def write(tmp_path, raw: bytes):
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    return path


def test_a_clean_multipart_message_is_parsed(tmp_path):
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n'
        b"<table>Before <tr><td>cell</td></tr></table>\r\n--b\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"plain words inside") + b"\r\n--b--\r\n"
    )
    assert check(write(tmp_path, raw)) == ("parsed", "2 part(s) inspected")


def test_a_refused_message_is_ignored_with_intakes_reason(tmp_path):
    outcome, reason = check(write(tmp_path, HEAD + b"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\nx\r\n"))
    assert outcome == "ignored" and reason.startswith("Content-Type header")


def test_text_the_agent_did_not_read_is_wrong(tmp_path, monkeypatch):
    from agent.policy import inspect

    monkeypatch.setattr(inspect, "html_to_text", lambda html, hidden=False: "")  # an agent that drops HTML
    outcome, reason = check(write(tmp_path, HEAD + b"Content-Type: text/html\r\n\r\n<p>Patient 4711 seen</p>\r\n"))
    assert outcome == "wrong" and "body: 3 of 3 words not inspected (4711, patient, seen)" == reason


def test_an_unknown_encoding_left_unflagged_is_wrong(tmp_path, monkeypatch):
    from agent.policy import inspect
    from agent.transfer_encoding import Decoded

    monkeypatch.setattr(inspect.transfer_encoding, "decode", lambda part: Decoded(b"x", "base9000"))
    raw = HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base9000\r\n\r\nx\r\n"
    assert check(write(tmp_path, raw)) == (
        "wrong",
        "body: unknown Content-Transfer-Encoding 'base9000', part not flagged",
    )


def test_an_unknown_encoding_the_agent_flags_is_parsed(tmp_path):
    raw = HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base9000\r\n\r\nx\r\n"
    assert check(write(tmp_path, raw))[0] == "parsed"


def test_anything_but_the_bad_input_error_is_a_crash(tmp_path, monkeypatch):
    from agent import intake

    def broken(raw, recipients=None):
        raise IndexError("list index out of range")

    monkeypatch.setattr(intake, "parse", broken)
    outcome, reason = check(write(tmp_path, HEAD + b"\r\nhi\r\n"))
    assert outcome == "crashed" and reason.startswith("IndexError at test_conformance_mime.py:")


@pytest.mark.parametrize("raw", [b"", b"\xff\xfe not mail"])
def test_what_is_not_mail_is_ignored(tmp_path, raw):
    assert check(write(tmp_path, raw))[0] == "ignored"


def test_the_runner_is_handed_messages_not_the_expectations_and_licences_beside_them(tmp_path):
    from benchmarks.conformance_mime import wants

    assert [wants(tmp_path / name) for name in ("000.eml", "mail_test_1", "x.msg", "000.json", "COPYING", "a.png")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_a_zip_the_agent_reads_as_text_is_wrong(tmp_path, monkeypatch):
    import io
    import zipfile

    from agent.policy import inspect

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "Patient notes")
    raw = (
        HEAD
        + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(out.getvalue())
        + b"\r\n"
    )
    assert check(write(tmp_path, raw))[0] == "parsed"
    monkeypatch.setattr(inspect, "sniff", lambda data, content_type, filename: "text")  # the agent before the fix
    assert check(write(tmp_path, raw)) == ("wrong", "body: a ZIP read as text, not opened")


@pytest.mark.parametrize(
    "header", [b"Content-Transfer-Encoding:\r\n base64", b"Content-Transfer-Encoding: base64 (scanner)"]
)
def test_a_folded_or_commented_encoding_read_right_is_parsed(tmp_path, header):
    raw = (
        HEAD + b"Content-Type: text/plain\r\n" + header + b"\r\n\r\n" + base64.b64encode(b"Patient 4711 seen") + b"\r\n"
    )
    assert check(write(tmp_path, raw)) == ("parsed", "1 part(s) inspected")
