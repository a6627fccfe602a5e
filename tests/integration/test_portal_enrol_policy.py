"""A fleet enrols itself: managed policy carries the portal's address and an enrolment code
(the one secret-like value policy may carry: limited in uses and time). An agent that holds no
credential for that portal redeems the code at start, keeps its own credential in its secret
store, and its portal mail goes out with it; a second computer finds the single-use code
spent and says so, sending nothing. A code that is not one is refused by the policy check (the policy is not applied)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from agent import config as config_mod
from agent import portal_enrol, secret_store
from agent.portal import enrolment
from agent.portal.interface import LOCAL_AGENT, digest
from agent.portal.store import SqlitePortalStore
from agent.runtime import AgentThread
from tests.conftest import SAMPLES, make_config, run_cli
from tests.integration.test_portal_agents import Portal


def wait(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_agents_enrol_themselves_from_managed_policy(tmp_path, sink, ca, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="agent.portal_sync")
    store = SqlitePortalStore(tmp_path / "portal-state")
    portal = Portal(store, mailer=lambda sealed, code: None).start()
    code, _ = enrolment.new_code(store, 1, 3600)
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "portal": {
                    "url": portal.url,
                    "embedded": False,
                    "allow_test_url": True,
                    "enrolment_code": code,
                    "poll_seconds": 1,
                }
            }
        )
    )
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
    agents: list[AgentThread] = []
    try:
        first = tmp_path / "first"
        first.mkdir(mode=0o700)
        (first / "config.toml").write_text(config_mod.to_toml(make_config(sink.port, ca)))
        config = config_mod.load(first)
        assert config.portal.enrolment_code == code and "portal.enrolment_code" in config.locked
        agents.append(AgentThread(first, config))
        running = agents[-1].start()
        wait(lambda: running.pipeline.portal_credential, "the agent never enrolled")
        credential = running.pipeline.portal_credential
        assert secret_store.get(first, portal_enrol.ENROLLED).decode() == credential
        assert portal_enrol.enrolled_with(first)["url"] == portal.url
        assert store.agent_of(digest(credential)) is not None
        assert code.encode() not in (first / "config.toml").read_bytes()
        sent = run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=first)
        assert sent.returncode == 0, sent.stderr + sent.stdout
        [uploaded] = [a for a in store.agents() if a["id"] != LOCAL_AGENT]  # the test portal's own is "local"
        assert uploaded["messages"] == 1 and uploaded["id"] == portal_enrol.enrolled_with(first)["agent"]

        # A second computer under the same policy: the code is spent; nothing enrols, nothing uploads.
        second = tmp_path / "second"
        second.mkdir(mode=0o700)
        (second / "config.toml").write_text(config_mod.to_toml(make_config(sink.port, ca)))
        agents.append(AgentThread(second, config_mod.load(second)))
        other = agents[-1].start()
        wait(lambda: "refused the enrolment (HTTP 403)" in caplog.text, "the second agent never tried")
        assert other.pipeline.portal_credential == "" and portal_enrol.enrolled_with(second) == {}
        assert len(store.agents()) == 2
    finally:
        for agent in agents:
            agent.stop()
        portal.stop()
        store.close()


@pytest.mark.parametrize("bad", ["letmein", "pse-", "pse-short", "pse-" + "x" * 101])
def test_a_policy_enrolment_code_that_is_not_one_is_refused_in_one_line(bad, tmp_path: Path, monkeypatch):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"portal": {"enrolment_code": bad}}))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
    loaded = config_mod.load(tmp_path)  # a bad policy holds mail until IT fixes it, with one line saying why
    assert "portal.enrolment_code: must be a code made by postseal portal enrolment-code" in loaded.managed_error
    assert loaded.portal.enrolment_code == ""
