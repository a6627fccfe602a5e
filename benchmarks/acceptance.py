"""Acceptance: `POST /v1/messages` → 202, what a clinician's mail client waits on at Send.

The agent runs as its own process with the relay down, so every message is accepted (parsed,
inspected, planned, committed with `synchronous=FULL`, audited) and then waits for the network:
what is measured is acceptance alone. 20 KB messages, two internal recipients each.

- one client, one message after the other: milliseconds per message;
- 8 clients at once (threads, each its own connection per request, as the add-ins and the
  SMTP door's sessions are): messages per second, p50 and p99 of each request's latency.

Baseline, same run, same clients, same messages: an aiohttp server in its own process that
only reads the body and fsyncs one SQLite commit (WAL, synchronous=FULL) per request
(benchmarks/baseline_server.py) — the least a server promising "202 means durable" does.
Both servers' resident memory is read while idle, before any message: the agent's idle RSS,
and where it goes (/proc/PID/smaps: the Python heap, each native library) is printed.
Targets (issue 18): ≥ 300 msg/s with 8 clients, p99 ≤ 20 ms; agent RSS ≤ 80 MB idle.
"""

from __future__ import annotations

import concurrent.futures
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import free_port
from benchmarks.agent_process import rss_by_mapping, rss_mb, running_agent
from benchmarks.baseline_server import running as baseline_server
from benchmarks.figures import Figure, percentile
from benchmarks.outbox import messages as internal_messages

CLIENTS = 8
WARMUP = 3  # messages sent before measuring, by each server
MEMORY_LINES = 8  # the largest parts of the agent's idle memory printed
SETTLE_S = 2.0  # after start, before reading idle memory: start-up work (key checks, first sync) done


def sequential(submit: Callable[[bytes], object], prepared: list[bytes]) -> list[float]:
    """Each request's latency in ms, one after the other."""
    out = []
    for raw in prepared:
        start = time.perf_counter()
        submit(raw)
        out.append((time.perf_counter() - start) * 1000)
    return out


def at_once(make_submit: Callable[[], Callable[[bytes], object]], prepared: list[bytes]) -> tuple[float, list[float]]:
    """(wall seconds, each request's latency in ms) with CLIENTS clients sending at once."""
    shares = [prepared[i::CLIENTS] for i in range(CLIENTS)]
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda share: sequential(make_submit(), share), shares))
        wall = time.perf_counter() - start
    return wall, [ms for share in results for ms in share]


def agent_config(relay_port: int) -> config_mod.Config:
    return config_mod.from_dict(
        {
            "organization": {"internal_domains": ["valleyclinic.example"]},
            "relay": {"host": "127.0.0.1", "port": relay_port, "starttls": "off"},
            "portal": {"url": f"http://127.0.0.1:{free_port()}"},
            "ingress": {"smtp_port": 0, "addin_port": 0},
        }
    )


def measure(count: int, folder: Path) -> dict[str, dict[str, float]]:
    """Both servers' figures: idle_mb, one_ms (mean, one client), rate, p50, p99 (8 clients)."""
    count = max(8, count - count % 4)  # 8 clients, a quarter of that for the one client
    prepared = internal_messages(WARMUP + count // 4 + count)
    results: dict[str, dict[str, float]] = {}
    # The relay port is closed: every accepted message waits for the network (deferred).
    with running_agent(folder / "home", agent_config(free_port())) as (client, pid):
        time.sleep(SETTLE_S)
        results["agent_idle_memory"] = rss_by_mapping(pid)  # where the idle RSS goes
        results["postseal"] = _run(pid, lambda: AgentClient(client.api_url, client.token).submit, prepared, count)
        held = sum(client.outbox_counts().values())  # each message to 2 recipients: 2 entries
        if held != 2 * len(prepared):
            raise RuntimeError(f"acceptance benchmark: the outbox holds {held} entries for {len(prepared)} messages")
    with baseline_server(folder / "baseline.sqlite") as (url, pid):
        time.sleep(SETTLE_S)
        results["baseline"] = _run(pid, lambda: AgentClient(url, "none").submit, prepared, count)
    return results


def _run(
    pid: int, make_submit: Callable[[], Callable[[bytes], object]], prepared: list[bytes], count: int
) -> dict[str, float]:
    """prepared: WARMUP + count // 4 + count distinct messages (a message sent twice is a
    duplicate, answered without the work): warm-up, then one client, then 8 clients."""
    idle = rss_mb(pid)
    sequential(make_submit(), prepared[:WARMUP])  # first-use work (imports, caches) left out
    one = sequential(make_submit(), prepared[WARMUP : len(prepared) - count])
    wall, latencies = at_once(make_submit, prepared[len(prepared) - count :])
    return {
        "idle_mb": idle,
        "one_ms": statistics.fmean(one),
        "rate": count / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


def figures(count: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="ps-bench-accept-") as tmp:
        r = measure(count, Path(tmp))
    ours, base = r["postseal"], r["baseline"]
    largest = list(r["agent_idle_memory"].items())[:MEMORY_LINES]
    print("agent idle RSS, largest parts: " + ", ".join(f"{name} {mb:.1f} MB" for name, mb in largest))
    what = "aiohttp, read body + one fsynced SQLite commit"
    return [
        Figure("acceptance, one client: ms per message", ours["one_ms"], base["one_ms"], "ms", what, "—", False),
        Figure(f"acceptance, {CLIENTS} clients: msg/s", ours["rate"], base["rate"], "msg/s", what, "≥ 300 msg/s"),
        Figure(f"acceptance, {CLIENTS} clients: p50", ours["p50"], base["p50"], "ms", what, "—", False),
        Figure(f"acceptance, {CLIENTS} clients: p99", ours["p99"], base["p99"], "ms", what, "≤ 20 ms", False),
        Figure(
            "agent RSS, idle", ours["idle_mb"], base["idle_mb"], "MB", "that aiohttp server, idle", "≤ 80 MB", False
        ),
    ]


def main(count: int) -> int:
    print(f"acceptance: {count} messages of 20 KB, 2 internal recipients, relay down")
    for figure in figures(count):
        print(figure.line())
    return 0
