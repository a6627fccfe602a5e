"""An admin over SSH does with `postseal` what the tray's buttons do, and reads the same
exit code for the same state in every command (DESIGN.md: held 3, bad input or unknown id
2, no agent 4); under --json an error is one JSON document on stdout as well."""

from __future__ import annotations

import json
import re
import subprocess

from agent.api.client import AgentClient
from tests.conftest import SAMPLES, run_cli
from tests.relays import refusing_relay

SSN_SAMPLE = SAMPLES / "05-disability-form-ssn.eml"
TLS_SAMPLE = SAMPLES / "04-billing-claim-tls.eml"


def out(result: subprocess.CompletedProcess) -> str:
    return result.stdout.decode() + result.stderr.decode()


def json_error(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout)["error"]


def test_held_release_with_a_note_and_the_same_codes_everywhere(start_agent, sink, home):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=30)
    ident = client.submit(SSN_SAMPLE.read_bytes()).id
    assert client.message(ident)["state"] == "held"

    held = run_cli("status", ident, home=home)
    assert held.returncode == 3 and "held" in held.stdout.decode()
    for command in (
        ["status", "nope"],
        ["revoke", "nope"],
        ["retry", "nope"],
        ["release", "nope"],
        ["send-via-portal", "nope"],
    ):
        result = run_cli(*command, home=home)
        assert result.returncode == 2 and "nope" in result.stderr.decode(), (command, out(result))
        as_json = run_cli(*command, "--json", home=home)
        assert as_json.returncode == 2 and json_error(as_json)["code"] == "not_found", (command, out(as_json))
        assert as_json.stderr.decode().count("\n") == 1  # and the one line for a person

    released = run_cli("release", ident, "--note", "reviewed with the privacy officer", home=home)
    assert released.returncode == 0, out(released)
    assert f"released 1 recipient of {ident}" in released.stdout.decode()
    assert client.wait(ident)["state"] == "delivered"
    note = [r for r in client.audit() if r["event"] == "released"]
    assert note and "reviewed with the privacy officer" in note[0]["reason"]
    again = run_cli("release", ident, "--json", home=home)
    assert again.returncode == 2 and json_error(again)["code"] == "not_held"
    assert run_cli("status", ident, home=home).returncode == 0


def test_no_agent_is_exit_4_in_json_too(home):
    result = run_cli("outbox", "--json", home=home)
    assert result.returncode == 4 and json_error(result)["code"] == "agent_unreachable"
    usage = run_cli("outbox", "--json", "--colour", home=home)  # argparse's own error, in JSON as well
    assert usage.returncode == 2 and "unrecognized arguments: --colour" in json_error(usage)["message"]
    assert usage.stderr.decode().startswith("usage: postseal")


def test_retry_now_from_the_command_line(start_agent, home):
    with refusing_relay("harborbilling.example") as port:
        running = start_agent(
            port, relay={"starttls": "off"}, tls={"required_domains": []}, outbox={"retry_first_seconds": 3600}
        )
        client = AgentClient(running.api_url, running.token, timeout=30)
        ident = client.submit(TLS_SAMPLE.read_bytes()).id
        assert client.wait(ident, timeout=20, final=("deferred",))["state"] == "deferred"
        result = run_cli("retry", ident, "--json", home=home)
        assert result.returncode == 0 and json.loads(result.stdout)["retried"] == 1, out(result)
        # Already going by the portal: nothing to reroute, said as bad input, not a crash.
        rerouted = run_cli("send-via-portal", ident, home=home)
        assert rerouted.returncode == 2 and "waiting for another method" in rerouted.stderr.decode(), out(rerouted)


def test_a_held_pgp_recipient_is_sent_via_the_portal_from_the_command_line(start_agent, sink, partner, home):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=30)
    client.import_key(partner.public_key().encode())
    raw = (
        (SAMPLES / "02-referral-lab-results.eml")
        .read_bytes()
        .replace(b"Dear colleagues,", b"Dear colleagues, (his SSN is 512-44-8721 for the disability form)", 1)
    )
    ident = client.submit(raw).id
    assert client.message(ident)["recipients"][0]["method"] == "pgp"
    result = run_cli("send-via-portal", ident, home=home)
    assert result.returncode == 0 and "1 recipient now get" in result.stdout.decode(), out(result)
    record = client.wait(ident)
    assert record["state"] == "delivered" and record["recipients"][0]["method"] == "portal"


def test_resending_the_same_file_says_it_was_not_sent_again(start_agent, sink, home):
    start_agent(sink.port)
    first = run_cli("send", str(SAMPLES / "01-internal-note.eml"), "--wait", "--json", home=home)
    ident = json.loads(first.stdout)["id"]
    second = run_cli("send", str(SAMPLES / "01-internal-note.eml"), "--wait", home=home)
    assert second.returncode == 0
    assert f"already submitted as {ident}: not sent again" in second.stderr.decode()
    assert len(sink.received) == 1


def test_outbox_has_a_time_column_and_cuts_long_reasons_with_an_ellipsis(start_agent, sink, home, monkeypatch):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=30)
    ident = client.submit(SSN_SAMPLE.read_bytes()).id
    reason = client.message(ident)["reason"]
    monkeypatch.setenv("COLUMNS", "100")  # what shutil.get_terminal_size reads first
    listing = run_cli("outbox", home=home).stdout.decode()
    header, _, row = listing.splitlines()[:3]
    assert header.split()[:2] == ["time", "id"] and ident in row
    assert re.match(r"\d\d:\d\d  ", row)  # today's message: its time of day
    assert len(reason) > 40 and reason not in listing and row.endswith("…") and len(row) <= 100
    assert reason in run_cli("outbox", "-v", home=home).stdout.decode()
    assert json.loads(run_cli("outbox", "--json", home=home).stdout)["messages"][0]["reason"] == reason
    monkeypatch.setenv("COLUMNS", "60")
    status = run_cli("status", ident, home=home).stdout.decode()
    assert "…" in status and max(map(len, status.splitlines()[1:])) <= 80
    assert reason in run_cli("status", ident, "-v", home=home).stdout.decode()


def test_an_unknown_relay_host_is_said_in_words(start_agent, home):
    start_agent(25, relay={"host": "no-such-relay.invalid", "starttls": "off"})
    result = run_cli("send", str(SAMPLES / "01-internal-note.eml"), "--wait", "--timeout", "5", "--json", home=home)
    reason = json.loads(result.stdout)["recipients"][0]["reason"]
    # "no such domain" where the resolver answers; offline resolvers say they cannot look it up.
    assert "no such domain" in reason or "could not be looked up" in reason, reason
    assert "Errno" not in reason and "Name or service" not in reason


def test_audit_verify_on_a_folder_without_a_log_creates_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("audit", "verify", home=empty)
    assert result.returncode == 2 and "holds no audit log" in result.stderr.decode()
    assert list(empty.iterdir()) == []
    missing = tmp_path / "nowhere"
    result = run_cli("audit", "verify", "--json", home=missing)
    assert result.returncode == 2 and "does not exist" in json_error(result)["message"]
    assert not missing.exists()
