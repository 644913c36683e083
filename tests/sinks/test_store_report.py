"""The store gives the same answers as the offline report on the same events:
``slawatch sla report`` without ``--events``, the ``sla_monthly`` and ``sla_availability``
views, and the ``maintenance_assessed`` view."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sinks.batching import Record
from sinks.clickhouse import ClickHouseSink
from sinks.rows import Received, table_specs
from sinks.store_events import read_events
from sla.contract import Contract
from sla.events import parse_events
from sla.model import ExclusionEvent, MaintenanceEvent, Outage, OutageEvent, OutageState, Segment
from sla.render import report_dict
from sla.report import build_report
from sla.segmentation import ClosedOutage, reconcile, segment
from slawatch.cli import main

TESTDATA = Path(__file__).parent / "testdata"
EVENTS = TESTDATA / "events-2026-03.jsonl"
SPECS = {spec.topic: spec for spec in table_specs(Contract())}
REPO = Path(__file__).resolve().parents[2]


def events() -> list[Any]:
    return parse_events(EVENTS.read_text().splitlines())


def outage_message(event: OutageEvent) -> Outage:
    return Outage(
        id=f"{event.site}|{event.start.isoformat()}",
        site=event.site,
        state=OutageState.CLOSED,
        start=event.start,
        end=event.end,
        version=1,
    )


def segments_as_the_stream_emits(evts: list[Any]) -> list[Segment]:
    """Segments as the stream emits them: first with the maintenance windows as first
    announced, then re-classified with their last versions (changes and tombstones)."""
    first: dict[str, MaintenanceEvent] = {}
    last: dict[str, MaintenanceEvent] = {}
    for e in evts:
        if isinstance(e, MaintenanceEvent):
            first.setdefault(e.id, e)
            last[e.id] = e
    exclusions = [e for e in evts if isinstance(e, ExclusionEvent)]
    emitted: list[Segment] = []
    for e in evts:
        if isinstance(e, OutageEvent):
            closed = ClosedOutage(f"{e.site}|{e.start.isoformat()}", e.site, e.start, e.end)
            before, out = reconcile(closed, {}, segment(closed, list(first.values()), exclusions))
            emitted += out
            _, out = reconcile(closed, before, segment(closed, list(last.values()), exclusions))
            emitted += out
    return emitted


def store_events(store: Any, evts: list[Any], with_segments: bool = False) -> None:
    """Write the events as the topics carry them, through the sink's decoders."""
    records = []
    for offset, event in enumerate(evts):
        if isinstance(event, OutageEvent):
            topic, message = "outages", outage_message(event)
        else:
            topic, message = event.type if event.type == "maintenance" else "exclusions", event
        spec = SPECS[topic]
        row = spec.decode(message.model_dump_json().encode(), Received(topic, 1000 + offset))
        records.append(Record(topic, 0, offset, spec.table, row))
    if with_segments:
        for offset, seg in enumerate(segments_as_the_stream_emits(evts), start=len(records)):
            row = SPECS["segments"].decode(seg.model_dump_json().encode(), Received("s", 0))
            records.append(Record("segments", 0, offset, "segments", row))
    sink = ClickHouseSink(store, max_rows=1000, max_seconds=1)
    sink.extend(records, now=0)
    sink.flush()


def test_report_from_store_equals_offline_report(store: Any) -> None:
    evts = events()
    store_events(store, evts)
    from_store = read_events(store, datetime(2026, 4, 1, tzinfo=UTC))
    for site in (None, "site-d"):
        offline = report_dict(build_report(Contract(), evts, "2026-03", site=site))
        stored = report_dict(build_report(Contract(), from_store, "2026-03", site=site))
        assert stored == offline
    assert len(offline["maintenance"]) > 0 and offline["sites"][0]["site"] == "site-d"


def test_cli_report_store_mode_prints_the_offline_json(
    store: Any, clickhouse_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_events(store, events())
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        yaml.safe_dump({"clickhouse": {"dsn": clickhouse_dsn, "database": store.database}})
    )
    contract = tmp_path / "contract.yaml"
    contract.write_text("")
    common = ["sla", "report", "--contract", str(contract), "--month", "2026-03"]
    assert main([*common, "--format", "json", "--events", str(EVENTS)]) == 0
    offline = capsys.readouterr().out
    assert main([*common, "--format", "json", "--config", str(config)]) == 0
    assert capsys.readouterr().out == offline
    assert main([*common, "--config", str(config)]) == 0  # text: same table
    from_store_text = capsys.readouterr().out
    assert main([*common, "--events", str(EVENTS)]) == 0
    assert capsys.readouterr().out == from_store_text


def test_store_mode_without_tables_says_what_to_do(
    clickhouse: Any, clickhouse_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = tmp_path / "contract.yaml"
    contract.write_text("")
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        yaml.safe_dump({"clickhouse": {"dsn": clickhouse_dsn, "database": clickhouse.database}})
    )
    status = main(
        [
            "sla",
            "report",
            "--contract",
            str(contract),
            "--month",
            "2026-03",
            "--config",
            str(config),
        ]
    )
    assert status == 1
    assert capsys.readouterr().err == (
        f"slawatch: the store {clickhouse_dsn} has no exclusions, maintenance, outages table "
        f"in database '{clickhouse.database}': run `slawatch sink` (it applies the migrations) "
        "or give --events FILE\n"
    )


def test_store_held_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "held"
    # the holder does what `slawatch sink` does: hold the path, then open the engine
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time; from pathlib import Path; from slawatch import store;"
            " from sinks.embedded_lock import hold; hold(Path(os.environ['HELD_PATH']));"
            " store.connect('chdb://' + os.environ['HELD_PATH']).command('SELECT 1');"
            " print('ready', flush=True); time.sleep(60)",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HELD_PATH": str(path)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        (tmp_path / "contract.yaml").write_text("")
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "slawatch",
                "sla",
                "report",
                "--contract",
                str(tmp_path / "contract.yaml"),
                "--month",
                "2026-03",
                "--dsn",
                f"chdb://{path}",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.kill()
        holder.wait(10)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        f"slawatch: the embedded ClickHouse at {path} is held by process {holder.pid} (a running "
        "slawatch sink or slawatch run): chDB lets one process open a path; stop that process, "
        "read through its HTTP API, or use a ClickHouse server"
    )


def test_sla_views_equal_the_report(store: Any) -> None:
    evts = events()
    store_events(store, evts, with_segments=True)
    offline = report_dict(build_report(Contract(), evts, "2026-03"))
    columns = (
        "total_minutes",
        "maintenance_minutes",
        "downtime_minutes",
        "excluded_minutes",
        "availability_pct",
        "met",
    )
    monthly = store.query(
        f"SELECT site, {', '.join(columns)} FROM sla_monthly WHERE month = '2026-03' ORDER BY site"
    ).result_rows
    ranged = store.query(
        f"SELECT site, {', '.join(columns)} FROM sla_availability("
        "range_start = '2026-02-28 23:00:00', range_end = '2026-03-31 22:00:00') ORDER BY site"
    ).result_rows
    month = store.query(
        f"SELECT site, {', '.join(columns)} FROM sla_month(month = '2026-03') ORDER BY site"
    ).result_rows
    expected = [(s["site"], *(s[c] for c in columns)) for s in offline["sites"]]
    for rows in (monthly, ranged, month):
        assert [r[0] for r in rows] == [e[0] for e in expected]
        for got, want in zip(rows, expected, strict=True):
            assert got[1:5] == pytest.approx(want[1:5], abs=1e-9)
            assert got[5] == pytest.approx(want[5], rel=1e-12)
            assert bool(got[6]) == want[6]
    deleted = store.query("SELECT countIf(deleted = 1) FROM segments FINAL").result_rows[0][0]
    assert deleted > 0  # tombstones were stored and left out


def test_maintenance_assessed_view_equals_the_report(store: Any) -> None:
    evts = events()
    store_events(store, evts)
    offline = report_dict(build_report(Contract(), evts, "2026-03"))["maintenance"]
    rows = store.query(
        "SELECT id, kind, notice_business_days, compliant, violations"
        " FROM maintenance_assessed ORDER BY start, id"
    ).result_rows
    assert [
        {
            "id": r[0],
            "kind": r[1],
            "notice_business_days": r[2],
            "compliant": bool(r[3]),
            "violations": list(r[4]),
        }
        for r in rows
    ] == offline
    assert json.dumps(offline).count("weekly_limit") == 1


def test_open_and_systemic_outages_read_back(store: Any) -> None:
    start = datetime(2026, 3, 5, 10, tzinfo=UTC)
    systemic = Outage(
        id="a|1",
        site="site-a",
        state=OutageState.CLOSED,
        start=start,
        end=start.replace(hour=11),
        classification="internet_systemic",
        version=2,
    )
    still_open = Outage(id="b|1", site="site-b", state=OutageState.OPENED, start=start, version=1)
    future = Outage(
        id="c|1", site="site-c", state=OutageState.OPENED, start=start.replace(day=9), version=1
    )
    spec = SPECS["outages"]
    sink = ClickHouseSink(store, max_rows=10, max_seconds=1)
    sink.extend(
        [
            Record(
                "outages",
                0,
                i,
                "outages",
                spec.decode(o.model_dump_json().encode(), Received("outages", 0)),
            )
            for i, o in enumerate([systemic, still_open, future])
        ],
        now=0,
    )
    sink.flush()
    now = datetime(2026, 3, 6, tzinfo=UTC)
    assert read_events(store, now) == [
        OutageEvent(site="site-a", start=start, end=start.replace(hour=11)),
        ExclusionEvent(
            site="site-a", reason="internet_systemic", start=start, end=start.replace(hour=11)
        ),
        OutageEvent(site="site-b", start=start, end=now),
    ]
    assert read_events(store, now, site="site-b") == [
        OutageEvent(site="site-b", start=start, end=now)
    ]


def test_python_queries_match_the_views(store: Any) -> None:
    from sinks.queries import availability_between, monthly_statement

    store_events(store, events(), with_segments=True)
    month = monthly_statement(store, "2026-03")
    assert [r["site"] for r in month] == ["site-a", "site-b", "site-c", "site-d"]
    one = monthly_statement(store, "2026-03", site="site-b")
    assert one == [month[1]] and one[0]["month_start"].tzinfo is UTC
    start = datetime(2026, 2, 28, 23, tzinfo=UTC)
    ranged = availability_between(store, start, datetime(2026, 3, 31, 22, tzinfo=UTC), "site-b")
    assert ranged[0]["availability_pct"] == pytest.approx(one[0]["availability_pct"])
    with pytest.raises(ValueError, match="after start"):
        availability_between(store, start, start)
