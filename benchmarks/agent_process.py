"""The agent as its own process for a benchmark (`python -m agent.cli agent` in a fresh home),
and what /proc says about a process: resident memory now, its peak, CPU seconds.

The agent runs apart from the benchmark's clients so that they do not share one interpreter
lock: the figures are the agent's, not the client's.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from agent import config as config_mod
from agent.api.client import AgentClient, AgentUnreachable
from agent.config import Config


@contextlib.contextmanager
def running_agent(home: Path, config: Config, timeout: float = 60.0) -> Iterator[tuple[AgentClient, int]]:
    """(client, pid) of an agent started on `config` in `home`; stopped (SIGTERM) on the way out."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(config_mod.to_toml(config))
    env = {**os.environ, "POSTSEAL_HOME": str(home), "POSTSEAL_KEYRING": "file"}
    log = (home / "agent-bench.log").open("wb")
    agent = subprocess.Popen([sys.executable, "-m", "agent.cli", "agent"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + timeout
        while not (home / "agent.json").exists():
            if agent.poll() is not None or time.monotonic() > deadline:
                tail = (home / "agent-bench.log").read_text(errors="replace").strip().splitlines()[-1:]
                raise RuntimeError(f"the agent in {home} did not start: {' '.join(tail) or 'no output'}")
            time.sleep(0.05)
        client = AgentClient.discover(home)
        while True:  # agent.json is written as the API comes up: wait until it answers
            try:
                client.health()
                break
            except AgentUnreachable:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the agent in {home} does not answer its API") from None
                time.sleep(0.05)
        yield client, agent.pid
    finally:
        agent.terminate()
        try:
            agent.wait(30)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        log.close()


def _status_kb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory now (VmRSS), MB."""
    return _status_kb(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int) -> float:
    """The largest resident memory the process has had (VmHWM), MB."""
    return _status_kb(pid, "VmHWM") / 1024


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_by_mapping(pid: int) -> dict[str, float]:
    """Resident MB per what is mapped (/proc/PID/smaps): each shared library or file by the
    folder under site-packages or the library's name, anonymous memory (the Python heap, where
    most objects live) as "[anonymous]". Where a process's memory goes, to the file."""
    out: dict[str, float] = {}
    name = "[anonymous]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split(None, 5)
        if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
            path = head[5].strip() if len(head) == 6 else ""
            name = _owner(path)
        elif line.startswith("Rss:"):
            out[name] = out.get(name, 0.0) + int(line.split()[1]) / 1024
    return dict(sorted(out.items(), key=lambda item: -item[1]))


def _owner(path: str) -> str:
    if not path or path in ("[heap]", "[stack]") or path.startswith("[anon"):
        return "[anonymous]"
    if path.startswith("["):
        return path
    parts = Path(path).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1 :]
            return rest[0] if rest else path
    return Path(path).name
