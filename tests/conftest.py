"""Shared fixtures: real servers on loopback, real gpg homes, a temporary POSTSEAL_HOME."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from agent import config as config_mod
from agent.demo_world import Recipient, SmtpSink, TestCA, free_port
from agent.runtime import AgentThread, RunningAgent

# A real throwaway PostgreSQL (postgres_cluster, postgres_url) and a real S3-compatible server
# (moto_s3) for the portal store's tests.
pytest_plugins = ["tests.portal_pg", "tests.portal_s3"]

# No timings in tests (these machines are noisy, and `make test` runs in parallel): hypothesis's
# per-example deadline is off for every property test, not only the fuzzers in tests/fuzz.
hypothesis_settings.register_profile("postseal", deadline=None)
hypothesis_settings.load_profile("postseal")

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
ORG = "valleyclinic.example"
SENDER = "dr.chen@valleyclinic.example"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the tests marked `long` (a minute or more) start first, one each.

    `--dist worksteal` gives each worker an equal, contiguous share of the collection and lets
    idle workers take the tail of a busy one's share. A long test near the end of a share starts
    late and ends the run alone; one at the head of each share starts at once, beside the rest.
    Every worker computes the same order, as xdist requires.
    """
    worker = getattr(config, "workerinput", None)
    if worker is None:
        return
    long = [item for item in items if item.get_closest_marker("long")]
    if not long:
        return
    rest = [item for item in items if not item.get_closest_marker("long")]
    count = max(int(worker.get("workercount", 1)), 1)
    share = -(-len(items) // count)
    for n, item in enumerate(long):
        rest.insert(min((n % count) * share + n // count, len(rest)), item)
    items[:] = rest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Each agent keeps gpg's sockets in its data folder, and a socket path may have 107 bytes:
    # pytest's /tmp/pytest-of-USER/pytest-N/popen-gwN/<test>/ leaves too little room for some
    # tests under a parallel run (`make test` runs pytest-xdist). A short base of our own
    # (before pytest reads it), removed at the end; the workers make theirs inside it.
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        # Each parallel worker hands out ports from its own range, below the kernel's ephemeral
        # range (32768 up): two workers' servers, or a server and an outgoing connection, can
        # never be given the same port between free_port() and the bind (agent/demo_world.py).
        count, index = int(worker.get("workercount", 1)), int(str(worker["workerid"]).lstrip("gw") or 0)
        size = 12000 // max(count, 1)
        low = 20000 + index * size
        os.environ["POSTSEAL_PORT_RANGE"] = f"{low}-{low + size - 1}"
        return
    if config.option.basetemp:
        return
    base = tempfile.mkdtemp(prefix="ps-", dir="/tmp" if os.path.isdir("/tmp") else None)
    config.option.basetemp = base
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Never touch the developer's keyring, data directory or managed policy.
    monkeypatch.setenv("POSTSEAL_KEYRING", "file")
    monkeypatch.setenv("POSTSEAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(tmp_path / "no-managed-policy.json"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("people")


@pytest.fixture(scope="session")
def partner(people: Path) -> Iterator[Recipient]:
    recipient = Recipient(people, "referrals@lakesidecardiology.example")
    yield recipient
    recipient.close()


@pytest.fixture
def sink(ca: TestCA) -> Iterator[SmtpSink]:
    with SmtpSink(ca) as server:
        yield server


@pytest.fixture
def pki(tmp_path: Path):
    """An S/MIME certificate authority with a CRL served on 127.0.0.1 (tests/smime_pki.py)."""
    from tests.smime_pki import Pki

    authority = Pki(tmp_path / "pki")
    yield authority
    authority.close()


def make_config(sink_port: int, ca: TestCA, **overrides: dict) -> config_mod.Config:
    data: dict = {
        "organization": {"name": "Valley Family Clinic", "internal_domains": [ORG]},
        "relay": {"host": "127.0.0.1", "port": sink_port, "starttls": "opportunistic", "ca_file": str(ca.ca_file)},
        "tls": {"required_domains": ["harborbilling.example"]},
        "portal": {"url": f"http://127.0.0.1:{free_port()}", "allow_test_url": True},
        "ingress": {"smtp_port": 0, "addin_port": 0},
    }
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    return config_mod.from_dict(data)


@pytest.fixture
def start_agent(home: Path, ca: TestCA) -> Iterator[Callable[..., RunningAgent]]:
    """Start an agent on `home` against the given relay port; stopped after the test."""
    threads: list[AgentThread] = []

    def start(relay_port: int, **overrides: dict) -> RunningAgent:
        config = make_config(relay_port, ca, **overrides)
        (home / "config.toml").write_text(config_mod.to_toml(config))
        thread = AgentThread(home, config)
        threads.append(thread)
        return thread.start()

    yield start
    for thread in threads:
        thread.stop()


def run_cli(*args: str, home: Path, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real `postseal` command in a child process, as a user runs it."""
    env = {**os.environ, "POSTSEAL_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        env=env,
        input=input,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def gpg_decrypt(recipient: Recipient, armored: bytes) -> str:
    """Plain gpg as the recipient. Decryption is judged by gpg's status lines: its exit code
    is also 2 when the (sender's) signature cannot be checked for lack of their public key,
    which is a matter of the recipient's keyring, not of the decryption."""
    result = subprocess.run(
        ["gpg", "--homedir", str(recipient.home), "--batch", "--quiet", "--status-fd", "2", "--decrypt"],
        input=armored,
        capture_output=True,
        check=False,
    )
    status = result.stderr.decode(errors="replace")
    assert "[GNUPG:] DECRYPTION_OKAY" in status and "DECRYPTION_FAILED" not in status, status
    return result.stdout.decode()


def mailed_code(sink: SmtpSink, recipient: str, after: int, timeout: float = 20) -> str:
    """The portal's one-time code from the first mail to `recipient` after the first `after`."""
    deadline = time.monotonic() + timeout
    while not (mails := [r for r in sink.received[after:] if r.recipients == (recipient,)]):
        assert time.monotonic() < deadline, f"no code e-mail reached {recipient}"
        time.sleep(0.1)
    found = re.search(r"Your code is (\d{6})", mails[0].message.get_body(("plain",)).get_content())
    assert found, "the mail holds no code"
    return found.group(1)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The portal's JSON logging (agent/portal/logs.py) into a buffer; the root logger as it
    was afterwards."""
    from agent.portal import logs

    root = logging.getLogger()
    quieted = ("botocore", "boto3", "urllib3", "s3transfer")
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in quieted})
    out = io.StringIO()
    logs.setup("json", "INFO", out)
    yield out
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)
