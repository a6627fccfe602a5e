"""The PostgreSQL store's pool reads like one connection (agent/portal/pg_pool.py): each
statement on a connection of its own in autocommit, whole answers, and a transaction block
that keeps one connection to itself while other threads go on with theirs."""

from __future__ import annotations

import threading

import pytest

from agent.portal.pg_pool import PooledDatabase


@pytest.fixture
def db(postgres_url: str):
    pooled = PooledDatabase(postgres_url, 4, connect_timeout=10)
    pooled.execute("CREATE TABLE t (n INTEGER)")
    yield pooled
    pooled.close()


def test_a_statement_answers_whole_rows_and_the_rows_it_changed(db):
    assert db.execute("INSERT INTO t VALUES (1), (2), (3)").rowcount == 3
    result = db.execute("SELECT n FROM t ORDER BY n")
    assert result.fetchone() == (1,)
    assert result.fetchall() == [(2,), (3,)]
    assert result.fetchone() is None
    assert [row for row in db.execute("SELECT n FROM t WHERE n > %s ORDER BY n", (1,))] == [(2,), (3,)]
    assert db.execute("UPDATE t SET n = n + 10 WHERE n >= 2").rowcount == 2
    assert db.execute("DELETE FROM t WHERE n = 99").rowcount == 0


def test_a_transaction_block_commits_whole_or_not_at_all(db):
    with db.transaction():
        db.execute("INSERT INTO t VALUES (1)")
        db.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO t VALUES (3)")
        raise RuntimeError("abandoned")
    assert db.execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (2,)]


def test_threads_hold_connections_of_their_own_at_the_same_time(db):
    # Four threads are inside a transaction at once (a single shared connection could not
    # hold four), each with a row the others cannot see until it commits.
    meet = threading.Barrier(4, timeout=20)
    seen: dict[int, tuple[int, int]] = {}

    def worker(n: int) -> None:
        with db.transaction():
            db.execute("INSERT INTO t VALUES (%s)", (n,))
            pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
            meet.wait()
            visible = db.execute("SELECT count(*) FROM t").fetchone()[0]
            meet.wait()
            seen[n] = (pid, visible)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({pid for pid, _ in seen.values()}) == 4
    assert all(visible == 1 for _, visible in seen.values())  # its own row only
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 4
