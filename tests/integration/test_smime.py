"""S/MIME end to end: certificates imported or harvested from signed mail, the message
signed with the sender's certificate and enveloped for the recipient, then opened and
verified with `openssl cms` (not our code) and compared with what was sent."""

from __future__ import annotations

import json
import subprocess

from agent.api.client import AgentClient
from agent.demo.checks import phi_values
from tests.conftest import SAMPLES, SENDER, run_cli

REFERRAL = SAMPLES / "02-referral-lab-results.eml"
PARTNER = "referrals@lakesidecardiology.example"


def openssl(*args: str, data: bytes = b"") -> bytes:
    result = subprocess.run(["openssl", "cms", *args], input=data, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_a_referral_to_an_smime_partner_opens_and_verifies_with_openssl(start_agent, sink, pki, home, tmp_path):
    running = start_agent(sink.port, smime={"trusted_ca_files": [str(pki.ca_file)]})
    partner = pki.person(PARTNER)
    me = pki.person(SENDER)
    (tmp_path / "partner.pem").write_bytes(partner.pem())
    (tmp_path / "me.p12").write_bytes(me.p12(b"p12 password", pki.ca))
    (tmp_path / "pw").write_text("p12 password\n")
    imported = run_cli("keys", "import", str(tmp_path / "partner.pem"), "--json", home=home)
    assert imported.returncode == 0 and json.loads(imported.stdout)["kind"] == "smime", imported.stderr
    identity = run_cli("keys", "import", str(tmp_path / "me.p12"), "--password-file", str(tmp_path / "pw"), home=home)
    assert identity.returncode == 0, identity.stderr

    result = run_cli("send", str(REFERRAL), "--wait", "--json", home=home)
    assert result.returncode == 0, result.stderr.decode()
    [rcpt] = json.loads(result.stdout)["recipients"]
    assert rcpt["method"] == "smime"
    plan = json.loads(run_cli("policy", "check", str(REFERRAL), "--json", home=home).stdout)
    assert "S/MIME certificate on file (not revoked (CRL checked))" == plan["recipients"][0]["reason"]
    received = sink.by_reply(rcpt["proof"]["reply"])
    for value in phi_values(REFERRAL.read_bytes()):
        assert value.encode() not in received.data
    assert b"Referral: Robert Alvarez" not in received.data and b"Subject: ..." in received.data
    assert b"application/pkcs7-mime; smime-type=enveloped-data" in received.data

    # The partner opens it: decrypt, then verify the signature against the CA.
    signed = openssl("-decrypt", "-recip", str(partner.cert_file), "-inkey", str(partner.key_file), data=received.data)
    assert b"multipart/signed" in signed and b"application/pkcs7-signature" in signed
    inner = openssl("-verify", "-CAfile", str(pki.ca_file), data=signed).decode()
    assert "new-onset atrial fibrillation" in inner and "Subject: Referral: Robert Alvarez" in inner
    assert "Robert Alvarez,VC-0048213,1958-03-14,INR,3.8" in inner  # the attachment
    # The sender can read the copy in Sent too: it is enveloped for their certificate as well.
    assert b"atrial" in openssl("-decrypt", "-recip", str(me.cert_file), "-inkey", str(me.key_file), data=received.data)
    client = AgentClient(running.api_url, running.token)
    kinds = {k["fingerprint"]: (k["type"], k["secret"]) for k in client.keys()}
    assert ("smime", True) in kinds.values() and ("smime", False) in kinds.values()


def test_a_certificate_harvested_from_a_signed_message_is_used(start_agent, sink, pki, tmp_path):
    running = start_agent(sink.port, smime={"trusted_ca_files": [str(pki.ca_file)]})
    partner = pki.person(PARTNER)
    mail = tmp_path / "incoming.txt"
    mail.write_text("Please send the referral.\r\n")
    signed = openssl(
        "-sign", "-signer", str(partner.cert_file), "-inkey", str(partner.key_file), "-in", str(mail), "-text"
    )  # what a partner's mail program sends: multipart/signed, not our code
    message = (f"From: Referrals <{PARTNER}>\r\nTo: {SENDER}\r\nSubject: Re: referral\r\n").encode() + signed
    client = AgentClient(running.api_url, running.token)
    assert client.import_key(message)  # POST /v1/keys with the message as received
    plan = client.check(REFERRAL.read_bytes())
    [recipient] = plan["recipients"]
    assert recipient["method"] == "smime"


def test_an_unusable_certificate_is_skipped_with_its_reason_and_pgp_or_portal_is_used(start_agent, sink, pki, home):
    start_agent(sink.port, smime={"trusted_ca_files": [str(pki.ca_file)]})
    expired = pki.person(PARTNER, days=-2, start_days=-300)
    (home / "expired.pem").write_bytes(expired.pem())
    assert run_cli("keys", "import", str(home / "expired.pem"), home=home).returncode == 0
    result = run_cli("policy", "check", str(REFERRAL), "--json", home=home)
    [recipient] = json.loads(result.stdout)["recipients"]
    assert recipient["method"] == "portal"
    assert any(s.startswith("smime: certificate") and "expired on" in s for s in recipient["skipped"])


def test_bad_certificate_files_are_refused_with_exit_2(start_agent, sink, home):
    start_agent(sink.port)
    (home / "junk.cer").write_bytes(b"\x30\x82junk")
    result = run_cli("keys", "import", str(home / "junk.cer"), home=home)
    assert result.returncode == 2 and b"junk.cer" in result.stderr and b"Traceback" not in result.stderr


def test_the_plan_warns_before_the_senders_own_certificate_and_key_lapse(start_agent, sink, pki, home, partner):
    running = start_agent(sink.port, smime={"trusted_ca_files": [str(pki.ca_file)]})
    running.pipeline.smime.import_identity(pki.person(SENDER, days=12).p12(b"pw", pki.ca), b"pw")
    running.pipeline.smime.import_certificates(pki.person(PARTNER).pem())
    plan = running.pipeline.plan(REFERRAL.read_bytes())[1]
    assert plan.recipients[0].method.value == "smime"
    assert any("your S/MIME certificate expires on" in w for w in plan.verdict.warnings)
    running.pipeline.smime.delete(running.pipeline.smime.find(PARTNER)[0].fingerprint)
    running.pipeline.pgp.generate(SENDER, expire="10d")
    running.pipeline.pgp.import_keys(partner.public_key())
    plan = running.pipeline.plan(REFERRAL.read_bytes())[1]
    assert plan.recipients[0].method.value == "pgp"
    assert any("your own OpenPGP key expires on" in w for w in plan.verdict.warnings)
