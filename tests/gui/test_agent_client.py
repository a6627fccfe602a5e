"""The client calls the tray adds to agent/api/client.py, against a real agent."""

import json
import threading
import time

import pytest

from agent.api.client import AgentClient, AgentUnreachable, ApiError, AuditFilter
from tests.conftest import SAMPLES


@pytest.fixture
def client(start_agent, sink) -> AgentClient:
    running = start_agent(sink.port)
    return AgentClient(running.api_url, running.token, timeout=20)


def delivered(client: AgentClient, *names: str) -> list[str]:
    ids = [client.submit((SAMPLES / n).read_bytes()).id for n in names]
    for ident in ids:
        assert client.wait(ident, 20)["state"] in ("delivered", "held")
    return ids


def test_audit_pages_by_offset_with_filters_and_a_total(client):
    delivered(client, "01-internal-note.eml", "02-referral-lab-results.eml", "03-patient-followup.eml")
    newest = client.audit_page(None, 2)
    everything = client.audit_page(0, 1000)
    assert newest.total == everything.total == len(everything.records)
    assert newest.records == everything.records[-2:]
    assert client.audit_page(1, 2).records == everything.records[1:3]
    portal = client.audit_page(0, 100, AuditFilter(method="portal", event="delivered"))
    assert portal.total == 2 and {r["method"] for r in portal.records} == {"portal"}
    assert client.audit_page(0, 100, AuditFilter(since=time.time() + 3600)).total == 0
    assert client.audit_page(0, 100, AuditFilter(recipient="MARIA.gonzalez")).total >= 2


def test_verify_export_and_config(client):
    delivered(client, "01-internal-note.eml")
    check = client.audit_verify()
    assert check.ok and check.records >= 3 and check.problem == ""
    assert client.audit_export("csv").startswith("seq,time,event,")
    assert (
        json.loads(client.audit_export("json"))["format"] == "postseal-audit-export"
    )  # signed: agent/audit_evidence.py
    config = client.config()
    assert config.value("relay", "starttls") == "opportunistic" and config.locked == frozenset()
    assert config.source.endswith("config.toml") and not config.is_locked("relay", "host")


def test_actions_answer_with_counts_or_a_coded_conflict(client):
    (ident,) = delivered(client, "05-disability-form-ssn.eml")
    with pytest.raises(ApiError) as refused:
        client.retry(ident)
    assert (refused.value.status, refused.value.code) == (409, "nothing_to_retry")
    assert client.release(ident, "reviewed with the privacy officer") == 1
    assert client.wait(ident, 20)["state"] == "delivered"
    assert client.revoke(ident) == 1
    with pytest.raises(ApiError) as conflict:
        client.send_via_portal(ident)
    assert conflict.value.code == "nothing_to_reroute"


def test_keys_generate_export_and_delete(client, partner):
    fingerprint = client.generate_key("dr.chen@valleyclinic.example", "Dr. Emily Chen")
    assert client.public_key("dr.chen@valleyclinic.example").startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    (imported,) = client.import_key(partner.public_key().encode())
    assert client.delete_key(imported) == imported
    with pytest.raises(ApiError) as own:
        client.delete_key(fingerprint)
    assert own.value.code == "own_key"
    with pytest.raises(ApiError) as unknown:
        client.delete_key("0" * 40)
    assert unknown.value.status == 404


def test_an_event_stream_closed_from_another_thread_ends_at_once(client):
    stream = client.open_events()
    seen: list[dict] = []
    hello = threading.Event()

    def read() -> None:
        for event in stream:
            seen.append(event)
            hello.set()  # after this the reader is back in a blocking read

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert hello.wait(5)
    stream.close()
    reader.join(5)  # the stream sends nothing more: only the close can end the read
    assert not reader.is_alive()
    assert seen == [{"type": "hello"}]


def test_events_from_a_stopped_agent_raise_unreachable(home):
    from agent.demo_world import free_port

    with pytest.raises(AgentUnreachable):
        AgentClient(f"http://127.0.0.1:{free_port()}", "t").open_events()
