"""What the fuzzers share: one real agent per module (relay sink, embedded portal, optionally
the SMTP submission and the Outlook add-in origin), every log record it writes, and the calls
and checks they all make.

One agent per module, not per example: starting one costs about a second, an example a few
milliseconds. Hypothesis runs each example against the same agent, so the properties are
about what any one example may do to it, whatever ran before.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import SmtpSink, TestCA, free_port
from agent.runtime import AgentThread, RunningAgent
from tests.conftest import make_config

# Marker PHI: a Social Security number the detectors hold (valid shape and ranges), one they
# let through (078-05-1120 was printed on a wallet-card sample and is no one's), and a name.
# None of them may ever appear in a log record.
HELD_SSN = "512-44-8721"
PASSING_SSN = "078-05-1120"
MARKER_NAME = "Zebulon Quackenbush"
MARKERS = (HELD_SSN, PASSING_SSN, MARKER_NAME, HELD_SSN.replace("-", ""), PASSING_SSN.replace("-", ""))
FINAL_STATES = ("delivered", "held", "failed")


class LogTap(logging.Handler):
    """Every record any logger writes, at DEBUG, formatted as a file handler would.

    Records written on the relay sink's own thread are the outside world's (the sink is an
    aiosmtpd server too, logging to the same "mail.log"): they are kept apart."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[tuple[str, int | None, str]] = []  # (logger, thread, text incl. traceback)
        self.outside: set[int | None] = set()  # threads of the test's own servers
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as exc:  # noqa: BLE001 - a record that cannot be formatted is itself news
            text = f"UNFORMATTABLE {record.name} {record.msg!r} {record.args!r}: {exc}"
        with self._guard:
            self.lines.append((record.name, record.thread, text))

    def agent_lines(self, exclude: tuple[str, ...] = (), since: int = 0) -> list[tuple[str, str]]:
        """(logger, text) of what the agent wrote from record `since` on, without loggers
        starting with `exclude`."""
        with self._guard:
            lines = self.lines[since:]
        return [
            (name, text) for name, thread, text in lines if thread not in self.outside and not name.startswith(exclude)
        ]

    def leaks(self, markers: tuple[str, ...] = MARKERS, exclude: tuple[str, ...] = (), since: int = 0) -> list[str]:
        return [text for _, text in self.agent_lines(exclude, since) if any(m in text for m in markers)]


@dataclass(repr=False)
class World:
    running: RunningAgent
    sink: SmtpSink
    home: Path
    client: AgentClient
    pairing: str = ""  # a pairing token of the Outlook add-in origin, when that door is open
    accepted: dict[str, bytes] = field(default_factory=dict)  # outbox id -> what was submitted

    @property
    def api_url(self) -> str:
        return self.running.api_url

    def __repr__(self) -> str:  # Hypothesis prints it with every failing example
        return f"World({self.api_url}, {len(self.accepted)} accepted)"


def start_world(
    tmp_path_factory: pytest.TempPathFactory, tap: LogTap | None = None, smtp: bool = False, addin: bool = False
) -> Iterator[World]:
    """A real agent on loopback with a real relay sink, the way tests/conftest.py starts one,
    but once for a whole module. The environment is isolated here because the autouse
    `_isolated` fixture is per test and runs after a module fixture."""
    folder = tmp_path_factory.mktemp("fuzz-world")
    ca = TestCA(folder / "ca")
    home = folder / "home"
    home.mkdir(mode=0o700)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POSTSEAL_KEYRING", "file")
        env.setenv("POSTSEAL_HOME", str(home))
        env.setenv("POSTSEAL_MANAGED_POLICY", str(folder / "no-managed-policy.json"))
        before = set(threading.enumerate())
        with SmtpSink(ca) as sink:
            if tap is not None:
                tap.outside.update(t.ident for t in set(threading.enumerate()) - before)
            config = make_config(
                sink.port,
                ca,
                ingress={"smtp_port": free_port() if smtp else 0, "addin_port": free_port() if addin else 0},
            )
            (home / "config.toml").write_text(config_mod.to_toml(config))
            thread = AgentThread(home, config)
            running = thread.start()
            world = World(running, sink, home, AgentClient(running.api_url, running.token, timeout=60))
            if addin:  # a token as the add-in's pages get one, bound to this process
                world.pairing = json.loads(call(world, "GET", "/addin/v1/pairing")[2])["token"]
            try:
                yield world
            finally:
                thread.stop()


# --- HTTP ------------------------------------------------------------------------------------


def call(
    world: World, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, str, bytes]:
    """(status, content type, body) of one API call; HTTP errors are answers here, not raised.
    Paths under /addin/ go to the Outlook add-in origin (HTTPS, pairing secret)."""
    context = None
    if path.startswith("/addin/"):
        url = f"{world.running.addin_url}{path}"
        headers = {"X-Postseal-Pairing": world.pairing, "Content-Type": content_type}
        context = ssl.create_default_context(cafile=str(world.home / "tls" / "local-ca.pem"))
    else:
        url = f"{world.api_url}{path}"
        headers = {"Authorization": f"Bearer {world.running.token}", "Content-Type": content_type}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120, context=context) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read()


def json_answer(status: int, ctype: str, body: bytes) -> dict:
    """The agent answers every call with a JSON object, and an error as {"error": {"code", "message"}}."""
    assert ctype == "application/json", f"HTTP {status} answered with {ctype}: {body[:300]!r}"
    document = json.loads(body)
    assert isinstance(document, dict), document
    if status >= 400:
        error = document.get("error")
        assert isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"], document
        assert isinstance(error.get("message"), str) and error["message"], document
    assert status < 500 or document["error"]["code"] == "storage_unavailable", f"HTTP {status}: {document}"
    return document


def assert_in_outbox(world: World, ident: str) -> dict:
    """An accepted message is in the outbox, by id and in the list (nothing lost)."""
    status, ctype, body = call(world, "GET", f"/v1/messages/{ident}")
    record = json_answer(status, ctype, body)
    assert status == 200 and record["id"] == ident, record
    listed = json_answer(*call(world, "GET", "/v1/outbox"))
    assert ident in {m["id"] for m in listed["messages"]}, f"{ident} accepted but not listed in /v1/outbox"
    return record
