"""`postseal agent` as a real process: discovery files, signals, and restart recovery."""

import json
import os
import signal
import subprocess
import sys
import time

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import SmtpSink, free_port
from tests.conftest import SAMPLES, make_config, run_cli


def start_process(home):
    env = {**os.environ, "POSTSEAL_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "agent"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while not _started_by(home, process):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "agent did not start"
        time.sleep(0.05)
    return process


def _started_by(home, process) -> bool:
    try:  # a stale agent.json from a killed agent does not count
        return json.loads((home / "agent.json").read_text())["pid"] == process.pid
    except (OSError, ValueError):
        return False


def stop_process(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0


def test_agent_process_serves_and_cleans_up_on_sigterm(home, ca):
    with SmtpSink(ca) as sink:
        (home / "config.toml").write_text(config_mod.to_toml(make_config(sink.port, ca)))
        process = start_process(home)
        try:
            info = json.loads((home / "agent.json").read_text())
            assert info["pid"] == process.pid
            assert AgentClient.discover(home).health()["ok"]
            result = run_cli("send", str(SAMPLES / "01-internal-note.eml"), "--wait", "--json", home=home)
            assert json.loads(result.stdout)["state"] == "delivered"
        finally:
            stop_process(process)
        assert not (home / "agent.json").exists()


def test_accepted_mail_survives_a_restart_and_is_delivered_after(home, ca):
    relay_port = free_port()
    (home / "config.toml").write_text(config_mod.to_toml(make_config(relay_port, ca)))
    process = start_process(home)
    try:
        result = run_cli("send", str(SAMPLES / "01-internal-note.eml"), "--wait", "--timeout", "2", "--json", home=home)
        record = json.loads(result.stdout)
        assert record["state"] == "deferred"
    finally:
        stop_process(process)

    with SmtpSink(ca, port=relay_port) as sink:  # the relay is back, the agent restarts
        process = start_process(home)
        try:
            final = AgentClient.discover(home).wait(record["id"], timeout=30)
            assert final["state"] == "delivered"
            assert len(sink.received) == 1
        finally:
            stop_process(process)


def test_a_killed_agent_leaves_nothing_accepted_behind(home, ca):
    relay_port = free_port()
    (home / "config.toml").write_text(config_mod.to_toml(make_config(relay_port, ca)))
    process = start_process(home)
    client = AgentClient.discover(home)
    raw = (SAMPLES / "01-internal-note.eml").read_bytes()
    ids = [client.submit(raw.replace(b"internal-note@", f"internal-note-{i}@".encode())).id for i in range(5)]
    process.kill()  # kill -9: no clean-up at all
    process.wait(10)
    with SmtpSink(ca, port=relay_port) as sink:
        process = start_process(home)
        try:
            client = AgentClient.discover(home)
            assert [client.wait(i, timeout=30)["state"] for i in ids] == ["delivered"] * 5
            assert sink.wait_for(5) and len(sink.received) == 5
        finally:
            stop_process(process)


def test_a_second_agent_on_the_same_data_directory_refuses_to_start(home, ca):
    (home / "config.toml").write_text(config_mod.to_toml(make_config(free_port(), ca)))
    process = start_process(home)
    try:
        second = run_cli("agent", home=home, timeout=30)
        assert second.returncode == 1
        assert b"another agent is already running" in second.stderr
    finally:
        stop_process(process)
