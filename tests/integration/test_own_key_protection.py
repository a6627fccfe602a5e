"""The clinician's own OpenPGP secret key is protected on disk by a passphrase from the secret
store: generated, imported or left unprotected by the earlier version. Proved from the outside
with plain gpg on a copy of the key store (an agent with nothing cached), and signing still
works: the partner's gpg checks the signature on what arrived."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import secret_store
from agent.demo_world import Recipient
from agent.keys.pgp_store import PASSPHRASE
from tests.conftest import SAMPLES, SENDER, run_cli

REFERRAL = SAMPLES / "02-referral-lab-results.eml"


@pytest.fixture
def partner() -> Iterator[Recipient]:
    # Their own, given the sender's public key to check signatures; a short path for gpg-agent's socket.
    person = Recipient(Path(tempfile.mkdtemp(prefix="partner-")), "referrals@lakesidecardiology.example")
    yield person
    person.close()
    shutil.rmtree(person.home.parent, ignore_errors=True)


def gpg(home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )


def export_from_a_copy(home: Path, fingerprint: str, passphrase: str) -> subprocess.CompletedProcess:
    """The secret key as someone who copied the data directory would get it with `passphrase`:
    a copy of the key store, opened by a gpg-agent of its own that has nothing cached."""
    copy = Path(tempfile.mkdtemp(prefix="copy-")) / "g"
    shutil.copytree(home / "gnupg", copy, ignore=shutil.ignore_patterns("S.*", "*.lock"))
    try:
        return gpg(copy, "--passphrase", passphrase, "--armor", "--export-secret-keys", fingerprint)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(copy), "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(copy.parent, ignore_errors=True)


def ours(home: Path) -> str:
    return secret_store.get_or_create(home, PASSPHRASE).hex()


def assert_protected(home: Path, fingerprint: str, also_not: str = "") -> None:
    for wrong in ("", also_not) if also_not else ("",):
        refused = export_from_a_copy(home, fingerprint, wrong)
        assert refused.returncode != 0 and b"PRIVATE KEY" not in refused.stdout, refused.stderr
    exported = export_from_a_copy(home, fingerprint, ours(home))
    assert exported.returncode == 0 and b"PRIVATE KEY" in exported.stdout, exported.stderr
    packets = subprocess.run(
        ["gpg", "--list-packets"], input=exported.stdout, capture_output=True, check=False
    ).stdout.decode()
    assert packets.count("secret key packet") + packets.count("secret sub key packet") == 2
    assert packets.count("protected") >= 2 and "S2K" in packets


def send_and_check_signature(running, sink, partner: Recipient, home: Path, own: str) -> None:
    running.pipeline.pgp.import_keys(partner.public_key())
    partner.gpg.import_keys(running.pipeline.pgp.export_public(own))
    result = run_cli("send", str(REFERRAL), "--wait", "--json", home=home)
    [rcpt] = json.loads(result.stdout)["recipients"]
    assert (rcpt["method"], rcpt["state"]) == ("pgp", "delivered"), result.stdout
    received = sink.by_reply(rcpt["proof"]["reply"])
    armored = next(p for p in received.message.walk() if p.get_content_type() == "application/octet-stream")
    opened = subprocess.run(
        ["gpg", "--homedir", str(partner.home), "--batch", "--status-fd", "2", "--decrypt"],
        input=armored.get_payload(decode=True),
        capture_output=True,
        check=False,
    )
    status = opened.stderr.decode()
    assert "DECRYPTION_OKAY" in status and f"GOODSIG {own[-16:]}" in status, status
    assert "new-onset atrial fibrillation" in opened.stdout.decode()


def test_a_generated_own_key_is_protected_and_still_signs(start_agent, sink, partner, home):
    running = start_agent(sink.port)
    result = run_cli("keys", "generate", SENDER, "--json", home=home)
    assert result.returncode == 0, result.stderr
    own = json.loads(result.stdout)["fingerprint"]
    assert_protected(home, own)
    send_and_check_signature(running, sink, partner, home, own)


def test_an_unprotected_own_key_of_the_earlier_version_is_protected_at_start(start_agent, sink, partner, home):
    (home / "gnupg").mkdir(mode=0o700)
    made = gpg(
        home / "gnupg",
        "--passphrase",
        "",
        "--quick-gen-key",
        f"Dr. Emily Chen <{SENDER}>",
        "future-default",
        "default",
        "1y",
    )  # as the earlier version left it: no passphrase
    assert made.returncode == 0, made.stderr
    own = json.loads(run_cli("keys", "list", "--json", home=home).stdout)["keys"][0]["fingerprint"]
    subprocess.run(["gpgconf", "--homedir", str(home / "gnupg"), "--kill", "all"], check=False)
    assert export_from_a_copy(home, own, "").returncode == 0  # anyone with a copy had it

    running = start_agent(sink.port)
    assert_protected(home, own)
    send_and_check_signature(running, sink, partner, home, own)
    renewed = run_cli("keys", "renew", SENDER, home=home)
    assert renewed.returncode == 0, renewed.stderr
    assert_protected(home, own)


def secret_key_file(passphrase: str) -> tuple[str, Path]:
    """An own key made in another program, exported with `passphrase` ("" = none)."""
    elsewhere = Path(tempfile.mkdtemp(prefix="other-"))
    home = elsewhere / "g"
    home.mkdir(mode=0o700)
    gpg(home, "--passphrase", passphrase, "--quick-gen-key", SENDER, "future-default", "default", "1y")
    listing = gpg(home, "--with-colons", "--list-secret-keys").stdout.decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    exported = gpg(home, "--passphrase", passphrase, "--armor", "--export-secret-keys", fingerprint).stdout
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)
    path = elsewhere / "secret.asc"
    path.write_bytes(exported)
    return fingerprint, path


def test_an_imported_unprotected_secret_key_is_protected(home):
    fingerprint, path = secret_key_file("")
    result = run_cli("keys", "import", str(path), home=home)
    assert result.returncode == 0, result.stderr
    assert_protected(home, fingerprint)


def test_an_imported_key_with_its_own_passphrase_gets_postseals_instead(home):
    fingerprint, path = secret_key_file("correct horse battery")
    (home / "pass.txt").write_text("correct horse battery\n")
    result = run_cli("keys", "import", str(path), "--password-file", str(home / "pass.txt"), home=home)
    assert result.returncode == 0, result.stderr
    assert_protected(home, fingerprint, also_not="correct horse battery")


def test_an_imported_key_whose_passphrase_is_not_given_keeps_no_secret_part(home):
    fingerprint, path = secret_key_file("correct horse battery")
    result = run_cli("keys", "import", str(path), home=home)
    assert result.returncode == 2
    assert b"protected by a passphrase of its own" in result.stderr and b"--password-file" in result.stderr
    keys = json.loads(run_cli("keys", "list", "--json", home=home).stdout)["keys"]
    assert [(k["fingerprint"], k["secret"]) for k in keys] == [(fingerprint, False)]
