"""A short run of each benchmark that reports figures (a few messages each, not a measurement),
so that none rots between two `make bench`: each runs end to end against its baseline and
returns well-formed figures; the table writer keeps the prose around its markers. The portal
benchmark has its own end-to-end test (test_portal_benchmark.py)."""

from __future__ import annotations

import datetime
import math

import pytest

from agent.demo_world import free_port
from benchmarks import acceptance, check, figures, outbox, pipeline, protect
from benchmarks.agent_process import rss_by_mapping, rss_mb, running_agent
from benchmarks.figures import Figure


def well_formed(found: list[Figure], with_baseline: int) -> None:
    assert found and all(isinstance(f, Figure) for f in found)
    for f in found:
        assert math.isfinite(f.postseal) and f.postseal > 0, f
        assert f.target and f.unit and f.baseline_what, f
        if f.baseline is not None:
            assert math.isfinite(f.baseline) and f.baseline > 0 and f.ratio == f.postseal / f.baseline, f
    assert sum(f.baseline is not None for f in found) == with_baseline


def test_acceptance_runs_against_its_baseline(monkeypatch, capsys):
    monkeypatch.setattr(acceptance, "SETTLE_S", 0.0)
    found = acceptance.figures(8)
    printed = capsys.readouterr().out
    assert "agent idle RSS, largest parts: [anonymous] " in printed
    well_formed(found, with_baseline=5)
    assert [f.name for f in found][1:4] == [
        "acceptance, 8 clients: msg/s",
        "acceptance, 8 clients: p50",
        "acceptance, 8 clients: p99",
    ]


def test_the_agent_maps_no_qt_and_its_memory_adds_up(tmp_path):
    """Qt must never load in the agent (issue 18): read from the running agent's own mappings,
    which a lazy import at run time would also show; the parts add up to its resident memory."""
    with running_agent(tmp_path / "home", acceptance.agent_config(free_port())) as (client, pid):
        client.submit(outbox.messages(1)[0])
        parts = rss_by_mapping(pid)
        total = rss_mb(pid)
    assert not [name for name in parts if "pyside" in name.lower() or "qt" in name.lower()], parts
    assert parts["[anonymous]"] > 0 and abs(sum(parts.values()) - total) < 0.25 * total


def test_percentile_is_nearest_rank():
    samples = [float(n) for n in range(1, 101)]
    assert figures.percentile(samples, 50) == 50.0
    assert figures.percentile(samples, 99) == 99.0
    assert figures.percentile([7.0], 99) == 7.0
    assert math.isnan(figures.percentile([], 50))


def test_check_is_answered_from_cache_after_the_first(tmp_path):
    result = check.measure(3, tmp_path)
    assert result["first_lookups"] > 0  # the lookups are on: the first check asked DNS
    assert result["uncached_lookups"] == 0  # and every later one was answered from cache
    assert result["p99"] >= result["p50"] > 0 and result["base_p99"] >= result["base_p50"] > 0


def test_pipeline_runs_both_variants():
    well_formed(pipeline.figures(3), with_baseline=2)


def test_protect_runs_every_method():
    found = protect.figures(3)
    well_formed(found, with_baseline=3)
    assert [f.name.split()[0] for f in found] == ["S/MIME", "OpenPGP", "portal"]


def test_outbox_flush_and_its_memory():
    flush, memory = outbox.figures(3)
    well_formed([flush, memory], with_baseline=1)
    assert memory.baseline is None and memory.ratio is None and memory.unit == "MB"


def test_the_table_replaces_only_what_is_between_its_markers(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nProse by hand.\n", encoding="utf-8")
    one = Figure("acceptance, 8 clients: msg/s", 310.0, 900.0, "msg/s", "aiohttp", "≥ 300 msg/s")
    none = Figure("agent RSS, peak", 90.5, None, "MB", "none (no baseline)", "≤ 150 MB", False)
    figures.write(doc, [one], when=datetime.date(2026, 12, 7), where="2 cores, Test CPU")
    doc.write_text(doc.read_text(encoding="utf-8") + "\nMore prose after.\n", encoding="utf-8")
    figures.write(doc, [one, none], when=datetime.date(2026, 12, 8), where="2 cores, Test CPU")
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nProse by hand.\n") and text.endswith("More prose after.\n")
    assert text.count(figures.BEGIN) == 1 and text.count("| figure |") == 1 and "2026-12-07" not in text
    assert "| acceptance, 8 clients: msg/s | 310.0 msg/s | aiohttp: 900.0 msg/s | 0.34x | ≥ 300 msg/s |" in text
    assert "| agent RSS, peak | 90.5 MB | none (no baseline) | — | ≤ 150 MB | 2026-12-08 | 2 cores, Test CPU |" in text


def test_one_marker_alone_is_refused(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\n{figures.BEGIN}\nold table, its end marker deleted\n", encoding="utf-8")
    with pytest.raises(ValueError, match="one figures marker without the other"):
        figures.write(doc, [])
    assert "old table" in doc.read_text(encoding="utf-8")


def test_a_failing_benchmark_fails_the_run_and_leaves_the_table(tmp_path, monkeypatch, capsys):
    from benchmarks import suite

    (tmp_path / "bench_fine.py").write_text(
        "from benchmarks.figures import Figure\n"
        "def figures(count):\n"
        "    return [Figure(f'fine, {count} messages', 2.0, 1.0, 'msg/s', 'the floor', '≥ 1x')]\n"
    )
    (tmp_path / "bench_broken.py").write_text("def figures(count):\n    raise RuntimeError('gpg not found on PATH')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n", encoding="utf-8")
    both = {"fine": ("bench_fine", 5), "broken": ("bench_broken", 5)}
    assert suite.run(None, doc, both) == 1
    assert doc.read_text(encoding="utf-8") == "# Benchmarks\n"
    captured = capsys.readouterr()
    assert "benchmark broken failed: RuntimeError: gpg not found on PATH" in captured.err
    assert "1 failed" in captured.out and "left as it was" in captured.out
    assert suite.run(3, doc, {"fine": ("bench_fine", 5)}) == 0
    assert "| fine, 3 messages | 2.00 msg/s | the floor: 1.00 msg/s | 2.00x | ≥ 1x |" in doc.read_text(encoding="utf-8")


def test_portal_figures_compare_the_two_setups(postgres_cluster):
    pytest.importorskip("moto.server")
    pytest.importorskip("boto3")
    from benchmarks import portal

    found = portal.figures(3, postgres_cluster)
    well_formed(found, with_baseline=2)
    assert all(f.baseline_what.startswith("embedded portal") for f in found)
