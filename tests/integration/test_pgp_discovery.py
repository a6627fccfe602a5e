"""A recipient whose key is published only in their domain's Web Key Directory (or a VKS
keyserver, or an Autocrypt header of mail they sent) gets PGP/MIME that plain gpg opens;
garbage, a key for someone else, an oversized answer or an unreachable server is a reason
in the plan, and a miss is not looked up again for a day."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from agent.demo_world import Recipient
from agent.keys.discovery import wkd_urls, zbase32
from tests.conftest import SAMPLES, gpg_decrypt, run_cli
from tests.named_https import NamedHttps

REFERRAL = SAMPLES / "02-referral-lab-results.eml"
DOMAIN = "lakesidecardiology.example"
PARTNER = f"referrals@{DOMAIN}"
NAMES = [f"openpgpkey.{DOMAIN}", DOMAIN, "keys.openpgp.example"]


@pytest.fixture
def web(tmp_path):
    server = NamedHttps(tmp_path / "web", NAMES)
    yield server
    server.close()


def short_folder() -> Path:
    # gpg-agent's socket lives in the home: a pytest tmp_path is too long for a socket path.
    return Path(tempfile.mkdtemp(prefix="wkd-", dir="/tmp"))


@pytest.fixture
def publisher():
    folder = short_folder()
    person = Recipient(folder, PARTNER)
    yield person
    person.close()
    shutil.rmtree(folder, ignore_errors=True)


def binary_key(person: Recipient) -> bytes:
    return subprocess.run(
        ["gpg", "--homedir", str(person.home), "--export", person.fingerprint], capture_output=True, check=True
    ).stdout


def path_of(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return host, "/" + path


def agent_for(start_agent, sink, web, connect=None, **pgp):
    return start_agent(
        sink.port,
        network={"connect_to": web.connect_to(connect), "ca_file": str(web.ca_file)},
        pgp={"wkd": True, **pgp},
    )


def test_zbase32_and_the_wkd_addresses_follow_the_draft():
    # draft-koch-openpgp-webkey-service §3.1 example: "Joe.Doe" hashes to this.
    assert zbase32(__import__("hashlib").sha1(b"joe.doe").digest()) == "iy9q119eutrkn8s1mk4r39qejnbu3n5q"
    advanced, direct = wkd_urls("Joe.Doe@Example.ORG")
    assert advanced == (
        "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/"
        "iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
    )
    assert direct == "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"


def test_a_key_only_on_wkd_is_found_and_gpg_opens_the_message(start_agent, sink, web, publisher, home):
    advanced, _ = wkd_urls(PARTNER)
    web.routes[path_of(advanced)] = binary_key(publisher)
    agent_for(start_agent, sink, web)
    result = run_cli("send", str(REFERRAL), "--wait", "--json", home=home)
    assert result.returncode == 0, result.stderr.decode()
    [rcpt] = json.loads(result.stdout)["recipients"]
    assert rcpt["method"] == "pgp" and rcpt["proof"]["key_fingerprint"] == publisher.fingerprint
    received = sink.by_reply(rcpt["proof"]["reply"])
    part = next(p for p in received.message.walk() if p.get_content_type() == "application/octet-stream")
    assert "new-onset atrial fibrillation" in gpg_decrypt(publisher, part.get_payload(decode=True))


def test_without_the_openpgpkey_host_the_direct_method_is_used(start_agent, sink, web, publisher, home):
    _, direct = wkd_urls(PARTNER)
    web.routes[path_of(direct)] = binary_key(publisher)
    agent_for(start_agent, sink, web, connect=[DOMAIN])  # openpgpkey.<domain> does not resolve
    plan = json.loads(run_cli("policy", "check", str(REFERRAL), "--json", home=home).stdout)
    assert plan["recipients"][0]["method"] == "pgp" and plan["recipients"][0]["reason"] == "OpenPGP key found by WKD"


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"<html>Not found, but we say 200</html>", "not an OpenPGP key for"),
        (lambda: b"x" * (10 * 1024 * 1024), "more than 1024 KB"),
        (500, "answered HTTP 500"),
    ],
)
def test_a_bad_wkd_answer_is_a_reason_and_the_portal_is_used(start_agent, sink, web, home, answer, why):
    advanced, _ = wkd_urls(PARTNER)
    web.routes[path_of(advanced)] = answer
    agent_for(start_agent, sink, web)
    plan = json.loads(run_cli("policy", "check", str(REFERRAL), "--json", home=home).stdout)
    [recipient] = plan["recipients"]
    assert recipient["method"] == "portal"
    assert why in " ".join(recipient["skipped"]), recipient["skipped"]


def test_a_key_for_someone_else_under_this_hash_is_not_used(start_agent, sink, web, home, tmp_path):
    folder = short_folder()
    other = Recipient(folder, f"mallory@{DOMAIN}")
    try:
        advanced, _ = wkd_urls(PARTNER)
        web.routes[path_of(advanced)] = binary_key(other)
        running = agent_for(start_agent, sink, web)
        plan = json.loads(run_cli("policy", "check", str(REFERRAL), "--json", home=home).stdout)
        assert plan["recipients"][0]["method"] == "portal"
        assert f"not an OpenPGP key for {PARTNER}" in " ".join(plan["recipients"][0]["skipped"])
        assert not [k for k in running.pipeline.pgp.list_keys() if other.fingerprint == k.fingerprint]
    finally:
        other.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_miss_is_remembered_so_the_next_message_does_not_wait(start_agent, sink, web, home):
    running = agent_for(start_agent, sink, web)
    for _ in range(2):
        running.pipeline.plan(REFERRAL.read_bytes())
    assert len([h for h in web.hits if "/hu/" in h[1]]) == 1
    plan = running.pipeline.plan(REFERRAL.read_bytes())[1]
    assert "looked up again after" in " ".join(plan.recipients[0].skipped)


def test_a_keyserver_has_it_when_wkd_does_not(start_agent, sink, web, publisher, home):
    web.routes[("keys.openpgp.example", f"/vks/v1/by-email/{PARTNER.replace('@', '%40')}")] = binary_key(publisher)
    running = agent_for(start_agent, sink, web, keyserver="https://keys.openpgp.example")
    plan = running.pipeline.plan(REFERRAL.read_bytes())[1]
    assert plan.recipients[0].method == "pgp" and plan.recipients[0].reason == "OpenPGP key found by keyserver"


def test_an_autocrypt_header_in_received_mail_puts_the_key_on_file(start_agent, sink, publisher, home):
    import base64

    from agent.api.client import AgentClient, ApiError

    running = start_agent(sink.port, pgp={"wkd": False})
    keydata = base64.b64encode(binary_key(publisher)).decode()
    folded = "\r\n ".join(keydata[i : i + 72] for i in range(0, len(keydata), 72))
    received = (
        f"From: Referrals <{PARTNER}>\r\nTo: dr.chen@valleyclinic.example\r\nSubject: hello\r\n"
        f"Autocrypt: addr={PARTNER}; prefer-encrypt=mutual; keydata=\r\n {folded}\r\n"
        "Content-Type: text/plain\r\n\r\nhi\r\n"
    ).encode()
    client = AgentClient(running.api_url, running.token)
    assert client.import_key(received) == [publisher.fingerprint]
    assert running.pipeline.plan(REFERRAL.read_bytes())[1].recipients[0].method == "pgp"
    # An Autocrypt header whose addr is not the sender's is refused (Autocrypt Level 1 §2.3).
    spoofed = received.replace(f"From: Referrals <{PARTNER}>".encode(), b"From: someone@else.example")
    with pytest.raises(ApiError, match="Autocrypt"):
        client.import_key(spoofed)
