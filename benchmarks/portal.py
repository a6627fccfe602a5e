"""Recipients at once: N recipients (default 200) each ask for a code, verify it and fetch
a 1 MB sealed message, all at the same moment (issue 16 item 7).

Two setups, measured in the same run, each on its own portal processes
(benchmarks/portal_instance.py builds the app `postseal portal serve` runs):
- distributed: two instances on one PostgreSQL (a throwaway cluster, tests/portal_pg.py)
  and S3-compatible object storage (moto's server, its own process), with a client-side
  round-robin: every request goes to the next instance, so a code asked through one is
  verified through the other and the session made there fetches through the first;
- embedded (the baseline): one instance on SqlitePortalStore with files.
The messages are uploaded first through the real upload API (bearer token), one 1 MB blob
of random bytes each; every fetched blob is compared with what was uploaded.

Timed per recipient: verify + fetch (POST …/session with the mailed code, then GET …/blob
to its last byte). Printed: requests/s over the verify + fetch phase, p50 and p99 of the
per-recipient verify + fetch time, the code request's p50/p99, errors (any unexpected status,
exception or wrong bytes), and the ratios distributed / embedded.
Target (issue 16, this 2-core machine): 200 at once, p99 under 300 ms, zero errors.

POSTSEAL_BENCH_ARRIVAL_S=2 spreads the recipients' arrivals evenly over 2 seconds (100 a
second) instead of all at one moment: the latency each recipient sees while the portal is
busy but not handed the whole burst at once.

POSTSEAL_BENCH_BLOB_LATENCY_MS=20 makes every object store call of the distributed setup
wait 20 ms first (benchmarks/portal_instance.py, FarBlobs): moto answers on loopback at once,
real object storage after tens of milliseconds, and that wait is what decides whether an
instance serves one recipient at a time or many.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from agent.demo_world import free_port
from benchmarks.figures import Figure, percentile
from benchmarks.processes import backends, cpu_between, cpu_of, processes, start

BLOB_SIZE = 1024 * 1024
BUCKET = "postseal-bench"
S3_ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
TIMEOUT = aiohttp.ClientTimeout(total=120)


@dataclass
class Result:
    name: str
    count: int
    wall: float = 0.0  # the verify + fetch phase, first request sent to last byte read
    latencies: list[float] = field(default_factory=list)  # verify + fetch, per recipient
    code_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the phase, per part

    def summary(self) -> dict:
        return {
            "setup": self.name,
            "recipients": self.count,
            "errors": len(self.errors),
            "requests_per_s": round(2 * len(self.latencies) / self.wall, 1) if self.wall else 0.0,
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 1),
            "p99_ms": round(percentile(self.latencies, 99) * 1000, 1),
            "code_p50_ms": round(percentile(self.code_latencies, 50) * 1000, 1),
            "code_p99_ms": round(percentile(self.code_latencies, 99) * 1000, 1),
            "cpu_ms_per_recipient": {k: round(v * 1000 / self.count, 1) for k, v in self.cpu.items()},
        }


def blob_for(index: int, base: bytes) -> bytes:
    return index.to_bytes(4, "big") + base[4:]


# --- the processes ---------------------------------------------------------------------------------
def instance(started: list[subprocess.Popen], folder: Path, codes: Path, *store: str) -> str:
    port = free_port()
    start(
        started,
        [
            sys.executable,
            "-m",
            "benchmarks.portal_instance",
            "--port",
            str(port),
            "--token-file",
            str(folder / "token"),
            "--codes",
            str(codes),
            *store,
        ],
        f"portal instance ({' '.join(store)})",
        port,
        S3_ENV,
    )
    return f"http://127.0.0.1:{port}"


# --- the recipients --------------------------------------------------------------------------------
class RoundRobin:
    def __init__(self, bases: list[str]) -> None:
        self.bases, self.turn = bases, 0

    def __call__(self, ident: str) -> str:
        self.turn += 1
        return f"{self.bases[self.turn % len(self.bases)]}/api/v1/messages/{ident}"


async def upload(client: aiohttp.ClientSession, base: RoundRobin, token: str, idents: list[str], blob: bytes) -> None:
    gate = asyncio.Semaphore(8)

    async def one(index: int, ident: str) -> None:
        async with (
            gate,
            client.put(
                base(ident),
                data=blob_for(index, blob),
                headers={
                    "Authorization": f"Bearer {token}",
                    "X-Postseal-Recipient": f"patient{index}@mailbox.example",
                    "X-Postseal-Sender": "dr.chen@valleyclinic.example",
                },
            ) as response,
        ):
            if response.status != 201:
                raise RuntimeError(f"upload of {ident}: HTTP {response.status}: {await response.text()}")

    await asyncio.gather(*(one(i, ident) for i, ident in enumerate(idents)))


async def mailed_code(codes: Path, ident: str, timeout: float = 60) -> str:
    path = codes / ident
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("no code was mailed")
        await asyncio.sleep(0.01)
    return path.read_text()


async def recipient(
    client: aiohttp.ClientSession,
    base: RoundRobin,
    codes: Path,
    index: int,
    ident: str,
    blob: bytes,
    result: Result,
    marks: list[float],
    arrives: float = 0.0,
) -> None:
    await asyncio.sleep(arrives)
    try:
        began = time.perf_counter()
        async with client.post(f"{base(ident)}/code", json={}) as response:
            if response.status != 202:
                raise RuntimeError(f"code: HTTP {response.status}")
        code = await mailed_code(codes, ident)
        result.code_latencies.append(time.perf_counter() - began)
        began = time.perf_counter()
        marks.append(began)
        async with client.post(f"{base(ident)}/session", json={"code": code}) as response:
            if response.status != 200:
                raise RuntimeError(f"verify: HTTP {response.status}: {await response.text()}")
            cookie = response.cookies["ps_session"].value
        async with client.get(f"{base(ident)}/blob", headers={"Cookie": f"ps_session={cookie}"}) as response:
            if response.status != 200:
                raise RuntimeError(f"fetch: HTTP {response.status}")
            data = await response.read()
        ended = time.perf_counter()
        marks.append(ended)
        # Compared byte for byte (a memcmp; a digest would cost this process ~2 ms a blob).
        if data[:4] != index.to_bytes(4, "big") or data[4:] != blob[4:]:
            raise RuntimeError(f"fetch: {len(data)} bytes, not the blob uploaded")
        result.latencies.append(ended - began)
    except Exception as exc:  # noqa: BLE001 - every failure is counted and named, none stops the run
        result.errors.append(f"recipient {index}: {type(exc).__name__}: {exc}")


async def run_setup(
    name: str,
    bases: list[str],
    token: str,
    codes: Path,
    count: int,
    blob: bytes,
    parts: dict[str, Callable[[], list[int]]],
) -> Result:
    result = Result(name, count)
    idents = [secrets.token_urlsafe(18) for _ in range(count)]
    connector = aiohttp.TCPConnector(limit=0)  # one connection per recipient, as browsers would have
    async with aiohttp.ClientSession(
        connector=connector, timeout=TIMEOUT, cookie_jar=aiohttp.DummyCookieJar()
    ) as client:
        await upload(client, RoundRobin(bases), token, idents, blob)
        marks: list[float] = []
        base = RoundRobin(bases)
        before = cpu_of(parts)
        # All at the same moment (the case), or, with POSTSEAL_BENCH_ARRIVAL_S, arriving
        # evenly over that many seconds: a burst of notices opened over a few seconds.
        spread = float(os.environ.get("POSTSEAL_BENCH_ARRIVAL_S", "0"))
        await asyncio.gather(
            *(
                recipient(client, base, codes, i, ident, blob, result, marks, spread * i / count)
                for i, ident in enumerate(idents)
            )
        )
        result.cpu = cpu_between(before, cpu_of(parts))
    result.wall = (max(marks) - min(marks)) if marks else 0.0
    return result


# --- the setups --------------------------------------------------------------------------------------
def embedded(count: int, blob: bytes, folder: Path) -> Result:
    folder.mkdir()
    (folder / "token").write_text(token := secrets.token_urlsafe(32))
    with processes() as started:
        base = instance(started, folder, folder / "codes", "--sqlite", str(folder / "portal"))
        portals = [p.pid for p in started if "benchmarks.portal_instance" in p.args]
        return asyncio.run(
            run_setup(
                "embedded (SQLite + files, 1 instance)",
                [base],
                token,
                folder / "codes",
                count,
                blob,
                {"portal": lambda: portals},
            )
        )


def distributed(count: int, blob: bytes, folder: Path, cluster: str) -> Result:
    import boto3

    from agent.portal import store_pg
    from tests.portal_pg import new_database

    folder.mkdir()
    (folder / "token").write_text(token := secrets.token_urlsafe(32))
    url = new_database(cluster)
    store_pg.migrate(url)
    with processes() as started:
        s3_port = free_port()
        start(
            started,
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
            "moto's S3 server",
            s3_port,
        )
        endpoint = f"http://127.0.0.1:{s3_port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket=BUCKET)
        latency = float(os.environ.get("POSTSEAL_BENCH_BLOB_LATENCY_MS", "0")) / 1000
        bases = [
            instance(
                started,
                folder,
                folder / "codes",
                "--database",
                url,
                "--s3",
                endpoint,
                "--bucket",
                BUCKET,
                "--blob-latency",
                str(latency),
            )
            for _ in range(2)
        ]
        portals = [p.pid for p in started if "benchmarks.portal_instance" in p.args]
        name = f"distributed (PostgreSQL + S3{f' +{latency * 1000:.0f} ms' if latency else ''}, 2 instances)"
        return asyncio.run(
            run_setup(
                name,
                bases,
                token,
                folder / "codes",
                count,
                blob,
                {
                    "portal": lambda: portals,
                    "object store": lambda: [started[0].pid],
                    "database": lambda: backends(url.rsplit("/", 1)[1]),
                },
            )
        )


def run(count: int, cluster: str | None = None) -> tuple[Result, Result]:
    """(embedded, distributed); on `cluster` (a PostgreSQL URL) or a throwaway cluster of its own."""
    from tests.portal_pg import throwaway_cluster

    blob = os.urandom(BLOB_SIZE)
    with tempfile.TemporaryDirectory(prefix="postseal-bench-") as folder:
        base = embedded(count, blob, Path(folder) / "embedded")
        with contextlib.nullcontext(cluster) if cluster else throwaway_cluster() as url:
            dist = distributed(count, blob, Path(folder) / "distributed", url)
    return base, dist


def report(base: Result, dist: Result) -> None:
    a, b = base.summary(), dist.summary()
    print(json.dumps({"embedded": a, "distributed": b}))
    for s in (a, b):
        print(
            f"{s['setup']:50} {s['requests_per_s']:7.1f} req/s  p50 {s['p50_ms']:6.1f} ms  "
            f"p99 {s['p99_ms']:6.1f} ms  errors {s['errors']}  (code: p50 {s['code_p50_ms']:.0f} ms, "
            f"p99 {s['code_p99_ms']:.0f} ms)"
        )
        print(
            f"{'':50} CPU per recipient: " + ", ".join(f"{k} {v:.1f} ms" for k, v in s["cpu_ms_per_recipient"].items())
        )
    if a["requests_per_s"] and a["p99_ms"]:
        print(
            f"ratio distributed / embedded: requests/s {b['requests_per_s'] / a['requests_per_s']:5.2f}, "
            f"p99 {b['p99_ms'] / a['p99_ms']:5.2f}"
        )
    spread = float(os.environ.get("POSTSEAL_BENCH_ARRIVAL_S", "0"))
    arrival = f"arriving over {spread:g} s" if spread else "at once"
    print(
        f"{base.count} recipients {arrival}; target: {base.count} at once, p99 < 300 ms for verify + fetch, zero errors"
    )
    for failure in (base.errors + dist.errors)[:10]:
        print(f"  error: {failure}")


def figures(count: int, cluster: str | None = None) -> list[Figure]:
    """The distributed setup against the embedded one (the baseline), for the figures table;
    a run with any error fails (RuntimeError naming the first): its timings would flatter."""
    base, dist = run(count, cluster)
    report(base, dist)
    if base.errors or dist.errors:
        raise RuntimeError(
            f"portal benchmark: {len(base.errors) + len(dist.errors)} errors, first: {(base.errors + dist.errors)[0]}"
        )
    a, b = base.summary(), dist.summary()
    what, name = "embedded portal (SQLite + files, 1 instance)", f"portal, {count} recipients at once, 2 instances"
    return [
        Figure(f"{name}: verify + fetch 1 MB, req/s", b["requests_per_s"], a["requests_per_s"], "req/s", what, "—"),
        Figure(f"{name}: p99", b["p99_ms"], a["p99_ms"], "ms", what, "≤ 300 ms (issue 16)", False),
    ]


def main(count: int) -> int:
    try:
        base, dist = run(count)
    except RuntimeError as exc:  # PostgreSQL missing, a process that did not start: one line
        print(f"portal benchmark: {exc}", file=sys.stderr)
        return 1
    report(base, dist)
    return 1 if base.errors or dist.errors else 0
