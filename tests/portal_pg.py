"""A real, throwaway PostgreSQL for the portal store's tests: Debian's `postgresql` binaries
(scripts/ensure-system.sh test), a cluster made by initdb in a temporary folder and started
by pg_ctl on a free 127.0.0.1 port, stopped and deleted at the end of the session. PostgreSQL
refuses to run as root, so as root (CI) the cluster belongs to `nobody` and runs as it
(runuser). Tests skip, saying why, only when the binaries are not installed.

`postgres_cluster` (session) is the server; `postgres_url` gives each test a database of its
own, already migrated.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.demo_world import free_port

_counter = itertools.count()


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def as_nobody(argv: list[str]) -> list[str]:
    """`argv` run as `nobody` when the tests run as root (CI), else as it is. runuser lives in
    /usr/sbin, which a clean environment's PATH (/usr/local/bin:/usr/bin:/bin) leaves out."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser is None:
        raise RuntimeError("running as root needs runuser (util-linux) to start servers as nobody")
    return [runuser, "-u", "nobody", "--", *argv]


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A cluster started in a temporary folder, stopped and deleted on exit: the URL of its
    `postgres` database (superuser `postseal`, trust on loopback). Also used outside pytest
    (benchmarks/portal.py); RuntimeError when the binaries are missing or it does not start."""
    bin_dir = pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (scripts/ensure-system.sh test installs Debian's postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="postseal-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    port = free_port()
    run = dict(check=True, capture_output=True, cwd=folder, timeout=120)
    try:
        subprocess.run(
            as_nobody(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", "postseal", "-A", "trust", "--no-sync", "-E", "UTF8"]
            ),
            **run,
        )
        subprocess.run(
            as_nobody(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(folder / "log"),
                    "-w",
                    "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=50",
                    "start",
                ]
            ),
            **run,
        )
    except subprocess.CalledProcessError as exc:
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"the test PostgreSQL did not start: {exc.stderr.decode(errors='replace')}{log}") from None
    try:
        yield f"postgresql://postseal@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            as_nobody([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            cwd=folder,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    """The URL of the cluster's `postgres` database (superuser `postseal`, trust on loopback)."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (scripts/ensure-system.sh test installs Debian's postgresql)")
    with throwaway_cluster() as url:
        yield url


def new_database(cluster: str) -> str:
    """The URL of a new, empty database on the test cluster."""
    import psycopg

    name = f"portal_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(cluster, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return cluster.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def postgres_url(postgres_cluster: str) -> str:
    """A new database on the test cluster, migrated to this release's layout."""
    from agent.portal import store_pg

    url = new_database(postgres_cluster)
    store_pg.migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def portal_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """An empty portal store on each backend: the embedded SQLite store, and PostgreSQL (a
    database of its own on the throwaway cluster) with its blobs in files."""
    if request.param == "sqlite":
        from agent.portal.store import SqlitePortalStore

        made = SqlitePortalStore(tmp_path / "portal")
    else:
        from agent.portal.blobs import FileBlobStore
        from agent.portal.store_pg import PostgresPortalStore

        made = PostgresPortalStore(request.getfixturevalue("postgres_url"), FileBlobStore(tmp_path / "blobs"))
    yield made
    made.close()
