"""Two `postseal portal serve --database` processes on one PostgreSQL and one blob folder,
as behind a load balancer: a message uploaded through the first is asked a code through the
second, verified through the first and fetched through the second with the same session;
a serve on a database that was never migrated refuses in one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from agent import config as config_mod
from agent.demo_world import free_port
from tests.conftest import mailed_code, make_config

IDENT = "two-instances-0123456789"
BLOB = b"\x07" * 128  # what the agent uploads: ciphertext, opaque to the portal


def serve(home: Path, url: str, blobs: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "portal",
            "serve",
            "--database",
            url,
            "--blobs",
            str(blobs),
            "--port",
            str(port),
        ],
        env={**os.environ, "POSTSEAL_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode(errors="replace")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"portal on {port} did not start")


def test_a_message_opens_through_either_instance(home, postgres_url, sink, ca, tmp_path):
    (home / "config.toml").write_text(config_mod.to_toml(make_config(sink.port, ca)))
    blobs = tmp_path / "shared-blobs"
    ports = [free_port(), free_port()]
    first = serve(home, postgres_url, blobs, ports[0])
    processes = [first]
    try:
        wait_port(ports[0], first)
        processes.append(second := serve(home, postgres_url, blobs, ports[1]))
        wait_port(ports[1], second)
        a, b = (f"http://127.0.0.1:{port}/api/v1/messages/{IDENT}" for port in ports)
        # An agent enrolled through the second instance uploads through the first.
        made = subprocess.run(
            [sys.executable, "-m", "agent.cli", "portal", "enrolment-code", "--database", postgres_url, "--json"],
            env={**os.environ, "POSTSEAL_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        enrolled = requests.post(
            f"http://127.0.0.1:{ports[1]}/api/v1/enroll",
            timeout=10,
            json={"code": json.loads(made.stdout)["code"], "name": "front desk"},
        )
        assert enrolled.status_code == 201, enrolled.text
        token = enrolled.json()["credential"]
        up = requests.put(
            a,
            data=BLOB,
            timeout=10,
            headers={
                "Authorization": f"Bearer {token}",
                "X-Postseal-Recipient": "maria@mailbox.example",
                "X-Postseal-Sender": "dr.chen@valleyclinic.example",
            },
        )
        assert up.status_code == 201, up.text
        assert (
            requests.put(
                b,
                data=BLOB,
                timeout=10,
                headers={"Authorization": f"Bearer {token}", "X-Postseal-Recipient": "x@y.example"},
            ).status_code
            == 409
        )
        before = len(sink.received)
        assert requests.post(f"{b}/code", json={}, timeout=10).status_code == 202
        code = mailed_code(sink, "maria@mailbox.example", before)
        verified = requests.post(f"{a}/session", json={"code": code}, timeout=10)
        assert verified.status_code == 200, verified.text
        cookie = verified.cookies.get("ps_session")
        fetched = requests.get(f"{b}/blob", cookies={"ps_session": cookie}, timeout=10)
        assert fetched.status_code == 200 and fetched.content == BLOB
        assert requests.get(f"{a}/blob", timeout=10).status_code == 401  # no session, no ciphertext
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
            process.stderr.close()


def test_serve_on_a_database_never_migrated_refuses_in_one_line(home, postgres_cluster, tmp_path):
    from tests.portal_pg import new_database

    process = serve(home, new_database(postgres_cluster), tmp_path / "blobs", free_port())
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "postseal portal migrate" in lines[0], err
