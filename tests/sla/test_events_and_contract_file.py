"""Parsing the events (JSON Lines) and the contract (YAML): values, line numbers, fields."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from sla.contract import Contract
from sla.contract_file import parse_contract
from sla.errors import InvalidInputError
from sla.events import parse_event, parse_events
from sla.model import ExclusionEvent, MaintenanceEvent, OutageEvent
from tests.sla.fixtures import utc


def test_each_type_parses_with_timestamps_in_utc() -> None:
    lines = [
        '{"type":"outage","site":"acme","start":"2026-01-20T11:00:00+01:00","end":"2026-01-20T10:30Z"}',
        "",
        "   ",
        '{"type":"maintenance","id":"m","sites":"*","start":"2026-01-10T02:00:00Z",'
        '"end":"2026-01-10T04:00:00-05:00","announced_at":"2026-01-01T00:00:00Z","regular":true}',
        '{"type":"exclusion","site":"*","start":"2026-01-20T10:00:00Z","end":"2026-01-20T10:10:00Z",'
        '"reason":"force_majeure"}',
    ]
    outage, window, exclusion = parse_events(lines)
    assert isinstance(outage, OutageEvent)
    assert (outage.start, outage.end) == (utc("2026-01-20T10:00"), utc("2026-01-20T10:30"))
    assert isinstance(window, MaintenanceEvent)
    assert window.end == utc("2026-01-10T09:00") and window.regular and not window.cancelled
    assert isinstance(exclusion, ExclusionEvent) and exclusion.covers("anything")


def test_line_numbers_count_blank_lines() -> None:
    good = '{"type":"outage","site":"a","start":"2026-01-20T10:00Z","end":"2026-01-20T10:30Z"}'
    with pytest.raises(InvalidInputError) as caught:
        parse_events([good, "", "nope"])
    assert caught.value.line == 3 and caught.value.field is None
    assert caught.value.located("f.jsonl").startswith("f.jsonl:3: not valid JSON")


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ('{"type": 3}', "type", "unknown type 3 (expected outage, maintenance, exclusion)"),
        (
            '{"type": ["outage"]}',
            "type",
            "unknown type ['outage'] (expected outage, maintenance, exclusion)",
        ),
        (
            '{"type":"maintenance","id":"m","sites":["a","*"],"start":"2026-01-10T02:00:00Z",'
            '"end":"2026-01-10T04:00:00Z","announced_at":"2026-01-01T00:00:00Z"}',
            "sites",
            'write "sites": "*" (not a list) for every site',
        ),
        (
            '{"type":"maintenance","id":"m","sites":["a", 3],"start":"2026-01-10T02:00:00Z",'
            '"end":"2026-01-10T04:00:00Z","announced_at":"2026-01-01T00:00:00Z"}',
            "sites",
            'expected a list of site ids or "*"',
        ),
        (
            '{"type":"outage","site":"","start":"2026-01-10T02:00:00Z","end":"2026-01-10T04:00:00Z"}',
            "site",
            "String should have at least 1 character",
        ),
        (
            '{"type":"outage","site":"a","start":"2026-01-10","end":"2026-01-10T04:00:00Z"}',
            "start",
            "expected an ISO 8601 timestamp with an offset, got '2026-01-10'",
        ),
    ],
)
def test_event_errors(line: str, field: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_event(line, 7)
    assert (caught.value.line, caught.value.field, caught.value.message) == (7, field, message)


def test_empty_interval_is_allowed() -> None:
    got = parse_event(
        '{"type":"outage","site":"a","start":"2026-01-10T02:00Z","end":"2026-01-10T02:00Z"}'
    )
    assert got.start == got.end


def test_contract_file_values() -> None:
    contract = parse_contract(
        "timezone: Europe/Brussels\n"
        "target_pct: 99.95\n"
        'business_hours: {start: "08:00", end: "18:00", timezone: America/New_York}\n'
        "holidays: FR\n"
        "notice_business_days: 3\n"
    )
    assert contract.target_pct == Decimal("99.95")  # exact, not the float 99.95
    assert contract.business_hours.start == time(8) and contract.business_hours.end == time(18)
    assert (contract.holidays, contract.notice_business_days) == ("FR", 3)


def test_unquoted_yaml_times_mean_what_they_say() -> None:
    # PyYAML reads 17:30 as 1050 (base 60); the contract reads it back as 17:30, not 00:17:30.
    contract = parse_contract("business_hours: {start: 08:15, end: 17:30}\n")
    assert (contract.business_hours.start, contract.business_hours.end) == (
        time(8, 15),
        time(17, 30),
    )
    with pytest.raises(InvalidInputError) as caught:
        parse_contract("business_hours:\n  start: 9.5\n")
    assert (caught.value.line, caught.value.field) == (2, "business_hours.start")


def test_empty_contract_file_is_the_default_contract() -> None:
    assert parse_contract("") == Contract()
    assert parse_contract("# nothing\n") == Contract()


def test_contract_error_points_at_the_nested_key_line() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_contract(
            'target_pct: 99.9\nbusiness_hours:\n  start: "09:00"\n  timezone: Mars/Olympus\n'
        )
    assert (caught.value.line, caught.value.field) == (4, "business_hours.timezone")
    assert caught.value.message == "unknown time zone 'Mars/Olympus'"
