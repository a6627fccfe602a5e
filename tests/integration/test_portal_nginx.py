"""The portal in production shape: Debian's nginx terminating TLS (the shipped example site,
installers/portal/nginx-postseal-portal.conf) in front of two `postseal portal serve --config`
instances on a throwaway PostgreSQL and an S3-compatible server (moto's standalone server).

A message uploaded through nginx opens through either instance; one instance is killed after
the session cookie was issued and the recipient goes on through the other; the cookie is
Secure; a forged X-Forwarded-For from an untrusted peer is ignored (and believed from the
trusted proxy address); a wrong Host is refused; /readyz turns 503 naming the database once
it is gone; the instances' JSON logs hold no code, address or cookie.

nginx connects to the instances from 127.0.0.2 (proxy_bind), the only trusted_proxies entry,
so this test's own direct connections from 127.0.0.1 are an untrusted peer. As root (CI)
nginx runs as `nobody` in a folder of its own, like the test PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from agent.demo_world import free_port
from tests.conftest import mailed_code
from tests.portal_pg import as_nobody
from tests.portal_s3 import create_bucket

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "installers" / "portal" / "nginx-postseal-portal.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (scripts/ensure-system.sh test installs it)"
)

IDENT = "nginx-two-instances-0123"
RECIPIENT = "maria@mailbox.example"
TOKEN = "upload-token-for-the-nginx-test-0123456789"
BLOB = os.urandom(2 * 1024 * 1024)  # ciphertext as the agent uploads it (2 MB: past nginx's 1 MB default)
BUCKET = "postseal-nginx-test"
AWS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true"}


def wait_port(port: int, process: subprocess.Popen, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited: {log.read_text(errors='replace') if log else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} on {port} did not start")


@pytest.fixture(scope="module")
def s3_endpoint(moto_s3: str) -> str:
    return create_bucket(moto_s3, BUCKET)


def site_conf(port: int, redirect_port: int, upstreams: list[int], cert: Path, key: Path) -> str:
    """The shipped example with this machine's names, ports and files; every replaced piece
    must be there, so the example cannot drift from what this test runs."""
    text = SITE.read_text()
    for old, new in [
        ("server 10.0.0.11:8025", f"server 127.0.0.1:{upstreams[0]}"),
        ("server 10.0.0.12:8025", f"server 127.0.0.1:{upstreams[1]}"),
        ("listen 80;", f"listen 127.0.0.1:{redirect_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;"),
        ("server_name portal.clinic.example;", "server_name localhost;"),
        ("/etc/ssl/postseal/portal.crt", str(cert)),
        ("/etc/ssl/postseal/portal.key", str(key)),
        ("proxy_pass http://postseal_portal;", "proxy_pass http://postseal_portal;\n        proxy_bind 127.0.0.2;"),
    ]:
        assert old in text, f"{SITE.name} no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture
def nginx(ca) -> Iterator:
    """Start nginx on the shipped site: returns start(upstream ports) -> its https port."""
    folder = Path(tempfile.mkdtemp(prefix="postseal-nginx-"))
    as_root = os.geteuid() == 0
    started: list[subprocess.Popen] = []

    def start(upstreams: list[int]) -> int:
        port = free_port()
        shutil.copy(ca.cert_file, folder / "portal.crt")
        shutil.copy(ca.key_file, folder / "portal.key")
        (folder / "site.conf").write_text(
            site_conf(port, free_port(), upstreams, folder / "portal.crt", folder / "portal.key")
        )
        temp = "\n".join(
            f"    {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
            f"events {{ worker_connections 128; }}\n"
            f"http {{\n    access_log {folder}/access.log;\n{temp}\n    include {folder}/site.conf;\n}}\n"
        )
        if as_root:
            nobody = pwd.getpwnam("nobody")
            for path in [folder, *folder.iterdir()]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        argv = [
            NGINX,
            "-p",
            str(folder),
            "-c",
            str(folder / "nginx.conf"),
            "-e",
            str(folder / "error.log"),
            "-g",
            "daemon off;",
        ]
        process = subprocess.Popen(
            as_nobody(argv) if as_root else argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        started.append(process)
        wait_port(port, process, "nginx", folder / "error.log")
        return port

    yield start
    pid_file = folder / "nginx.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text()), signal.SIGTERM)  # the master; runuser then exits too
    for process in started:
        process.wait(timeout=15)
        process.stderr.close()
    shutil.rmtree(folder, ignore_errors=True)


def portal_toml(folder: Path, port: int, public: str, database: str, s3: str, relay_port: int, ca_file: Path) -> Path:
    path = folder / "portal.toml"
    path.write_text(f"""
public_url = "{public}"
trusted_proxies = ["127.0.0.2"]
database = "{database}"
upload_token_file = "token"
[listen]
host = "127.0.0.1"
port = {port}
[blobs]
type = "s3"
bucket = "{BUCKET}"
endpoint_url = "{s3}"
region = "us-east-1"
prefix = "portal"
[sweep]
grace_hours = 24
interval_minutes = 1
[log]
format = "json"
[mail]
host = "127.0.0.1"
port = {relay_port}
starttls = "opportunistic"
ca_file = "{ca_file}"
organization = "Valley Clinic"
""")
    (folder / "token").write_text(TOKEN)
    return path


def forged_codes(port: int, source: str, count: int) -> list[int]:
    """`count` code requests for unknown messages straight to an instance from `source`, each
    claiming another client address in X-Forwarded-For."""
    statuses = []
    for n in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
        conn.request(
            "POST",
            f"/api/v1/messages/unknown-message-{n:08d}/code",
            body=b"{}",
            headers={"Host": "localhost", "X-Forwarded-For": f"198.51.100.{n + 1}"},
        )
        statuses.append(conn.getresponse().status)
        conn.close()
    return statuses


def test_two_instances_behind_nginx(nginx, postgres_url, s3_endpoint, sink, ca, tmp_path):
    ports = [free_port(), free_port()]
    nginx_port = nginx(ports)
    public = f"https://localhost:{nginx_port}"
    env = {
        **os.environ,
        **AWS,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("POSTSEAL_PORTAL_DATABASE", None)
    instances, logs = [], []
    for n, port in enumerate(ports):
        folder = tmp_path / f"instance{n}"
        folder.mkdir()
        config = portal_toml(folder, port, public, postgres_url, s3_endpoint, sink.port, ca.ca_file)
        logs.append(folder / "stderr.log")
        with logs[-1].open("wb") as err:
            instances.append(
                subprocess.Popen(
                    [sys.executable, "-m", "agent.cli", "portal", "serve", "--config", str(config)],
                    env={**env, "POSTSEAL_HOME": str(folder / "home")},
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
            )
    try:
        for port, process, log in zip(ports, instances, logs, strict=True):
            wait_port(port, process, "portal serve", log)
        web = requests.Session()
        web.verify = str(ca.ca_file)
        web.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the test CA
        api = f"{public}/api/v1/messages/{IDENT}"
        origin = {"Origin": public}

        # The agent uploads through nginx (2 MB: nginx's client_max_body_size is the portal's).
        up = web.put(
            api,
            data=BLOB,
            timeout=30,
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "X-Postseal-Recipient": RECIPIENT,
                "X-Postseal-Sender": "dr.chen@valleyclinic.example",
            },
        )
        assert up.status_code == 201, up.text
        assert web.get(f"{public}/readyz", timeout=10).json() == {"ready": True, "checked": ["blobs", "database"]}

        # A wrong Host is refused (by whichever instance nginx picks), before any handler.
        wrong = web.get(f"{api}/info", headers={"Host": "evil.example"}, timeout=10)
        assert wrong.status_code == 421 and "error" in wrong.json()

        # The recipient asks for a code and proves it: the cookie is Secure.
        before = len(sink.received)
        assert web.post(f"{api}/code", json={}, headers=origin, timeout=10).status_code == 202
        code = mailed_code(sink, RECIPIENT, before)
        verified = web.post(f"{api}/session", json={"code": code}, headers=origin, timeout=10)
        assert verified.status_code == 200, verified.text
        set_cookie = verified.headers["Set-Cookie"]
        assert "Secure" in set_cookie and "HttpOnly" in set_cookie
        cookie = verified.cookies["ps_session"]

        # The same session opens the message through either instance directly.
        for port in ports:
            direct = requests.get(
                f"http://127.0.0.1:{port}/api/v1/messages/{IDENT}/blob",
                timeout=10,
                headers={"Host": "localhost"},
                cookies={"ps_session": cookie},
            )
            assert direct.status_code == 200 and direct.content == BLOB

        # One instance dies mid-session; the recipient goes on through nginx and the other one.
        instances[0].kill()
        instances[0].wait(timeout=10)
        for _ in range(4):
            fetched = web.get(f"{api}/blob", cookies={"ps_session": cookie}, timeout=20)
            assert fetched.status_code == 200 and fetched.content == BLOB
        assert web.get(f"{api}/info", cookies={"ps_session": cookie}, timeout=10).json()["verified"] is True

        # X-Forwarded-For from an untrusted peer (127.0.0.1) is ignored: 25 "different clients"
        # are one client to the per-client limit (20 a minute). From the trusted proxy's
        # address (127.0.0.2) the same header is believed, and none is limited.
        assert 429 in forged_codes(ports[1], "127.0.0.1", 25)
        assert set(forged_codes(ports[1], "127.0.0.2", 25)) == {404}

        # The database goes away: /readyz (through nginx) says 503 and names it; /healthz stays up.
        import psycopg

        cluster, name = postgres_url.rsplit("/", 1)
        with psycopg.connect(f"{cluster}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        ready = web.get(f"{public}/readyz", timeout=20)
        assert ready.status_code == 503 and list(ready.json()["failing"]) == ["database"], ready.text
        assert "postseal@" not in ready.text and "127.0.0.1" not in ready.text
        assert web.get(f"{public}/healthz", timeout=10).status_code == 200
    finally:
        for process in instances:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    # The logs: JSON lines, with requests by route template, and no code, address or cookie.
    text = "".join(log.read_text(errors="replace") for log in logs)
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(e.get("route") == "/api/v1/messages/{id}/session" and e.get("status") == 200 for e in entries)
    assert any("readiness: database" in e["message"] for e in entries)
    for secret in (code, RECIPIENT, "dr.chen@valleyclinic.example", cookie, TOKEN):
        assert secret not in text
