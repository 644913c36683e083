"""The stream worker through the real broker: a `slawatch stream` subprocess per test."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sla.calendar import months_touching
from sla.model import MaintenanceEvent
from sla.segmentation import ClosedOutage, contract_events
from tests.stream.fixtures import (
    REPO,
    Worker,
    minute_floor,
    produce,
    read_topic,
    result,
    results_messages,
)

pytestmark = pytest.mark.timeout(240)


def _latest(messages: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
    """The highest version of each id (what a compacted topic / a store keeps)."""
    latest: dict[str, dict[str, Any]] = {}
    for m in messages:
        if m[key] not in latest or m["version"] >= latest[m[key]]["version"]:
            latest[m[key]] = m
    return latest


def _ledger(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for m in messages:
        key = f"{m['site']}|{m['month']}"
        if key not in latest or m["version"] > latest[key]["version"]:
            latest[key] = m
    return latest


def _report(tmp_path: Path, events: list[str], month: str) -> dict[str, Any]:
    """``slawatch sla report`` on the events, as JSON."""
    contract = tmp_path / "contract.yaml"
    contract.write_text("")
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("\n".join(events) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "slawatch", "sla", "report", "--contract", str(contract),
         "--events", str(events_file), "--month", month, "--format", "json"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def test_results_in_outages_segments_ledger_out_and_late_maintenance_re_emits(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    base = minute_floor()
    p = topic_prefix
    worker = Worker(kafka_bootstrap, p, tmp_path / "w", "--idle-flush", "600").start()
    try:
        worker.wait_ready()
        good = [
            result(base, 0, outcome="up"),
            result(base, 30),
            result(base, 60),
            result(base, 90, outcome="up"),
            result(base, 200, outcome="up"),
            result(base, 300, outcome="up"),
            result(base, 10),  # older than the watermark (300 s − 60 s): late
            result(base, 3600 + 120 + 1800),  # far in the future: dead letter
        ]
        v7 = result(base, 5).model_dump_json().replace('"schema_version":1', '"schema_version":7')
        bad = [
            (b"s1", b"{not json"),
            (b"s1", v7.encode()),
            (b"s1", b'{"schema_version":1,"site":"s1"}'),
        ]
        await produce(kafka_bootstrap, f"{p}probe-results", results_messages(good) + bad)

        outages = await read_topic(
            kafka_bootstrap, f"{p}outages", lambda ms: any(m["state"] == "closed" for m in ms)
        )
        assert [(m["state"], m["start"], m["end"]) for m in outages] == [
            ("opened", _iso(base, 30), None),
            ("closed", _iso(base, 30), _iso(base, 90)),
        ]
        segments = await read_topic(kafka_bootstrap, f"{p}segments", lambda ms: len(ms) >= 1)
        assert [(s["label"], s["start"], s["end"], s["version"]) for s in segments] == [
            ("downtime", _iso(base, 30), _iso(base, 90), 1)
        ]
        dead = await read_topic(kafka_bootstrap, f"{p}dead-letter", lambda ms: len(ms) >= 4)
        reasons = sorted(d["reason"] for d in dead)
        assert any(r.startswith("not valid JSON") for r in reasons), reasons
        assert any("unknown CheckResult schema_version 7" in r for r in reasons), reasons
        assert any(r.startswith("invalid CheckResult: client: Field required") for r in reasons)
        assert any(r.startswith("clock skew") for r in reasons), reasons
        late = await read_topic(kafka_bootstrap, f"{p}late-results", lambda ms: len(ms) >= 1)
        assert [m["result"]["started_at"] for m in late] == [_iso(base, 10)]
        status = await read_topic(kafka_bootstrap, f"{p}site-status", lambda ms: len(ms) >= 3)
        assert [(s["state"], s["since"]) for s in status] == [
            ("up", _iso(base, 0)), ("down", _iso(base, 30)), ("up", _iso(base, 90)),
        ]  # fmt: skip

        # A maintenance window recorded after the fact re-classifies part of the outage.
        window = MaintenanceEvent(
            id="mw-1", sites=["s1"], start=base + timedelta(seconds=60),
            end=base + timedelta(seconds=120), announced_at=base - timedelta(days=10),
        )  # fmt: skip
        await produce(
            kafka_bootstrap, f"{p}maintenance", [(b"mw-1", window.model_dump_json().encode())]
        )
        segments = await read_topic(kafka_bootstrap, f"{p}segments", lambda ms: len(ms) >= 3)
        current = {k: v for k, v in _latest(segments).items() if not v["deleted"]}
        assert sorted(
            (s["label"], s["start"], s["end"], s["version"]) for s in current.values()
        ) == [
            ("downtime", _iso(base, 30), _iso(base, 60), 2),
            ("maintenance", _iso(base, 60), _iso(base, 90), 2),
        ]

        month = months_touching(base, base, "Europe/Brussels")[0]
        ledger_msgs = await read_topic(
            kafka_bootstrap, f"{p}ledger",
            lambda ms: any(m["maintenance_minutes"] == 1.0 for m in ms),
        )  # fmt: skip
        row = _ledger(ledger_msgs)[f"s1|{month}"]
        assert row["downtime_minutes"] == 0.5 and row["maintenance_minutes"] == 1.0

        # `slawatch sla report` on the events the stream produced gives the same numbers.
        closed = [
            ClosedOutage(m["id"], m["site"], _dt(m["start"]), _dt(m["end"]), m["classification"])
            for m in _latest(outages).values()
        ]
        events = [e.model_dump_json() for o in closed for e in contract_events(o)]
        events.append(window.model_dump_json())
        report = _report(tmp_path, events, month)
        (site,) = report["sites"]
        for field in ("total_minutes", "maintenance_minutes", "downtime_minutes",
                      "excluded_minutes", "availability_pct", "met"):  # fmt: skip
            assert site[field] == row[field], field
    finally:
        worker.stop()


def _iso(base: Any, seconds: float) -> str:
    return (base + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _dt(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def _reference_ledger(results: list[Any], month: str) -> dict[str, dict[str, Any]]:
    """The ledger an uninterrupted run computes: the same processor, without Faust or Kafka."""
    from datetime import UTC, datetime

    from sla.confirmation import ConfirmationConfig
    from sla.contract import Contract
    from stream.processor import Calendar, Outputs, SiteProcessor, new_record

    processor = SiteProcessor(Contract(), lambda site: ConfirmationConfig())
    records: dict[str, Any] = {}
    out = Outputs()
    for offset, r in enumerate(results):
        record = records.setdefault(r.site, new_record(r.site))
        processor.process(record, [(r, "0", offset)], datetime.now(UTC), Calendar(), out)
    return _ledger([json.loads(v) for _, v in out.ledger])


@pytest.mark.faults  # listed in tests/faults/__init__.py
async def test_sigkill_and_restart_give_the_same_ledger(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    base = minute_floor()
    month = months_touching(base, base, "Europe/Brussels")[0]
    p = topic_prefix

    def site_results(site: str, downs: list[float], ups: list[float]) -> list[Any]:
        checks = [result(base, t, site=site) for t in downs]
        checks += [result(base, t, outcome="up", site=site) for t in ups]
        return sorted(checks, key=lambda c: c.started_at)

    first = site_results("s1", [30, 60], [0, 90, 400]) + site_results(
        "s2", [60, 90, 120], [150, 400]
    )
    second = site_results("s1", [600, 630, 660], [700, 900])
    second += site_results("s2", [630, 700, 730], [660, 760, 900])
    worker = Worker(kafka_bootstrap, p, tmp_path / "w", "--idle-flush", "600", "--tick", "0.5")
    worker.start()
    try:
        worker.wait_ready()
        await produce(kafka_bootstrap, f"{p}probe-results", results_messages(first))
        await read_topic(
            kafka_bootstrap, f"{p}outages",
            lambda ms: sum(m["state"] == "closed" for m in ms) >= 2,
        )  # fmt: skip
        worker.kill()  # SIGKILL right after the outputs appeared: nothing flushed on purpose

        # The second batch waits in the topic while the worker restarts, as a backlog does in
        # production (Faust's own recovery could skip or repeat such records).
        await produce(kafka_bootstrap, f"{p}probe-results", results_messages(second))
        worker.start()
        worker.wait_ready()
        expected = _reference_ledger(first + second, month)
        figures = ("downtime_minutes", "maintenance_minutes", "excluded_minutes",
                   "availability_pct", "budget_left_minutes", "met")  # fmt: skip

        def converged(messages: list[dict[str, Any]]) -> bool:
            latest = _ledger(messages)
            return all(
                key in latest and all(latest[key][f] == row[f] for f in figures)
                for key, row in expected.items()
            )

        ledger = _ledger(await read_topic(kafka_bootstrap, f"{p}ledger", converged))
        assert expected[f"s1|{month}"]["downtime_minutes"] == pytest.approx(160 / 60)
        assert expected[f"s2|{month}"]["downtime_minutes"] == pytest.approx(150 / 60)
        for key, row in expected.items():
            assert {f: ledger[key][f] for f in figures} == {f: row[f] for f in figures}
        outages = await read_topic(
            kafka_bootstrap, f"{p}outages",
            lambda ms: sum(m["state"] == "closed" for m in _latest(ms).values()) >= 4,
        )  # fmt: skip
        closed = sorted((m["site"], m["start"], m["end"]) for m in _latest(outages).values())
        assert closed == [
            ("s1", _iso(base, 30), _iso(base, 90)),
            ("s1", _iso(base, 600), _iso(base, 700)),
            ("s2", _iso(base, 60), _iso(base, 150)),
            ("s2", _iso(base, 700), _iso(base, 760)),
        ]
    finally:
        worker.stop()


async def test_two_workers_share_the_partitions_and_give_the_same_ledger(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    base = minute_floor()
    month = months_touching(base, base, "Europe/Brussels")[0]
    p = topic_prefix
    checks: list[Any] = []
    for n in range(6):  # six sites spread over the six partitions (keyed by site)
        site = f"site-{n}"
        downs = [30 * n + 60, 30 * n + 90]
        checks += [result(base, t, site=site) for t in downs]
        checks += [result(base, t, outcome="up", site=site) for t in (0, 30 * n + 120, 600)]
    checks.sort(key=lambda c: (c.site, c.started_at))
    workers = [
        Worker(kafka_bootstrap, p, tmp_path / f"w{i}", "--idle-flush", "600") for i in (1, 2)
    ]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_ready()
        await produce(kafka_bootstrap, f"{p}probe-results", results_messages(checks))
        expected = _reference_ledger(checks, month)
        assert len(expected) == 6

        def converged(messages: list[dict[str, Any]]) -> bool:
            latest = _ledger(messages)
            return all(
                key in latest and latest[key]["downtime_minutes"] == row["downtime_minutes"]
                for key, row in expected.items()
            )

        ledger = _ledger(await read_topic(kafka_bootstrap, f"{p}ledger", converged, 90))
        for key, row in expected.items():
            assert ledger[key]["downtime_minutes"] == row["downtime_minutes"] == 1.0
        # Each worker logs its counters on its next tick (every second): give them a few.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            logs = [w.log.read_text(errors="replace") for w in workers]
            if all("processed results=" in text for text in logs):
                break
            await asyncio.sleep(0.5)
        assert all("processed results=" in text for text in logs), "both workers took a share"
    finally:
        for worker in workers:
            worker.stop()
