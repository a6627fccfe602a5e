"""`postseal portal migrate`: the PostgreSQL layout is versioned like the other stores, carried
forward by an explicit command, refused by a store that finds it behind or ahead, and
migrated once when two instances try at the same time. Against a real throwaway cluster."""

from __future__ import annotations

import threading

import psycopg
import pytest

from agent.portal import store_pg
from agent.portal.blobs import FileBlobStore
from agent.store_migrations import DataVersionError, NewerData, latest
from tests.conftest import run_cli
from tests.portal_pg import new_database


@pytest.fixture
def empty(request) -> str:
    return new_database(request.getfixturevalue("postgres_cluster"))


def version(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version FROM postseal_schema").fetchone()[0]


def test_migrate_creates_the_layout_once_and_then_has_nothing_to_do(empty, home, monkeypatch):
    first = run_cli("portal", "migrate", "--database", empty, home=home)
    assert first.returncode == 0, first.stderr
    now = latest(store_pg.MIGRATIONS)
    assert f"carried from version 0 to {now}".encode() in first.stdout and b"portal_" in first.stdout
    monkeypatch.setenv("POSTSEAL_PORTAL_DATABASE", empty)  # the URL kept off the command line
    again = run_cli("portal", "migrate", "--json", home=home)
    assert again.returncode == 0 and f'"from": {now}'.encode() in again.stdout
    assert version(empty) == now


def test_a_store_refuses_a_database_that_was_not_migrated(empty, tmp_path):
    with pytest.raises(DataVersionError, match="postseal portal migrate"):
        store_pg.PostgresPortalStore(empty, FileBlobStore(tmp_path))


def test_a_database_of_a_newer_release_is_refused_untouched(empty, home, tmp_path):
    store_pg.migrate(empty)
    with psycopg.connect(empty) as conn:
        conn.execute("UPDATE postseal_schema SET version=99")
    with pytest.raises(NewerData):
        store_pg.PostgresPortalStore(empty, FileBlobStore(tmp_path))
    refused = run_cli("portal", "migrate", "--database", empty, home=home)
    assert refused.returncode == 1 and b"newer Postseal" in refused.stderr and b"Traceback" not in refused.stderr
    assert version(empty) == 99


def test_two_instances_migrating_at_once_migrate_once(empty):
    results: list = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        results.append(store_pg.migrate(empty))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    now = latest(store_pg.MIGRATIONS)
    assert sorted(results) == [(0, now), (now, now)]


def test_an_unreachable_database_is_one_line_without_its_password(home):
    from agent.demo_world import free_port

    url = f"postgresql://postseal:s3cret-pw@127.0.0.1:{free_port()}/portal"
    failed = run_cli("portal", "migrate", "--database", url, home=home)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert b"s3cret-pw" not in failed.stderr and b"127.0.0.1" in failed.stderr


def test_migrate_without_a_database_says_how_to_give_one(home):
    missing = run_cli("portal", "migrate", home=home)
    assert missing.returncode == 2 and b"--database" in missing.stderr
