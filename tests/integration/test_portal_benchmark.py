"""benchmarks/portal.py runs end to end (five recipients, not a measurement): every recipient
of both setups asks a code, verifies it and fetches the very bytes that were uploaded, and
the report prints both setups and their ratio."""

from __future__ import annotations

import pytest

pytest.importorskip("moto.server")
pytest.importorskip("boto3")


def test_the_portal_benchmark_runs_end_to_end(postgres_cluster, capsys):
    from benchmarks import portal

    embedded, distributed = portal.run(5, postgres_cluster)
    for result in (embedded, distributed):
        assert result.errors == [], result.errors
        assert len(result.latencies) == 5 and len(result.code_latencies) == 5 and result.wall > 0
        assert "portal" in result.cpu and "client" in result.cpu
    assert {"object store", "database"} <= distributed.cpu.keys()
    portal.report(embedded, distributed)
    out = capsys.readouterr().out
    assert "embedded (SQLite + files, 1 instance)" in out and "distributed (PostgreSQL + S3, 2 instances)" in out
    assert "ratio distributed / embedded" in out
