"""Flush after reconnect: N queued messages (20 KB, 2 recipients each) delivered to a local sink.

The agent runs as its own process (`postseal agent`) with the relay down; N messages are
accepted (and wait for the network); then the relay comes up and the time until the last
one is delivered is measured. Baseline, same run: `smtplib` sends the same prepared messages
over one connection. Targets (issue 6): flush under 30 s for 10,000, within 2x the baseline,
agent peak RSS at most 200 MB; issue 18 tightens them to 1.5x the baseline's time (3,000
messages) and 150 MB in a 10,000 flush.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import smtplib
import tempfile
import time
from pathlib import Path

from agent import config as config_mod
from agent.demo_world import SmtpSink, free_port
from benchmarks.agent_process import cpu_seconds, peak_rss_mb, running_agent
from benchmarks.figures import Figure
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


def measure(count: int) -> dict[str, float]:
    prepared = messages(count)
    with tempfile.TemporaryDirectory() as folder:
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
        with running_agent(Path(folder) / "home", config) as (client, pid):
            start = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                list(pool.map(client.submit, prepared))
            accepted = time.perf_counter() - start
            while client.outbox_counts().get("deferred", 0) < 2 * count:  # all waiting for the network
                time.sleep(0.2)
            with SmtpSink(port=port) as sink:
                cpu_before, own_before = cpu_seconds(pid), time.process_time()
                start = time.perf_counter()
                if not sink.wait_for(count, timeout=600):
                    raise RuntimeError(f"outbox benchmark: only {len(sink.received)} of {count} arrived")
                flush = time.perf_counter() - start
                agent_cpu, sink_cpu = cpu_seconds(pid) - cpu_before, time.process_time() - own_before
                while client.outbox_counts().get("delivered", 0) < 2 * count:
                    time.sleep(0.05)
                committed = time.perf_counter() - start
            rss = peak_rss_mb(pid)
        with SmtpSink() as second:
            base = baseline(prepared, second.port)
    return {
        "messages": count,
        "accepted_s": accepted,
        "flush_s": flush,
        "all_committed_s": committed,
        "baseline_s": base,
        "peak_rss_mb": rss,
        "agent_cpu_s": agent_cpu,
        "sink_cpu_s": sink_cpu,
    }


def figures(count: int) -> list[Figure]:
    r = measure(count)
    print(json.dumps({k: round(v, 2) for k, v in r.items()}))
    print(f"accepted {count} messages while offline in {r['accepted_s']:.1f} s (4 clients)")
    print(f"all states committed {r['all_committed_s']:.2f} s after reconnect")
    print(f"CPU during the flush: agent {r['agent_cpu_s']:.1f} s, sink (this process) {r['sink_cpu_s']:.1f} s")
    what = "smtplib, one connection, same sink kind"
    return [
        Figure(
            f"offline flush, {count:,} × 20 KB × 2 rcpts: time",
            r["flush_s"],
            r["baseline_s"],
            "s",
            what,
            "≤ 1.5x the time",
            False,
        ),
        Figure(
            f"agent RSS, peak during the {count:,} flush",
            r["peak_rss_mb"],
            None,
            "MB",
            "none (no other tool holds this queue)",
            "≤ 150 MB in a 10,000 flush",
            False,
        ),
    ]


def main(count: int) -> int:
    for figure in figures(count):
        print(figure.line())
    return 0
