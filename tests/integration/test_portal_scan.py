"""Nothing about a message's content reaches the portal in clear. A full round: a real agent,
enrolled with an organization's portal through `postseal portal enroll`, sends a message whose
subject, body and attachment name carry PHI; the recipient asks a code, opens the message
with the key from the link (over HTTP, as the page does), saves the attachment, replies with
a file of their own; the agent collects the receipt and the reply. Then every byte the portal
kept is scanned: the SQLite database (with its WAL) and blob files; on PostgreSQL a pg_dump of
the database and every object in the S3-compatible store (moto's server); and the portal's
log records. None may hold the patient's name, the MRN, the subject, the body or reply text,
an attachment name, the message key (base64 or hex), the code, the agent's credential or the
enrolment code. What the portal keeps by design (docs/deploy.md): the sender's and the
recipient's addresses, sizes, times and verification state."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agent import portal_enrol
from agent.api.client import AgentClient
from agent.portal import enrolment
from agent.portal.blobs import FileBlobStore
from agent.portal.store import SqlitePortalStore
from agent.protect.portal import b64url_decode, unseal
from tests.conftest import SENDER, run_cli
from tests.integration.test_portal_agents import Portal
from tests.portal_pg import pg_bin

PATIENT = "mg.patient@mailbox.example"  # an address that does not spell the name (addresses are kept)
FILE_NAME = "Gonzalez_Maria_MRN-4471982_labs.pdf"
SUBJECT = "Lab results for Maria Gonzalez (MRN 4471982)"
BODY = "Your HbA1c came back at 8.4 percent; please start the new dose on Monday."
REPLY_TEXT = "Thank you, attached is my insurance card for the refill."
REPLY_FILE = "Gonzalez_insurance_card_front.jpg"
BUCKET = "postseal-scan"


def the_message(tmp_path: Path) -> Path:
    message = EmailMessage()
    message["From"], message["To"] = f"Dr. Emily Chen <{SENDER}>", PATIENT
    message["Subject"], message["Message-ID"] = SUBJECT, "<scan-round@valleyclinic.example>"
    message.set_content(BODY)
    message.add_attachment(b"%PDF-1.4 HbA1c 8.4 Gonzalez\n", maintype="application", subtype="pdf", filename=FILE_NAME)
    path = tmp_path / "labs.eml"
    path.write_bytes(message.as_bytes())
    return path


@pytest.fixture(params=["sqlite-files", "postgres-s3"])
def kept(request, tmp_path: Path):
    """(the portal's store, a function returning every byte the portal keeps)."""
    if request.param == "sqlite-files":
        root = tmp_path / "portal-state"
        store = SqlitePortalStore(root)
        yield store, lambda: b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())
        store.close()
        return
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    from agent.demo_world import free_port
    from agent.portal.blobs import S3BlobStore
    from agent.portal.store_pg import PostgresPortalStore

    monkeypatch = request.getfixturevalue("monkeypatch")
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_CONFIG_FILE", str(tmp_path / "none")),
        ("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none")),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ):
        monkeypatch.setenv(name, value)
    url = request.getfixturevalue("postgres_url")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    store = PostgresPortalStore(
        url, S3BlobStore(BUCKET, prefix="scan", endpoint_url=f"http://{host}:{port}", region="us-east-1")
    )

    def everything() -> bytes:
        dump = subprocess.run(
            [str(pg_bin() / "pg_dump"), "--no-owner", url], capture_output=True, check=True, timeout=60
        ).stdout
        assert b"CREATE TABLE public.messages" in dump and b"COPY public.events" in dump  # a real dump
        listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        objects = [s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed]
        assert objects, "the object store holds the message's ciphertext"
        return dump + b"".join(objects) + json.dumps([o["Key"] for o in listed]).encode()

    yield store, everything
    store.close()
    server.stop()


def test_after_a_full_round_nothing_about_the_content_is_kept_in_clear(kept, start_agent, sink, home, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="agent.portal")
    store, everything = kept
    codes: list[str] = []
    portal = Portal(store, mailer=lambda sealed, code: codes.append(code)).start()
    try:
        enrolment_code, _ = enrolment.new_code(store, 1, 3600)
        enrolled = run_cli(
            "portal", "enroll", "--url", portal.url, "--code", enrolment_code, "--name", "Dr. Chen", home=home
        )
        assert enrolled.returncode == 0, enrolled.stderr
        credential = portal_enrol.secret_store.get(home, portal_enrol.ENROLLED).decode()
        running = start_agent(sink.port, portal={"url": portal.url, "embedded": False, "poll_seconds": 1})
        assert running.pipeline.portal_credential == credential
        sent = run_cli("send", str(the_message(tmp_path)), "--wait", home=home)
        assert sent.returncode == 0, sent.stderr + sent.stdout
        [notice] = [r for r in sink.received if r.recipients == (PATIENT,)]
        link = re.search(r"(http://\S+/m/\S+#\S+)", notice.message.get_body(("plain",)).get_content()).group(1)
        ident, key_text = link.split("/m/")[1].split("#")
        key = b64url_decode(key_text)
        assert store.get(ident).agent not in ("", "local")  # the enrolled agent owns it

        # The recipient: a code, a session, the ciphertext opened with the key, a receipt, a reply.
        api = f"{portal.url}/api/v1/messages/{ident}"
        browser = requests.Session()
        assert browser.post(f"{api}/code", json={}, timeout=10).status_code == 202
        assert browser.post(f"{api}/session", json={"code": codes[-1]}, timeout=10).status_code == 200
        document = unseal(key, browser.get(f"{api}/blob", timeout=10).content, ident)
        assert document["subject"] == SUBJECT and document["attachments"][0]["filename"] == FILE_NAME
        assert browser.post(f"{api}/receipt", json={"event": "download", "index": 0}, timeout=10).status_code == 204
        reply_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
        nonce = secrets.token_bytes(12)
        reply = {
            "format": "postseal-portal-reply-v1",
            "text": REPLY_TEXT,
            "attachments": [
                {
                    "filename": REPLY_FILE,
                    "content_type": "image/jpeg",
                    "data": base64.b64encode(b"\xff\xd8card").decode(),
                }
            ],
        }
        sealed = nonce + AESGCM(key).encrypt(nonce, json.dumps(reply).encode(), f"{ident}/reply/{reply_id}".encode())
        assert browser.put(f"{api}/replies/{reply_id}", data=sealed, timeout=10).status_code == 201

        # The agent collects the receipt and the reply (and hands the reply to the sender).
        client = AgentClient(running.api_url, running.token)
        deadline = time.monotonic() + 30
        # (the reply reaches the sender after it is recorded and dropped: a delivery of its own,
        # kept in the agent here, as the sender has no S/MIME identity)
        while not (
            {"portal_downloaded", "portal_reply"} <= {r["event"] for r in client.audit()}
            and store.replies() == []
            and [r for r in client.replies() if r["state"] == "delivered"]
        ):
            assert time.monotonic() < deadline, "the agent never collected the receipt and the reply"
            time.sleep(0.2)

        kept_bytes = everything() + caplog.text.encode()
        assert ident.encode() in kept_bytes and PATIENT.encode() in kept_bytes  # the scan sees what is there
        forbidden = {
            "patient's surname": b"gonzalez",
            "patient's given name": b"maria",
            "MRN": b"4471982",
            "subject": SUBJECT.encode(),
            "body text": b"hba1c came back",
            "reply text": REPLY_TEXT.encode(),
            "attachment name": FILE_NAME.encode(),
            "reply attachment name": REPLY_FILE.encode(),
            "sender's display name": b"emily",
            "key (base64url)": key_text.encode(),
            "key (base64)": base64.b64encode(key).rstrip(b"="),
            "key (hex)": key.hex().encode(),
            "key (raw)": key,
            "agent credential": credential.encode(),
            "enrolment code": enrolment_code.encode(),
        }
        lowered = kept_bytes.lower()
        found = [
            what
            for what, needle in forbidden.items()
            if needle in kept_bytes or (needle.isascii() and needle.lower() in lowered)
        ]
        found += ["code"] if re.search(rb"(?<!\d)" + codes[-1].encode() + rb"(?!\d)", kept_bytes) else []
        assert found == [], f"the portal keeps in clear: {found}"
    finally:
        portal.stop()


def test_enrol_and_manage_agents_from_the_command_line(home, tmp_path):
    """`portal enrolment-code`, `portal agents list|revoke` on the home's SQLite store, and
    `portal enroll` from another computer's home: the credential lands in its secret store."""
    portal_home = tmp_path / "portal-home"
    portal_home.mkdir(mode=0o700)
    made = run_cli("portal", "enrolment-code", "--uses", "2", "--expires", "1d", "--json", home=portal_home)
    assert made.returncode == 0, made.stderr
    code = json.loads(made.stdout)["code"]
    bad = run_cli("portal", "enrolment-code", "--expires", "forever", home=portal_home)
    assert bad.returncode == 2 and len(bad.stderr.decode().strip().splitlines()) == 1 and b"--expires" in bad.stderr
    store = SqlitePortalStore(portal_home / "portal", FileBlobStore(portal_home / "portal"))
    portal = Portal(store).start()
    try:
        refused = run_cli("portal", "enroll", "--url", portal.url, "--code", "pse-wrong", home=home)
        assert refused.returncode == 1 and b"refused the enrolment (HTTP 403)" in refused.stderr
        assert b"Traceback" not in refused.stderr
        enrolled = run_cli(
            "portal", "enroll", "--url", portal.url, "--code", code, "--name", "Front desk", "--json", home=home
        )
        assert enrolled.returncode == 0, enrolled.stderr
        agent = json.loads(enrolled.stdout)["agent"]
        credential = portal_enrol.secret_store.get(home, portal_enrol.ENROLLED).decode()
        assert credential.encode() not in b"".join(
            p.read_bytes() for p in (portal_home / "portal").rglob("*") if p.is_file()
        )
        sync = requests.get(f"{portal.url}/api/v1/sync", headers={"Authorization": f"Bearer {credential}"}, timeout=10)
        assert sync.status_code == 200
        listed = run_cli("portal", "agents", "list", home=portal_home)
        assert listed.returncode == 0 and agent.encode() in listed.stdout and b"Front desk" in listed.stdout
        revoked = run_cli("portal", "agents", "revoke", agent, home=portal_home)
        assert revoked.returncode == 0, revoked.stderr
        sync = requests.get(f"{portal.url}/api/v1/sync", headers={"Authorization": f"Bearer {credential}"}, timeout=10)
        assert sync.status_code == 401
        again = run_cli("portal", "agents", "revoke", agent, home=portal_home)
        assert again.returncode == 2 and b"already revoked" in again.stderr
    finally:
        portal.stop()
        store.close()


def test_enrolment_commands_find_the_database_in_portal_toml(postgres_url, tmp_path):
    from agent.portal.store_pg import PostgresPortalStore

    settings = tmp_path / "portal.toml"
    settings.write_text(f'public_url = "https://portal.clinic.example"\ndatabase = "{postgres_url}"\n')
    home = tmp_path / "admin-home"
    home.mkdir(mode=0o700)
    made = run_cli("portal", "enrolment-code", "--config", str(settings), "--uses", "3", "--json", home=home)
    assert made.returncode == 0, made.stderr
    store = PostgresPortalStore(postgres_url, FileBlobStore(tmp_path / "blobs"))
    try:
        assert enrolment.enrol(store, json.loads(made.stdout)["code"], "ward laptop") is not None
    finally:
        store.close()
    listed = run_cli("portal", "agents", "list", "--config", str(settings), "--json", home=home)
    assert listed.returncode == 0 and [a["name"] for a in json.loads(listed.stdout)] == ["ward laptop"]
    broken = tmp_path / "broken.toml"
    broken.write_text('database = "postgresql://postseal:pw@db/portal"\n')  # a password in the file is refused
    refused = run_cli("portal", "agents", "list", "--config", str(broken), home=home)
    assert refused.returncode == 2 and len(refused.stderr.decode().strip().splitlines()) == 1
