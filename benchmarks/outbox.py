"""Flush after reconnect: N queued messages (20 KB, 2 recipients each) delivered to a local sink.

The agent runs as its own process (`postseal agent`) with the relay down; N messages are
accepted (and wait for the network); then the relay comes up and the time until the last
one is delivered is measured. Baseline, same run: `smtplib` sends the same prepared messages
over one connection. Targets (issue 6): flush under 30 s for 10,000, within 2x the baseline,
agent peak RSS at most 200 MB.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.demo_world import SmtpSink, free_port
from benchmarks.pipeline import make_messages

SENDER = "dr.chen@valleyclinic.example"
RECIPIENTS = ["nurse.patel@valleyclinic.example", "front.desk@valleyclinic.example"]


def messages(count: int) -> list[bytes]:
    raw = make_messages(count)
    # Both recipients internal: one copy and one SMTP transaction per message, as the baseline.
    return [
        r.replace(b"referrals@lakesidecardiology.example", RECIPIENTS[1].encode()).replace(
            b"nurse.patel@valleyclinic.example", RECIPIENTS[0].encode()
        )
        for r in raw
    ]


def baseline(prepared: list[bytes], port: int) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for raw in prepared:
            client.sendmail(SENDER, RECIPIENTS, raw)
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(count: int) -> int:
    prepared = messages(count)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        home.mkdir()
        port = free_port()
        config = config_mod.from_dict(
            {
                "organization": {"internal_domains": ["valleyclinic.example"]},
                "relay": {"host": "127.0.0.1", "port": port, "starttls": "off"},
                "portal": {"url": f"http://127.0.0.1:{free_port()}"},
                "ingress": {"smtp_port": 0, "addin_port": 0},
                "outbox": {"concurrency": int(os.environ.get("POSTSEAL_BENCH_CONCURRENCY", "4"))},
            }
        )
        (home / "config.toml").write_text(config_mod.to_toml(config))
        env = {**os.environ, "POSTSEAL_HOME": str(home), "POSTSEAL_KEYRING": "file"}
        agent = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "agent"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while not (home / "agent.json").exists():
                time.sleep(0.05)
            client = AgentClient.discover(home)
            start = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                list(pool.map(client.submit, prepared))
            accepted = time.perf_counter() - start
            print(f"accepted {count} messages while offline in {accepted:.1f} s ({count / accepted:.0f} msg/s)")
            while client.outbox_counts().get("deferred", 0) < 2 * count:  # all waiting for the network
                time.sleep(0.2)
            with SmtpSink(port=port) as sink:
                cpu_before, own_before = cpu_seconds(agent.pid), time.process_time()
                start = time.perf_counter()
                if not sink.wait_for(count, timeout=600):
                    raise SystemExit(f"outbox benchmark: only {len(sink.received)} of {count} arrived")
                flush = time.perf_counter() - start
                agent_cpu, sink_cpu = cpu_seconds(agent.pid) - cpu_before, time.process_time() - own_before
                while client.outbox_counts().get("delivered", 0) < 2 * count:
                    time.sleep(0.05)
                committed = time.perf_counter() - start
            rss = peak_rss_mb(agent.pid)
            with SmtpSink() as second:
                base = baseline(prepared, second.port)
        finally:
            agent.terminate()
            agent.wait(30)
    print(
        json.dumps(
            {
                "messages": count,
                "flush_s": round(flush, 2),
                "all_committed_s": round(committed, 2),
                "baseline_s": round(base, 2),
                "peak_rss_mb": round(rss, 1),
            }
        )
    )
    print(f"baseline smtplib, one connection:   {count / base:8.1f} msg/s ({base:.2f} s)")
    print(
        f"postseal flush after reconnect:     {count / flush:8.1f} msg/s ({flush:.2f} s; all states committed at {committed:.2f} s)"
    )
    print(f"ratio flush time / baseline time:   {flush / base:8.2f}   (target ≤ 2)")
    print(f"CPU during the flush: agent {agent_cpu:.1f} s, sink (this process) {sink_cpu:.1f} s")
    print(f"agent peak RSS:                     {rss:8.1f} MB  (target ≤ 200)")
    return 0
