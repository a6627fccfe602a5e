"""The processes a benchmark starts, waits for, samples with py-spy and measures the CPU of."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.agent_process import cpu_seconds


def wait_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = process.stderr.read().decode(errors="replace").strip().splitlines() or ["(nothing on stderr)"]
            raise RuntimeError(f"{what} exited with {process.returncode}: {said[-1]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


@contextlib.contextmanager
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    try:
        yield started
    finally:
        spies = [p for p in started if p.args[0] == "py-spy"]  # they end with what they sample
        for process in started:
            if process not in spies:
                process.terminate()
        for process in [p for p in started if p not in spies] + spies:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for stream in (process.stdout, process.stderr):
                if stream:
                    stream.close()


def start(started: list[subprocess.Popen], argv: list[str], what: str, port: int, env: dict | None = None) -> None:
    process = subprocess.Popen(
        argv, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    started.append(process)
    wait_port(port, process, what)
    if folder := os.environ.get("POSTSEAL_BENCH_PYSPY"):
        # Where the time goes: py-spy samples the process until it ends (stacks, "raw" format,
        # one file per process); processes() ends the samplers after what they sample.
        if shutil.which("py-spy") is None:
            raise RuntimeError("POSTSEAL_BENCH_PYSPY is set but py-spy is not installed (pip install py-spy)")
        spy = subprocess.Popen(
            [
                "py-spy",
                "record",
                "--pid",
                str(process.pid),
                "--format",
                "raw",
                "--nonblocking",
                "-o",
                str(Path(folder) / f"{what.split()[0].strip('(')}-{port}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(spy)


def cpu_of(parts: dict[str, Callable[[], list[int]]]) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each process of each part (the client: this process)."""
    used: dict[str, dict[int, float]] = {}
    for name, find in parts.items():
        used[name] = {}
        for pid in find():
            with contextlib.suppress(OSError):
                used[name][pid] = cpu_seconds(pid)
    return {**used, "client": {os.getpid(): time.process_time()}}


def cpu_between(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    # A process that appeared in between (a database connection opened by a pool) counts whole.
    return {
        name: sum(t - before.get(name, {}).get(pid, 0.0) for pid, t in pids.items()) for name, pids in after.items()
    }


def backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving `database` (its name is in their title)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f" {database} ".encode() in (proc / "cmdline").read_bytes().replace(b"\0", b" "):
                found.append(int(proc.name))
        except OSError:
            continue
    return found
