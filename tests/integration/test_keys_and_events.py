import json
import subprocess
import threading
import time

from agent.api.client import AgentClient
from tests.conftest import SAMPLES, run_cli


def test_keys_generate_list_and_export_round_trip_through_plain_gpg(home, tmp_path):
    result = run_cli(
        "keys", "generate", "dr.chen@valleyclinic.example", "--name", "Dr. Emily Chen", "--json", home=home
    )
    assert result.returncode == 0, result.stderr
    fingerprint = json.loads(result.stdout)["fingerprint"]
    listed = json.loads(run_cli("keys", "list", "--json", home=home).stdout)["keys"]
    assert [(k["fingerprint"], k["emails"], k["secret"], k["usable"]) for k in listed] == [
        (fingerprint, ["dr.chen@valleyclinic.example"], True, True)
    ]
    exported = run_cli("keys", "export", "dr.chen@valleyclinic.example", home=home).stdout
    assert exported.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    other = tmp_path / "other-gpg"
    other.mkdir(mode=0o700)
    shown = subprocess.run(
        ["gpg", "--homedir", str(other), "--batch", "--with-colons", "--show-keys"],
        input=exported,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert f"fpr:::::::::{fingerprint}:" in shown
    assert b"PRIVATE KEY" not in exported


def _expiries(armored: bytes, gpg_home) -> list[int]:
    """Expiry of the primary key and each subkey, as plain gpg reads the exported key."""
    gpg_home.mkdir(mode=0o700, exist_ok=True)
    shown = subprocess.run(
        ["gpg", "--homedir", str(gpg_home), "--batch", "--with-colons", "--show-keys"],
        input=armored,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [int(line.split(":")[6] or 0) for line in shown.splitlines() if line.split(":")[0] in ("pub", "sub")]


def test_an_expiring_own_key_is_renewed_for_two_years_and_partners_see_it(home, tmp_path):
    gpg_home = home / "gnupg"
    gpg_home.mkdir(parents=True, mode=0o700)
    subprocess.run(
        [
            "gpg",
            "--homedir",
            str(gpg_home),
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Dr. Emily Chen <dr.chen@valleyclinic.example>",
            "future-default",
            "default",
            "10d",
        ],
        check=True,
        capture_output=True,
    )  # a signing primary and an encryption subkey
    fingerprint = json.loads(run_cli("keys", "list", "--json", home=home).stdout)["keys"][0]["fingerprint"]
    before = _expiries(run_cli("keys", "export", "dr.chen@valleyclinic.example", home=home).stdout, tmp_path / "a")
    assert len(before) == 2 and all(e < time.time() + 11 * 86400 for e in before)

    result = run_cli("keys", "renew", "dr.chen@valleyclinic.example", "--json", home=home)
    assert result.returncode == 0, result.stderr
    renewed = json.loads(result.stdout)
    assert renewed["fingerprint"] == fingerprint
    after = _expiries(run_cli("keys", "export", fingerprint, home=home).stdout, tmp_path / "b")
    assert len(after) == 2 and all(e > time.time() + 700 * 86400 for e in after)  # primary and subkey alike
    assert after[0] == renewed["expires"]


def test_renewing_a_key_that_is_not_yours_or_is_unknown_is_refused(home, partner):
    run_cli("keys", "generate", "dr.chen@valleyclinic.example", home=home)
    key_file = home / "partner.asc"
    key_file.write_text(partner.public_key())
    assert run_cli("keys", "import", str(key_file), home=home).returncode == 0
    for named in ("referrals@lakesidecardiology.example", partner.fingerprint, "nobody@nowhere.example"):
        result = run_cli("keys", "renew", named, home=home)
        assert result.returncode == 2, named
        assert b"none of your own keys has that address or fingerprint" in result.stderr
        assert b"Traceback" not in result.stderr


def test_export_of_an_unknown_address_is_bad_input(home):
    result = run_cli("keys", "export", "nobody@nowhere.example", home=home)
    assert result.returncode == 2 and b"no public key for nobody@nowhere.example" in result.stderr


def test_events_stream_reports_each_state_change(start_agent, sink):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=20)
    seen: list[dict] = []
    stream = client.events()
    assert next(stream) == {"type": "hello"}

    def listen() -> None:
        for event in stream:
            seen.append(event)
            if event["state"] == "delivered":
                return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ident = client.submit((SAMPLES / "01-internal-note.eml").read_bytes()).id
    listener.join(20)
    states = [e["state"] for e in seen if e["id"] == ident]
    assert states[0] == "queued" and states[-1] == "delivered"
    assert "sending" in states or "protecting" in states
