"""`postseal audit verify|export` while an agent runs go through its API: opening the log
(agent/audit.py) is not read-only — it cuts a torn last record, the one the agent may be
writing — so only the agent opens it then. With no agent (or a crashed one's stale
agent.json) the CLI reads the log itself, as before."""

from __future__ import annotations

import json

from agent.api.client import AgentClient
from agent.audit import AuditLog
from agent.demo_world import free_port
from tests.conftest import SAMPLES, run_cli

# A record being written (no newline yet), as the agent's log may hold for an instant.
HALF_WRITTEN = b'{"seq": 999999, "event": "half'


def test_while_the_agent_runs_verify_and_export_leave_its_log_alone(start_agent, sink, home):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=30)
    client.wait(client.submit((SAMPLES / "01-internal-note.eml").read_bytes()).id, 60)
    agents = client.audit_verify()
    assert agents.ok and agents.records > 0
    verified = run_cli("audit", "verify", "--json", home=home)
    assert verified.returncode == 0 and json.loads(verified.stdout)["records"] == agents.records

    with (home / "audit.log").open("ab") as log:
        log.write(HALF_WRITTEN)
    for args in (("audit", "verify"), ("audit", "export", "--format", "csv"), ("audit", "export")):
        run_cli(*args, home=home)
        assert (home / "audit.log").read_bytes().endswith(HALF_WRITTEN), args  # not cut, nothing appended


def test_with_a_stale_agent_json_the_cli_reads_the_log_itself(home):
    log = AuditLog(home)
    log.append("accepted", message_id="<stale@valleyclinic.example>")
    log.checkpoint()
    log.close()
    # What a crashed agent leaves: its discovery file, naming a port nothing listens on now.
    (home / "agent.json").write_text(json.dumps({"api_url": f"http://127.0.0.1:{free_port()}", "pid": 0}))
    (home / "api-token").write_text("stale-token")
    verified = run_cli("audit", "verify", "--json", home=home)
    assert verified.returncode == 0 and json.loads(verified.stdout)["records"] == 1, verified.stderr
    exported = run_cli("audit", "export", "--format", "json", home=home)
    assert exported.returncode == 0 and len(json.loads(exported.stdout)["records"]) == 1, exported.stderr
