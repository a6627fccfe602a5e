import json
import subprocess
import threading

from gui.agent_client import AgentClient
from tests.conftest import SAMPLES, run_cli


def test_keys_generate_list_and_export_round_trip_through_plain_gpg(home, tmp_path):
    result = run_cli("keys", "generate", "dr.chen@valleyclinic.example", "--name", "Dr. Emily Chen", "--json", home=home)
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
    shown = subprocess.run(["gpg", "--homedir", str(other), "--batch", "--with-colons", "--show-keys"],
                           input=exported, capture_output=True, check=True).stdout.decode()
    assert f"fpr:::::::::{fingerprint}:" in shown
    assert b"PRIVATE KEY" not in exported


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
