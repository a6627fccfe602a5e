"""`postseal keys` refuses what would hurt and says what it cannot use (no agent needed)."""

from __future__ import annotations

import json
import subprocess

from agent.demo_world import Recipient
from tests.conftest import run_cli

OWN = "dr.chen@valleyclinic.example"


def out(result: subprocess.CompletedProcess) -> str:
    return result.stdout.decode() + result.stderr.decode()


def own_keys(home) -> list[dict]:
    listed = json.loads(run_cli("keys", "list", "--json", home=home).stdout)["keys"]
    return [k for k in listed if k["secret"]]


def test_generate_refuses_a_non_address_and_a_second_key_without_yes(home):
    bad = run_cli("keys", "generate", "Dr Chen", home=home)
    assert bad.returncode == 2 and "is not an e-mail address" in bad.stderr.decode()
    assert not (home / "gnupg").exists()  # refused before the keyring was even opened

    first = run_cli("keys", "generate", OWN, "--json", home=home)
    assert first.returncode == 0, out(first)
    fingerprint = json.loads(first.stdout)["fingerprint"]
    second = run_cli("keys", "generate", OWN, home=home)  # not a terminal: refused, not asked
    assert second.returncode == 2 and fingerprint in second.stderr.decode() and "--yes" in second.stderr.decode()
    assert [k["fingerprint"] for k in own_keys(home)] == [fingerprint]
    asked = run_cli("keys", "generate", OWN, "--yes", home=home)
    assert asked.returncode == 0, out(asked)
    assert len(own_keys(home)) == 2


def test_import_warns_when_the_key_cannot_encrypt(home, tmp_path, people):
    # GnuPG homes under the session's short `people` folder: gpg-agent's socket path has a length limit.
    expired = Recipient(people, "expired.import@mailbox.example", faked_time="20240101T000000", expire="1d")
    try:
        (tmp_path / "expired.asc").write_text(expired.public_key())
    finally:
        expired.close()
    result = run_cli("keys", "import", str(tmp_path / "expired.asc"), "--json", home=home)
    assert result.returncode == 0, out(result)
    [key] = json.loads(result.stdout)["keys"]
    assert not key["usable"] and "expired on 2024-01-02" in key["problem"]
    assert (
        "cannot be used to encrypt" in result.stderr.decode()
        and "expired.import@mailbox.example" in result.stderr.decode()
    )

    signing_only = people / "signer-import"
    signing_only.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(signing_only), "--batch", "--passphrase", ""]
    subprocess.run(
        [*gpg, "--quick-gen-key", "signer@partner.example", "ed25519", "sign", "never"], check=True, capture_output=True
    )
    exported = subprocess.run(
        [*gpg, "--armor", "--export", "signer@partner.example"], check=True, capture_output=True
    ).stdout
    subprocess.run(["gpgconf", "--homedir", str(signing_only), "--kill", "all"], check=False, capture_output=True)
    (tmp_path / "signer.asc").write_bytes(exported)
    result = run_cli("keys", "import", str(tmp_path / "signer.asc"), home=home)
    assert result.returncode == 0 and "no usable encryption subkey" in result.stderr.decode(), out(result)
    assert "imported pgp" in result.stdout.decode()


def test_remove_forgets_a_partner_key_and_never_your_own(home, partner, tmp_path):
    (tmp_path / "partner.asc").write_text(partner.public_key())
    assert run_cli("keys", "import", str(tmp_path / "partner.asc"), home=home).returncode == 0
    assert run_cli("keys", "generate", OWN, home=home).returncode == 0

    own = run_cli("keys", "remove", OWN, home=home)
    assert own.returncode == 2 and "your own key" in own.stderr.decode()
    unknown = run_cli("keys", "remove", "nobody@nowhere.example", "--json", home=home)
    assert unknown.returncode == 2 and json.loads(unknown.stdout)["error"]["code"] == "bad_input"

    removed = run_cli("keys", "remove", partner.address, home=home)
    assert removed.returncode == 0 and partner.fingerprint in removed.stdout.decode(), out(removed)
    left = json.loads(run_cli("keys", "list", "--json", home=home).stdout)["keys"]
    assert [k["emails"] for k in left] == [[OWN]]
