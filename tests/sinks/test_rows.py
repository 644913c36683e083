"""Decoders: every topic's message becomes a row named after the model; bad ones say why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sinks.rows import MalformedMessage, Received, exclusion_id, table_specs
from sla.contract import Contract
from sla.model import ExclusionEvent
from tests.sinks.fixtures import check_result

SPECS = {spec.topic: spec for spec in table_specs(Contract())}
TESTDATA = Path(__file__).parent / "testdata"

INVALID = {
    "invalid-naive-timestamp.jsonl": (
        "probe-results",
        "CheckResult: scheduled_at: Value error, timestamp needs an offset (Z or ±hh:mm)",
    ),
    "invalid-outcome.jsonl": (
        "probe-results",
        "CheckResult: outcome: Input should be 'up', 'degraded' or 'down'",
    ),
    "invalid-truncated-json.jsonl": (
        "probe-results",
        "CheckResult: message: Invalid JSON: EOF while parsing an object at line 1 column 38",
    ),
    "invalid-segment-label.jsonl": (
        "segments",
        "Segment: label: Input should be 'downtime', 'maintenance' or 'excluded'",
    ),
    "invalid-ledger-month.jsonl": (
        "ledger",
        r"LedgerRow: month: String should match pattern '^\d{4}-(0[1-9]|1[0-2])$'",
    ),
    "invalid-exclusion-reason.jsonl": (
        "exclusions",
        "ExclusionEvent: reason: Input should be 'client_isp', 'force_majeure', "
        "'internet_systemic', 'client_equipment', 'client_bandwidth', 'client_action', "
        "'third_party' or 'beyond_control'",
    ),
    "invalid-maintenance-end-before-start.jsonl": (
        "maintenance",
        "MaintenanceEvent: message: Value error, end is before start",
    ),
}


def test_every_invalid_file_is_paired_with_its_error() -> None:
    assert sorted(p.name for p in TESTDATA.glob("invalid-*.jsonl")) == sorted(INVALID)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_message_reason(name: str) -> None:
    topic, expected = INVALID[name]
    value = (TESTDATA / name).read_bytes().strip()
    with pytest.raises(MalformedMessage) as caught:
        SPECS[topic].decode(value, Received(topic, 0))
    assert str(caught.value) == expected


def test_tombstone_is_malformed() -> None:
    with pytest.raises(MalformedMessage, match="empty message"):
        SPECS["outages"].decode(None, Received("outages", 0))


def test_probe_result_row_flattens_timings() -> None:
    result = check_result()
    row = SPECS["probe-results"].decode(result.model_dump_json().encode(), Received("x", 0))
    assert row["dns_ms"] == 1.0 and row["total_ms"] == 120.0 and row["tls_ms"] is None
    assert row["outcome"] == "up" and "timings" not in row
    assert row["scheduled_at"] == datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def test_maintenance_for_all_sites_and_version_from_record_time() -> None:
    value = json.dumps(
        {
            "type": "maintenance",
            "id": "m1",
            "sites": "*",
            "announced_at": "2026-01-01T00:00:00+01:00",
            "start": "2026-01-10T12:00:00Z",
            "end": "2026-01-10T13:00:00Z",
        }
    ).encode()
    row = SPECS["maintenance"].decode(value, Received("maintenance", 1_700_000_000_123))
    assert row["all_sites"] is True and row["sites"] == []
    assert row["version"] == 1_700_000_000_123
    assert row["announced_at"] == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


def test_exclusion_without_id_gets_a_deterministic_one() -> None:
    event = ExclusionEvent(
        site="a",
        reason="client_isp",
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 1, 1, 1, tzinfo=UTC),
    )
    assert exclusion_id(event) == exclusion_id(event.model_copy())
    assert exclusion_id(event) != exclusion_id(event.model_copy(update={"site": "b"}))
    assert exclusion_id(event.model_copy(update={"id": "given"})) == "given"


def test_alert_details_stored_as_json() -> None:
    value = json.dumps(
        {
            "id": "burn|a|2026-01-10",
            "rule": "burn_rate",
            "severity": "page",
            "state": "firing",
            "site": "a",
            "summary": "burning",
            "details": {"rate": 14.4, "window": "1h"},
            "starts_at": "2026-01-10T12:00:00Z",
            "version": 1,
            "emitted_at": "2026-01-10T12:00:01Z",
        }
    ).encode()
    row = SPECS["alerts"].decode(value, Received("alerts", 0))
    assert json.loads(row["details"]) == {"rate": 14.4, "window": "1h"}
    assert row["severity"] == "page" and row["state"] == "firing"
