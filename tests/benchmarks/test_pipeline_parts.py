"""The end-to-end benchmark's parts: arithmetic, the target switch, /proc readings, events."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest

from benchmarks.bench_pipeline import planned_runs
from benchmarks.pipeline.figures import latencies, markdown_table, percentile, stage_rates
from benchmarks.pipeline.observe import EventWatcher, OffsetSample
from benchmarks.pipeline.procs import read_usage
from benchmarks.pipeline.targets import DownSwitch, TargetServer
from sla.model import Alert, AlertSeverity, AlertState, Outage, OutageState

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(v) for v in range(101)], 95) == pytest.approx(95.0)


def test_stage_rates_use_the_samples_nearest_to_the_window() -> None:
    samples = [
        OffsetSample(at=100.0, produced=0, committed={"stream": 0, "sink": 0}),
        OffsetSample(at=110.0, produced=1000, committed={"stream": 400, "sink": 900}),
        OffsetSample(at=120.0, produced=3000, committed={"stream": 900, "sink": 2900}),
    ]
    rates = stage_rates(samples, 109.0, 121.0, ["stream", "sink"])
    assert rates == {"published": 200.0, "stream": 50.0, "sink": 200.0}
    assert samples[2].lag("stream") == 2100
    assert stage_rates(samples[:1], 100.0, 120.0, ["stream"]) == {
        "published": None,
        "stream": None,
    }


def test_latencies_count_sites_never_seen() -> None:
    seen = {"a": 112.0, "b": 130.0, "z": 101.0}
    figures = latencies(100.0, seen, ["a", "b", "c"])
    assert figures == {
        "sites_down": 3,
        "sites_seen": 2,
        "p50_s": 21.0,
        "p95_s": 29.1,
        "max_s": 30.0,
    }
    assert latencies(100.0, {}, ["a"])["p50_s"] is None


def _outage(site: str, state: OutageState, version: int) -> bytes:
    return (
        Outage(id=f"{site}-1", site=site, state=state, start=T0, version=version)
        .model_dump_json()
        .encode()
    )


def _alert(site: str, rule: str, state: AlertState) -> bytes:
    alert = Alert(
        id=f"{rule}-{site}", rule=rule, severity=AlertSeverity.PAGE, state=state, site=site,
        summary="x", starts_at=T0, version=0, emitted_at=T0,
    )  # fmt: skip
    return alert.model_dump_json().encode()


def test_event_watcher_keeps_the_first_opened_outage_and_firing_site_down_alert() -> None:
    watcher = EventWatcher("unused:1", "p.outages", "p.alerts")
    watcher.apply("p.outages", _outage("a", OutageState.UPDATED, 1), 5.0)
    watcher.apply("p.outages", _outage("a", OutageState.OPENED, 0), 10.0)
    watcher.apply("p.outages", _outage("a", OutageState.OPENED, 0), 11.0)  # a duplicate
    watcher.apply("p.alerts", _alert("a", "month-projection", AlertState.FIRING), 12.0)
    watcher.apply("p.alerts", _alert("a", "site-down", AlertState.RESOLVED), 13.0)
    watcher.apply("p.alerts", _alert("a", "site-down", AlertState.FIRING), 14.0)
    watcher.apply("p.alerts", b"{not json", 15.0)
    watcher.apply("p.outages", None, 16.0)  # a tombstone
    assert watcher.first_outage == {"a": 10.0}
    assert watcher.outage_start == {"a": T0.timestamp()}
    assert watcher.first_alert == {"a": 14.0}
    assert watcher.undecodable == 1


def test_down_switch_fails_only_the_chosen_sites() -> None:
    switch = DownSwitch()
    assert switch.status_of(3) == 200
    assert switch.take_down([3, 5], now=42.0) == 42.0
    assert (switch.status_of(3), switch.status_of(4), switch.status_of(5)) == (503, 200, 503)
    assert switch.requests == 4


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_target_server_subprocess_spreads_sites_and_switches_them_down() -> None:
    server = TargetServer(port_count=2)
    try:
        assert len(set(server.ports)) == 2
        assert (
            server.url(0).rsplit(":", 1)[1].split("/")[0]
            != server.url(1).rsplit(":", 1)[1].split("/")[0]
        )
        assert _status(server.url(7)) == 200
        at = server.take_down([7])
        assert at > 0
        assert (_status(server.url(7)), _status(server.url(8))) == (503, 200)
        assert server.requests_served() == 3
    finally:
        server.stop()
    assert server.process.returncode is not None


def test_read_usage_reports_peak_memory_and_cpu_then_none_once_gone() -> None:
    usage = read_usage(os.getpid())
    assert usage is not None
    assert usage.peak_rss_mib >= usage.rss_mib > 10
    assert usage.cpu_s > 0
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert read_usage(child.pid) is None


def test_planned_runs_combine_the_lists_and_refuse_bad_values() -> None:
    runs = planned_runs(
        {"BENCH_PIPELINE_SITES": "100, 1000", "BENCH_PIPELINE_STREAM_WORKERS": "1,2"}
    )
    assert len(runs) == 4
    assert {(r["sites"], r["stream-workers"]) for r in runs} == {
        ("100", "1"), ("100", "2"), ("1000", "1"), ("1000", "2"),
    }  # fmt: skip
    assert runs[0]["interval"] == "10" and runs[0]["grace"] == "60"
    with pytest.raises(
        SystemExit, match="BENCH_PIPELINE_SITES: expected positive numbers, got 'x'"
    ):
        planned_runs({"BENCH_PIPELINE_SITES": "x"})


def test_markdown_table_has_a_column_per_run_and_a_row_per_process() -> None:
    run = {
        "sites": 1000, "regions": 3, "interval_s": 10.0, "grace_s": 60.0, "probe_workers": 3,
        "stream_workers": 1, "offered_checks_per_s": 300.0,
        "rates_per_s": {"published": 299.5, "stream": 120.0, "sink": 298.0},
        "lag": {"stream_max": 9000, "stream_end": 8000, "sink_max": 400, "sink_end": 3},
        "latency_outage": {"sites_down": 20, "sites_seen": 20, "p50_s": 75.2, "p95_s": 80.0},
        "latency_alert": {"sites_down": 20, "sites_seen": 19, "p50_s": 75.9, "p95_s": None},
        "outages_opened_for_other_sites": 0,
        "store": {"probe_results_rows": 30000, "published_total": 30000},
        "processes": {
            "stream worker": {"peak_rss_mib": 80.4, "cpu_pct": 12.0, "cpu_ms_per_result": 1.04},
        },
    }  # fmt: skip
    table = markdown_table([run, run]).splitlines()
    assert table[0] == "| | run 1 | run 2 |"
    assert "| sites × regions | 1,000 × 3 | 1,000 × 3 |" in table
    assert "| down → `alerts` p50 / p95 (s) | 75.9 / – | 75.9 / – |" in table
    assert "| rows stored / published | 30,000 / 30,000 | 30,000 / 30,000 |" in table
    cells = "80 MiB, 12 %, 1.0"
    assert table[-1] == f"| stream worker: peak RSS, CPU share, CPU ms/result | {cells} | {cells} |"
