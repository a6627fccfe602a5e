"""Without GnuPG the agent does not start, says why in one line, and loses nothing: mail it
accepted before is delivered once GnuPG is back (agent/keys/gpg_tool.py)."""

import json
import os
import subprocess
import sys

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import SmtpSink, free_port
from tests.conftest import SAMPLES, make_config, run_cli
from tests.integration.test_agent_process import start_process, stop_process


def without_gpg(*args, home):
    """`postseal ARGS` with a PATH that holds no gpg (the interpreter is named by its path)."""
    env = {**os.environ, "POSTSEAL_HOME": str(home), "PATH": str(home / "no-tools-here")}
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args], env=env, capture_output=True, timeout=60, check=False
    )


def assert_one_line_about_gnupg(result):
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, result.stderr.decode()
    assert lines[0].startswith("postseal: gpg not found on PATH: install GnuPG")
    assert "Traceback" not in result.stderr.decode() and result.stdout == b""


def test_the_agent_refuses_to_start_without_gpg_and_delivers_what_it_held_once_gpg_is_back(home, ca):
    relay_port = free_port()
    (home / "config.toml").write_text(config_mod.to_toml(make_config(relay_port, ca)))
    process = start_process(home)
    try:  # accepted while the relay is down: it waits in the outbox
        result = run_cli("send", str(SAMPLES / "01-internal-note.eml"), "--wait", "--timeout", "2", "--json", home=home)
        record = json.loads(result.stdout)
        assert record["state"] == "deferred"
    finally:
        stop_process(process)

    refused = without_gpg("agent", home=home)
    assert_one_line_about_gnupg(refused)
    assert not (home / "agent.json").exists()

    with SmtpSink(ca, port=relay_port) as sink:
        process = start_process(home)
        try:
            assert AgentClient.discover(home).wait(record["id"], timeout=30)["state"] == "delivered"
            assert sink.wait_for(1) and len(sink.received) == 1
        finally:
            stop_process(process)


def test_the_demo_and_the_key_commands_say_gpg_is_missing_in_one_line(home):
    assert_one_line_about_gnupg(without_gpg("demo", home=home))
    assert_one_line_about_gnupg(without_gpg("keys", "list", home=home))
