"""The native messaging host as Chrome runs it: a child process speaking length-prefixed JSON
on stdin/stdout, in front of a real agent with a real SMTP relay behind it."""

from __future__ import annotations

import base64
import json
import os
import queue
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import free_port
from agent.ingress import native
from agent.runtime import AgentThread
from tests.conftest import make_config

REPO = Path(__file__).resolve().parents[2]
CLINIC = "dr.chen@valleyclinic.example"
CHUNK = 500 * 1024


def frame(payload: bytes) -> bytes:
    return struct.pack("=I", len(payload)) + payload


def encode(message: dict) -> bytes:
    return frame(json.dumps(message).encode())


class NativeHost:
    """`python -m agent.ingress.native chrome-extension://abc/`, framed by hand."""

    def __init__(self, home: Path, **env_extra: str) -> None:
        env = {**os.environ, "POSTSEAL_HOME": str(home), **env_extra}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent.ingress.native", "chrome-extension://abc/", "--parent-window=0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        self.frames: queue.Queue = queue.Queue()
        self.sizes: list[int] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.process.stdout
        while True:
            header = out.read(4)
            if len(header) < 4:
                self.frames.put(None)
                return
            size = struct.unpack("=I", header)[0]
            self.sizes.append(size)
            self.frames.put(json.loads(out.read(size).decode("utf-8")))

    def write(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def request(self, message: dict) -> None:
        self.write(encode(message))

    def next(self) -> dict:
        got = self.frames.get(timeout=90)
        assert got is not None, self.process.stderr.read().decode(errors="replace")
        return got

    def ask(self, message: dict) -> dict:
        self.request(message)
        return self.next()

    def close(self) -> int:
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()
        return code


@pytest.fixture
def host(home):
    running = NativeHost(home)
    yield running
    if running.process.poll() is None:
        running.close()


@pytest.fixture
def agent(start_agent, sink):
    running = start_agent(sink.port)
    return AgentClient(running.api_url, running.token, timeout=30)


def draft(**fields) -> dict:
    out = {
        "client": "gmail",
        "from": CLINIC,
        "to": ["nurse.kim@valleyclinic.example"],
        "cc": [],
        "bcc": [],
        "subject": "Rota for December",
        "body": {"type": "html", "content": "<p>See you Monday.</p>"},
        "attachments": [],
    }
    out.update(fields)
    return out


def test_hello_says_the_agent_is_running(agent, host):
    reply = host.ask({"id": 1, "op": "hello"})
    assert reply["id"] == 1 and reply["ok"] and reply["agent"] == "running" and reply["version"]
    assert host.close() == 0  # the stream ending stops the host


def test_internal_draft_is_allowed_with_a_stamp(agent, host):
    reply = host.ask({"id": 7, "op": "compose", "draft": draft()})
    assert reply["id"] == 7 and reply["ok"], reply
    answer = reply["answer"]
    assert answer["decision"] == "allow" and answer["stamp"].startswith("v1.")
    assert agent.outbox() == []  # Gmail sends it itself
    assert [r for r in agent.audit() if r.get("event") == "stamped"]


def test_ssn_to_an_external_recipient_is_held_in_the_outbox(agent, host):
    fields = draft(
        to=["records@statedisability.example"],
        subject="Disability form",
        body={"type": "text", "content": "Patient SSN: 512-44-8721, DOB 03/14/1958."},
    )
    answer = host.ask({"id": 2, "op": "compose", "draft": fields})["answer"]
    assert answer["decision"] == "held" and "Social Security number" in answer["message"]
    assert agent.message(answer["id"])["state"] == "held"


def test_external_draft_without_phi_is_sent_by_the_agent(agent, host, sink):
    fields = draft(
        to=["jordan.miles@familymail.example"],
        subject="Your follow-up",
        body={"type": "text", "content": "Your follow-up visit is on Friday."},
    )
    answer = host.ask({"id": 3, "op": "compose", "draft": fields})["answer"]
    assert answer["decision"] == "sent" and "stamp" not in answer
    assert agent.wait(answer["id"])["state"] == "delivered"
    assert sink.received  # the portal notice went out through the relay


def test_a_bad_draft_is_an_answer_blocked_with_the_field_named(agent, host):
    answer = host.ask({"id": 4, "op": "compose", "draft": draft(to=["nurse@@valleyclinic"])})["answer"]
    assert answer["decision"] == "blocked" and "the To line" in answer["message"]
    assert "draft.to" not in answer["message"] and "nurse@@valleyclinic" in answer["message"]


def test_a_3_mb_attachment_arrives_in_chunks_and_is_checked(agent, host):
    content = os.urandom(3 * 1024 * 1024)
    request = {
        "id": 5,
        "op": "compose",
        "draft": draft(
            to=["jordan.miles@familymail.example"],
            subject="Scan",
            attachments=[
                {
                    "name": "scan.bin",
                    "content_type": "application/octet-stream",
                    "content_base64": base64.b64encode(content).decode(),
                }
            ],
        ),
    }
    text = json.dumps(request)
    pieces = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
    assert len(pieces) >= 8
    for seq, piece in enumerate(pieces):
        chunk = encode({"id": 5, "op": "chunk", "seq": seq, "total": len(pieces), "data": piece})
        assert len(chunk) <= 512 * 1024 + 4
        host.write(chunk)
    reply = host.next()
    assert reply["id"] == 5 and reply["answer"]["decision"] == "sent", reply
    assert agent.wait(reply["answer"]["id"])["state"] == "delivered"
    [entry] = agent.outbox()
    assert entry["id"] == reply["answer"]["id"]


def test_malformed_frames_are_refused_and_the_host_reads_on(agent, host):
    cases = [
        (frame(b"{not json"), None, "not JSON"),
        (frame(b'{"id": 1, "op": "hello", "x": "\xff\xfe"}'), None, "not UTF-8"),
        (encode({"id": 11, "op": "launch_missiles"}), 11, "Unknown op"),
        (encode({"op": "hello"}), None, "integer id"),
        (encode({"id": "twelve", "op": "hello"}), None, "integer id"),
        (encode([1, 2, 3]), None, "integer id"),
        (encode({"id": 13, "op": "compose", "draft": "text"}), 13, "draft object"),
        (encode({"id": 14, "op": "chunk", "seq": 1, "total": 2, "data": "x"}), 14, "out of order"),
        (frame(b""), None, "not JSON"),
    ]
    for data, ident, words in cases:
        host.write(data)
        reply = host.next()
        assert reply["ok"] is False and reply["error"]["code"] == "bad_request", (data[:40], reply)
        assert reply["id"] == ident and words in reply["error"]["message"], reply
    assert host.ask({"id": 20, "op": "hello"})["ok"]


def test_json_nested_deeper_than_64_levels_is_refused_and_the_host_reads_on(agent, host):
    deep = b'{"id": 40, "op": "compose", "draft": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    host.write(frame(deep))
    reply = host.next()
    assert reply["error"]["code"] == "bad_request" and "deeper than 64 levels" in reply["error"]["message"], reply
    # The same, arriving in chunks.
    text = deep.decode()
    pieces = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
    for seq, piece in enumerate(pieces):
        host.request({"id": 41, "op": "chunk", "seq": seq, "total": len(pieces), "data": piece})
    reply = host.next()
    assert reply["id"] == 41 and "deeper than 64 levels" in reply["error"]["message"], reply
    # A draft nested just deep enough to reach the agent is the agent's to refuse, as a bad draft.
    reply = host.ask({"id": 42, "op": "compose", "draft": draft(subject=[[[["x"]]]])})
    assert reply["ok"] and reply["answer"]["decision"] == "blocked"
    assert host.ask({"id": 43, "op": "hello"})["ok"] and host.process.poll() is None
    assert agent.outbox() == []


def test_a_frame_over_64_mb_is_refused_without_reading_it_and_the_host_resynchronises(agent, host):
    size = native.MAX_REQUEST + 1
    host.write(struct.pack("=I", size))
    reply = host.next()  # answered before the body is even written: the writer cannot deadlock
    assert reply["error"]["code"] == "bad_request" and "64 MB" in reply["error"]["message"]
    block = b"\0" * (1024 * 1024)
    left = size
    while left:
        host.write(block[: min(left, len(block))])
        left -= min(left, len(block))
    assert host.ask({"id": 21, "op": "hello"})["ok"]  # the next header is read where it belongs


def test_a_chunked_request_over_64_mb_is_too_large(agent, host):
    piece = "x" * CHUNK
    total = native.MAX_REQUEST // CHUNK + 2
    for seq in range(total):
        host.write(encode({"id": 30, "op": "chunk", "seq": seq, "total": total, "data": piece}))
    reply = host.next()
    assert reply["id"] == 30 and reply["error"]["code"] == "too_large"
    assert host.ask({"id": 31, "op": "hello"})["ok"]  # the rest of id 30 was dropped, not answered
    assert agent.outbox() == []


def test_agent_stopping_mid_session_answers_agent_unreachable(sink, ca, home):
    config = make_config(sink.port, ca)
    (home / "config.toml").write_text(config_mod.to_toml(config))
    thread = AgentThread(home, config)
    thread.start()
    host = NativeHost(home)
    try:
        assert host.ask({"id": 1, "op": "compose", "draft": draft()})["answer"]["decision"] == "allow"
    finally:
        thread.stop()
    reply = host.ask({"id": 2, "op": "compose", "draft": draft()})
    assert reply["error"] == {"code": "agent_unreachable", "message": native.NOT_RUNNING}
    # A crashed agent leaves a stale agent.json behind: the refused connection reads the same.
    token = (home / "api-token").read_text() if (home / "api-token").exists() else "stale"
    (home / "api-token").write_text(token)
    (home / "agent.json").write_text(
        json.dumps({"pid": 1, "api_url": f"http://127.0.0.1:{free_port()}", "smtp_port": 0})
    )
    reply = host.ask({"id": 3, "op": "compose", "draft": draft()})
    assert reply["error"]["code"] == "agent_unreachable" and "start it from the tray" in reply["error"]["message"]
    assert host.ask({"id": 4, "op": "hello"})["agent"] == "not running"
    assert host.close() == 0


def test_an_agent_that_never_answers_is_a_timeout_not_a_send(home):
    home.mkdir(exist_ok=True)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        (home / "api-token").write_text("token")
        (home / "agent.json").write_text(
            json.dumps({"pid": 1, "api_url": f"http://127.0.0.1:{silent.getsockname()[1]}", "smtp_port": 0})
        )
        host = NativeHost(home, POSTSEAL_NATIVE_HOST_TIMEOUT="2")
        reply = host.ask({"id": 1, "op": "compose", "draft": draft()})
        assert reply["error"]["code"] == "timeout" and "not sent" in reply["error"]["message"]
        assert host.close() == 0


def test_no_agent_at_all_answers_agent_unreachable(host):
    assert host.ask({"id": 1, "op": "hello"})["agent"] == "not running"
    reply = host.ask({"id": 2, "op": "compose", "draft": draft()})
    assert reply == {"id": 2, "ok": False, "error": {"code": "agent_unreachable", "message": native.NOT_RUNNING}}
    assert "start it from the tray" in reply["error"]["message"]


def test_large_responses_are_chunked_under_chromes_limits():
    answer = {"id": 9, "ok": True, "answer": {"decision": "allow", "message": '"\\é' * 400_000}}
    frames = native.response_frames(answer)
    assert len(frames) > 1 and {f["op"] for f in frames} == {"chunk"}
    for f in frames:
        assert len(json.dumps(f, ensure_ascii=True, separators=(",", ":"))) <= native.CHUNK_LIMIT
    assert json.loads("".join(f["data"] for f in frames)) == answer
    assert native.response_frames({"id": 1, "ok": True}) == [{"id": 1, "ok": True}]
