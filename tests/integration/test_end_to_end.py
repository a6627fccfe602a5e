"""A PHI message through the real CLI, the agent and a relay; opened with tools not ours."""

import json
import re
import subprocess

from agent import secret_store
from agent.demo.checks import open_portal_link, phi_values
from agent.keys.pgp_store import PASSPHRASE
from tests.conftest import SAMPLES, SENDER, gpg_decrypt, run_cli

REFERRAL = SAMPLES / "02-referral-lab-results.eml"


def encrypted_part(received) -> bytes:
    part = next(p for p in received.message.walk() if p.get_content_type() == "application/octet-stream")
    return part.get_payload(decode=True)


def test_phi_message_to_a_pgp_partner_decrypts_with_plain_gpg(start_agent, sink, partner, home):
    running = start_agent(sink.port)
    running.pipeline.pgp.generate(SENDER)
    assert run_cli("keys", "import", "-", home=home).returncode != 0  # "-" is not a file
    keyfile = home / "partner.asc"
    keyfile.write_text(partner.public_key())
    assert run_cli("keys", "import", str(keyfile), home=home).returncode == 0

    result = run_cli("send", str(REFERRAL), "--wait", "--json", home=home)
    assert result.returncode == 0, result.stderr.decode()
    record = json.loads(result.stdout)
    assert record["state"] == "delivered"
    [rcpt] = record["recipients"]
    assert rcpt["method"] == "pgp" and rcpt["proof"]["key_fingerprint"] == partner.fingerprint

    received = sink.by_reply(rcpt["proof"]["reply"])
    values = phi_values(REFERRAL.read_bytes())
    assert values, "the sample must contain PHI for this test to mean anything"
    for value in values:
        assert value.encode() not in received.data, f"{value} in clear on the wire"
    assert b"Referral: Robert Alvarez" not in received.data  # the subject is protected too

    plain = gpg_decrypt(partner, encrypted_part(received))
    original = REFERRAL.read_text()
    assert "new-onset atrial fibrillation" in plain
    assert "Robert Alvarez,VC-0048213,1958-03-14,INR,3.8" in plain  # the attachment
    assert "Subject: Referral: Robert Alvarez" in plain  # protected header inside
    assert original.count("VC-0048213") == plain.count("VC-0048213")

    status = run_cli("status", record["id"], "--json", home=home)
    assert json.loads(status.stdout)["state"] == "delivered"
    outbox = json.loads(run_cli("outbox", "--json", home=home).stdout)
    assert [m["id"] for m in outbox["messages"]] == [record["id"]]


def send_referral_by_pgp(start_agent, sink, partner, home):
    """The sender has an own key, the partner's key is on file: the referral goes out by
    OpenPGP. Returns the agent's key store, the sender's fingerprint and the armored copy."""
    running = start_agent(sink.port)
    store = running.pipeline.pgp
    own = store.generate(SENDER)
    store.import_keys(partner.public_key())
    result = run_cli("send", str(REFERRAL), "--wait", "--json", home=home)
    rcpt = json.loads(result.stdout)["recipients"][0]
    return store, own, encrypted_part(sink.by_reply(rcpt["proof"]["reply"]))


def test_the_copy_is_also_encrypted_to_the_senders_own_key(start_agent, sink, partner, home):
    store, own, armored = send_referral_by_pgp(start_agent, sink, partner, home)
    # The agent's keyring holds the sender's secret key and only the partner's public key:
    # that it can decrypt proves the copy was encrypted to the sender too.
    assert [k.fingerprint for k in store.list_keys() if k.secret] == [own]
    packets = store.gpg.decrypt(armored, passphrase=secret_store.get_or_create(home, PASSPHRASE).hex())
    assert packets.ok and "atrial fibrillation" in str(packets)


def test_portal_recipient_gets_a_notice_without_content_and_a_working_link(start_agent, sink, home):
    start_agent(sink.port)
    sample = SAMPLES / "03-patient-followup.eml"
    result = run_cli("send", str(sample), "--wait", "--json", home=home)
    record = json.loads(result.stdout)
    [rcpt] = record["recipients"]
    assert rcpt["method"] == "portal" and rcpt["state"] == "delivered"
    notice = sink.by_reply(rcpt["proof"]["reply"])
    assert b"metformin" not in notice.data and b"A1c" not in notice.data
    assert b"Your visit on November 23" not in notice.data
    assert b"1971-06-02" not in notice.data
    document = open_portal_link(notice, sink)
    assert "increase metformin to 1000 mg" in document["text"]
    assert document["subject"] == "Your visit on November 23"
    # The server stores ciphertext only: the key from the link appears nowhere on its disk.
    text = notice.message.get_body(("plain",)).get_content()
    key = re.search(r"#([A-Za-z0-9_-]{43})", text).group(1).encode()
    files = [p for p in (home / "portal").rglob("*") if p.is_file()]
    assert files
    for path in files:
        content = path.read_bytes()
        assert key not in content and b"metformin" not in content


def test_tls_recipient_travels_over_verified_tls(start_agent, sink, home):
    start_agent(sink.port)
    result = run_cli("send", str(SAMPLES / "04-billing-claim-tls.eml"), "--wait", "--json", home=home)
    [rcpt] = json.loads(result.stdout)["recipients"]
    assert rcpt["method"] == "tls"
    assert rcpt["proof"]["tls_version"].startswith("TLSv1.")
    assert rcpt["proof"]["tls_peer"] == "127.0.0.1"
    assert sink.by_reply(rcpt["proof"]["reply"]).tls


def test_ssn_message_is_held_with_exit_code_3_and_nothing_leaves(start_agent, sink, home):
    start_agent(sink.port)
    result = run_cli("send", str(SAMPLES / "05-disability-form-ssn.eml"), "--wait", "--json", home=home)
    assert result.returncode == 3
    record = json.loads(result.stdout)
    assert record["state"] == "held" and "Social Security number" in record["reason"]
    assert b"Social Security number" in result.stderr
    assert sink.received == []


def test_an_ssn_hidden_25_mime_levels_deep_is_held_like_one_at_the_top(start_agent, sink, home, tmp_path):
    from email.message import EmailMessage

    start_agent(sink.port)
    inner = EmailMessage()
    inner.set_content("Disability form: SSN 078-05-1120, DOB 03/14/1961")
    for _ in range(25):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(inner)
        inner = outer
    inner["From"], inner["To"] = SENDER, "claims@statedisability.example"
    inner["Subject"], inner["Message-ID"] = "Form", "<deep-ssn@valleyclinic.example>"
    path = tmp_path / "deep.eml"
    path.write_bytes(inner.as_bytes())
    result = run_cli("send", str(path), "--wait", "--json", home=home)
    assert result.returncode == 3, result.stdout
    record = json.loads(result.stdout)
    assert record["state"] == "held" and "more parts than any mail program writes" in record["reason"]
    assert sink.received == []


def test_one_message_gets_one_method_per_recipient(start_agent, sink, partner, home):
    running = start_agent(sink.port)
    running.pipeline.pgp.import_keys(partner.public_key())
    result = run_cli("send", str(SAMPLES / "06-care-team-update.eml"), "--wait", "--json", home=home)
    methods = {r["address"]: r["method"] for r in json.loads(result.stdout)["recipients"]}
    assert methods == {
        "referrals@lakesidecardiology.example": "pgp",
        "nurse.patel@valleyclinic.example": "internal",
        "sam.okafor@northside-health.example": "portal",
    }
    assert len(sink.received) == 3
    internal = sink.to("nurse.patel@valleyclinic.example")[0]
    assert b"apixaban" in internal.data and internal.recipients == ("nurse.patel@valleyclinic.example",)


def test_audit_records_proof_but_no_content_and_detects_tampering(start_agent, sink, partner, home):
    running = start_agent(sink.port)
    running.pipeline.pgp.import_keys(partner.public_key())
    run_cli("send", str(REFERRAL), "--wait", home=home)
    log_text = (home / "audit.log").read_text()
    for value in phi_values(REFERRAL.read_bytes()) + ["Referral: Robert Alvarez", "atrial fibrillation"]:
        assert value not in log_text
    delivered = [json.loads(line) for line in log_text.splitlines() if '"delivered"' in line]
    assert delivered[0]["key_fingerprint"] == partner.fingerprint and "queued as" in delivered[0]["reply"]

    assert run_cli("audit", "verify", home=home).returncode == 0
    exported = json.loads(run_cli("audit", "export", "--format", "json", home=home).stdout)
    assert [r["event"] for r in exported["records"]][:2] == ["accepted", "protected"]
    tampered = log_text.replace('"method": "pgp"', '"method": "tls"', 1)
    (home / "audit.log").write_text(tampered)
    result = run_cli("audit", "verify", home=home)
    assert result.returncode == 1 and b"was changed" in result.stderr


def test_a_long_message_with_bare_lf_line_ends_arrives_intact(start_agent, sink, home, tmp_path):
    start_agent(sink.port)
    lines = [f"Line {i}: blood pressure reviewed, no change to the plan." for i in range(400)]
    message = tmp_path / "long.eml"
    message.write_bytes(
        (
            "From: dr.chen@valleyclinic.example\nTo: nurse.patel@valleyclinic.example\nSubject: long\n\n"
            + "\n".join(lines)
            + "\n"
        ).encode()
    )
    result = run_cli("send", str(message), "--wait", "--json", home=home)
    assert json.loads(result.stdout)["state"] == "delivered", result.stdout
    arrived = sink.received[0].message.get_content()
    assert arrived.splitlines() == lines


def test_submitting_the_same_message_again_queues_nothing_new(start_agent, sink, home):
    running = start_agent(sink.port)
    from agent.api.client import AgentClient

    client = AgentClient(running.api_url, running.token)
    raw = (SAMPLES / "01-internal-note.eml").read_bytes()
    first = client.submit(raw)
    client.wait(first.id)
    again = client.submit(raw)  # e.g. a client that never saw the first 202
    assert again.id == first.id
    assert client.message(first.id)["state"] == "delivered"
    assert len(sink.received) == 1 and len(client.outbox()) == 1


def test_the_pgp_copy_is_signed_by_the_sender_and_gpg_says_good_signature(start_agent, sink, partner, home):
    store, own, armored = send_referral_by_pgp(start_agent, sink, partner, home)
    # The partner knows the clinic's public key (sent to them earlier) and checks with plain gpg.
    imported = partner.gpg.import_keys(store.export_public(own))
    assert own in imported.fingerprints, imported.stderr
    checked = subprocess.run(
        ["gpg", "--homedir", str(partner.home), "--batch", "--status-fd", "1", "--decrypt"],
        input=armored,
        capture_output=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr.decode()
    assert f"[GNUPG:] VALIDSIG {own}".encode() in checked.stdout and b"[GNUPG:] GOODSIG" in checked.stdout
