"""A recipient's secure reply, as the clinician gets it. With an S/MIME identity of their own,
it arrives as ordinary S/MIME mail that `openssl cms` (not our code) opens with that identity:
the recipient's text and file inside, with the real subject among the protected headers; the
outside says only that a secure reply came, and threads under the original. Without one, the
reply is kept in the agent and read through the local API (the tray's Secure replies), and
nothing is mailed."""

from __future__ import annotations

import base64
import json
import subprocess
from email import message_from_bytes, policy

import pytest

from agent.api.client import AgentClient, ApiError
from tests.conftest import SAMPLES, SENDER, run_cli
from tests.portal_reply import ORIGINAL_ID, ORIGINAL_SUBJECT, PATIENT, reply_through_portal, wait_until

FOLLOWUP = SAMPLES / "03-patient-followup.eml"
TEXT = "Thank you, doctor. The dizziness is gone; attached is a photo of my new prescription label."
FILE = "prescription_label_gonzalez.jpg"
FILE_DATA = b"\xff\xd8\xff\xe0 label: metformin 1000 mg \x00\x01\x02"


def openssl(*args: str, data: bytes) -> bytes:
    result = subprocess.run(["openssl", "cms", *args], input=data, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_a_portal_reply_reaches_the_clinician_as_smime_that_openssl_opens(start_agent, sink, pki, home, tmp_path):
    running = start_agent(sink.port, smime={"trusted_ca_files": [str(pki.ca_file)]}, portal={"poll_seconds": 1})
    me = pki.person(SENDER)
    (tmp_path / "me.p12").write_bytes(me.p12(b"p12 password", pki.ca))
    (tmp_path / "pw").write_text("p12 password\n")
    imported = run_cli("keys", "import", str(tmp_path / "me.p12"), "--password-file", str(tmp_path / "pw"), home=home)
    assert imported.returncode == 0, imported.stderr
    sent = run_cli("send", str(FOLLOWUP), "--wait", home=home)
    assert sent.returncode == 0, sent.stderr + sent.stdout

    reply_through_portal(sink, TEXT, FILE, FILE_DATA)
    [mail] = wait_until(
        lambda: [r for r in sink.received if r.recipients == (SENDER,) and b"application/pkcs7-mime" in r.data],
        "the reply never reached the clinician",
    )

    # The outside: what any mail server and the inbox list see.
    outer = mail.message
    assert str(outer["Subject"]) == "Secure reply from the patient portal"
    assert str(outer["In-Reply-To"]) == ORIGINAL_ID and ORIGINAL_ID in str(outer["References"])
    assert outer.get_content_type() == "application/pkcs7-mime" and "enveloped-data" in str(outer["Content-Type"])
    for secret in (TEXT[:30], FILE, ORIGINAL_SUBJECT, "metformin"):
        assert secret.encode() not in mail.data, f"{secret!r} travels in clear"
    assert str(outer["Reply-To"]) == PATIENT  # addresses stay outside, as on any mail: Reply goes to them

    # The clinician's mail program: decrypted with their identity, not signed by anyone (the
    # words are the recipient's), the real subject inside, the text and the file as sent.
    inner = message_from_bytes(
        openssl("-decrypt", "-recip", str(me.cert_file), "-inkey", str(me.key_file), data=mail.data),
        policy=policy.default,
    )
    assert inner.get_content_type() == "multipart/mixed"
    assert 'protected-headers="v1"' in str(inner["Content-Type"])
    assert str(inner["Subject"]) == f"Re: {ORIGINAL_SUBJECT}"
    assert PATIENT in str(inner["From"]) and SENDER in str(inner["To"])
    assert TEXT in inner.get_body(("plain",)).get_content()
    [attachment] = list(inner.iter_attachments())
    assert attachment.get_filename() == FILE and attachment.get_content_type() == "image/jpeg"
    assert attachment.get_payload(decode=True) == FILE_DATA

    client = AgentClient(running.api_url, running.token)
    assert [r for r in client.audit() if r["event"] == "delivered" and r.get("method") == "smime"]
    assert TEXT[:30].encode() not in running.pipeline.audit.path.read_bytes()
    [listed] = client.replies()  # and in the tray too
    assert listed["method"] == "smime" and listed["from"] == PATIENT


def test_without_an_smime_identity_the_reply_is_kept_and_read_through_the_local_api(start_agent, sink, home):
    running = start_agent(sink.port, portal={"poll_seconds": 1})
    assert run_cli("send", str(FOLLOWUP), "--wait", home=home).returncode == 0
    reply_through_portal(sink, TEXT, FILE, FILE_DATA)
    client = AgentClient(running.api_url, running.token)
    [listed] = wait_until(
        lambda: [r for r in client.replies() if r["state"] == "delivered"], "the reply was never kept"
    )
    assert listed["method"] == "kept" and listed["from"] == PATIENT and listed["subject"] == f"Re: {ORIGINAL_SUBJECT}"
    assert listed["attachments"] == 1 and "text" not in listed
    reply = client.reply(listed["id"])
    assert TEXT in reply["text"]
    [file] = reply["attachments"]
    assert file["filename"] == FILE and file["size"] == len(FILE_DATA)
    assert base64.b64decode(file["data"]) == FILE_DATA
    status = json.loads(run_cli("status", listed["id"], "--json", home=home).stdout)
    assert status["recipients"][0]["proof"]["reply"] == "kept in Postseal: Secure replies in the tray"
    assert not [r for r in sink.received if r.recipients == (SENDER,)], "a kept reply is not mailed"
    original = next(m["id"] for m in client.outbox() if m["id"] != listed["id"])
    with pytest.raises(ApiError) as refused:  # the clinician's own mail is not a reply
        client.reply(original)
    assert refused.value.status == 404
