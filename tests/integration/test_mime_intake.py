"""Mail the world actually sends, from the outside (issue 20): `postseal policy check` reads
an attachment behind a folded transfer encoding, flags one it cannot decode, and refuses
invalid base64 with exit 2 naming the header; the API answers 400 and the SMTP submission
554 for malformed headers, naming them."""

from __future__ import annotations

import base64
import io
import json
import smtplib
import ssl
import zipfile

import pytest

from agent.api.client import AgentClient, ApiError
from agent.demo_world import free_port
from tests.conftest import run_cli

SSN = "512-44-8721"
HEAD = (
    b"From: Dr. Emily Chen <dr.chen@valleyclinic.example>\r\nTo: referrals@lakesidecardiology.example\r\n"
    b"Subject: Forms\r\nMessage-ID: <forms-1@valleyclinic.example>\r\n"
)


def zip_attachment(cte: bytes, body: bytes | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", f"Patient SSN {SSN}")
    encoded = base64.encodebytes(out.getvalue()).replace(b"\n", b"\r\n") if body is None else body
    return (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        b"Forms attached.\r\n--b\r\nContent-Type: application/zip\r\n"
        b'Content-Disposition: attachment; filename="forms.zip"\r\n' + cte + b"\r\n\r\n" + encoded + b"--b--\r\n"
    )


def check(home, tmp_path, raw: bytes):
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    return run_cli("policy", "check", str(path), "--json", home=home)


def test_a_zip_behind_a_folded_transfer_encoding_is_read_and_its_ssn_holds_the_message(home, tmp_path):
    result = check(home, tmp_path, zip_attachment(b"Content-Transfer-Encoding:\r\n base64"))
    assert result.returncode == 3, result.stderr
    verdict = json.loads(result.stdout)["verdict"]
    assert verdict["rule"] == "ssn-leaves-organization"
    assert {"type": "us_ssn", "location": "attachment:forms.zip/notes.txt"}.items() <= verdict["findings"][0].items()


def test_an_attachment_in_an_unknown_transfer_encoding_is_flagged_and_kept_off_tls_only(home, tmp_path):
    (home / "config.toml").write_text('[portal]\nurl = "https://portal.valleyclinic.example"\n')
    result = check(home, tmp_path, zip_attachment(b"Content-Transfer-Encoding: base-64"))
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)["verdict"]
    assert [(f["type"], f["location"]) for f in verdict["findings"]] == [
        ("uninspectable_attachment", "attachment:forms.zip")
    ]
    assert "unknown Content-Transfer-Encoding 'base-64'" in verdict["findings"][0]["detail"]
    assert [m["rule"] for m in verdict["matched"]] == ["uninspectable-content-encrypted"]


def test_invalid_base64_is_bad_input_naming_the_header(home, tmp_path):
    result = check(home, tmp_path, zip_attachment(b"Content-Transfer-Encoding: base64", b"UEsDBBQ=AAAIAA!!\r\n"))
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "bad_input" and error["message"].startswith("Content-Transfer-Encoding header: ")
    assert "invalid base64" in error["message"]


@pytest.fixture
def running(start_agent, sink):
    return start_agent(sink.port, ingress={"smtp_port": free_port()})


def test_the_api_and_the_smtp_submission_refuse_malformed_headers_naming_them(running):
    client = AgentClient(running.api_url, running.token, timeout=30)
    duplicate = HEAD + b"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\nhello\r\n"
    with pytest.raises(ApiError) as refused:
        client.check(duplicate)
    assert refused.value.status == 400 and refused.value.code == "bad_message"
    assert str(refused.value).startswith("Content-Type header: given 2 times")

    creds = client.ingress_credentials()
    bracketed = HEAD.replace(b"<forms-1@valleyclinic.example>", b"<[forms-1@valleyclinic.example]>") + b"\r\nhi\r\n"
    with smtplib.SMTP("127.0.0.1", running.smtp_port, timeout=60) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=creds["ca_file"]))
        smtp.login(creds["username"], creds["password"])
        with pytest.raises(smtplib.SMTPDataError) as answered:
            smtp.sendmail("dr.chen@valleyclinic.example", ["referrals@lakesidecardiology.example"], bracketed)
    assert answered.value.smtp_code == 554
    assert b"cannot read this message: Message-ID header" in answered.value.smtp_error
    assert client.outbox() == []
