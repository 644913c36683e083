"""Kafka messages → ClickHouse rows: one decoder per topic, columns named after the models.

A decoder validates the message with its sla.model schema and returns the row as a dict
keyed by column name. Anything that does not validate raises :class:`MalformedMessage`
with a one-line reason; the sink sends such messages to the dead-letter topic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from sla.calendar import BusinessCalendar
from sla.contract import Contract
from sla.maintenance import classify, notice_business_days, overlaps_business_hours
from sla.model import (
    Alert,
    CheckResult,
    ExclusionEvent,
    LedgerRow,
    MaintenanceEvent,
    Outage,
    Segment,
    SiteStatus,
)
from slawatch import topics


class MalformedMessage(ValueError):
    """A message that cannot become a row; the text says why (field and problem)."""


@dataclass(frozen=True)
class Received:
    """What the decoders need from a Kafka record besides its value."""

    topic: str
    timestamp_ms: int


Row = dict[str, Any]
Decoder = Callable[[bytes | None, Received], Row]


def parse_message(model: type[BaseModel], value: bytes | None) -> Any:
    """``value`` as ``model``; a tombstone or an invalid value is :class:`MalformedMessage`."""
    if value is None:
        raise MalformedMessage("empty message (tombstone): nothing to store")
    try:
        return model.model_validate_json(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise MalformedMessage(f"{model.__name__}: {where}: {first['msg']}{more}") from exc


def probe_result_row(value: bytes | None, received: Received) -> Row:
    """A CheckResult as a probe_results row (timings flattened: timings.dns_ms → dns_ms)."""
    result: CheckResult = parse_message(CheckResult, value)
    row = result.model_dump(exclude={"timings"})
    row["outcome"] = result.outcome.value
    row.update(result.timings.model_dump())
    return row


def outage_row(value: bytes | None, received: Received) -> Row:
    """An Outage as an outages row."""
    outage: Outage = parse_message(Outage, value)
    row = outage.model_dump()
    row["state"] = outage.state.value
    return row


def segment_row(value: bytes | None, received: Received) -> Row:
    """A Segment as a segments row (deleted stored as 0/1)."""
    segment: Segment = parse_message(Segment, value)
    row = segment.model_dump()
    row["deleted"] = int(segment.deleted)
    return row


def ledger_row(value: bytes | None, received: Received) -> Row:
    """A LedgerRow as a ledger row."""
    return dict(parse_message(LedgerRow, value).model_dump())


def site_status_row(value: bytes | None, received: Received) -> Row:
    """A SiteStatus as a site_status row."""
    status: SiteStatus = parse_message(SiteStatus, value)
    row = status.model_dump()
    row["state"] = status.state.value
    return row


class MaintenanceRows:
    """MaintenanceEvent → maintenance row, with the contract's view of the window.

    The notice in business days, the kind and whether it overlaps business hours come from
    :mod:`sla.maintenance` (the one implementation of those rules); the weekly limit, which
    depends on the other windows, is computed by the ``maintenance_assessed`` view.
    version = the record's timestamp (ms): the latest announcement of an id wins.
    """

    def __init__(self, contract: Contract) -> None:
        self.required_notice = contract.notice_business_days
        self.calendar = BusinessCalendar.from_contract(contract)

    def __call__(self, value: bytes | None, received: Received) -> Row:
        """The row of one maintenance message."""
        event: MaintenanceEvent = parse_message(MaintenanceEvent, value)
        notice = notice_business_days(self.calendar, event)
        row = event.model_dump(exclude={"type", "sites"})
        row["all_sites"] = event.sites == "*"
        row["sites"] = [] if event.sites == "*" else list(event.sites)
        row["version"] = received.timestamp_ms
        row["notice_business_days"] = notice
        row["kind"] = classify(notice, self.required_notice, event.regular).value
        row["in_business_hours"] = overlaps_business_hours(self.calendar, event)
        row["start_local_date"] = self.calendar.local_date(event.start)
        return row


def exclusion_id(event: ExclusionEvent) -> str:
    """The exclusion's id, or a deterministic one from site, reason, start and end."""
    if event.id:
        return event.id
    key = f"{event.site}|{event.reason}|{event.start.isoformat()}|{event.end.isoformat()}"
    return "x-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def exclusion_row(value: bytes | None, received: Received) -> Row:
    """An ExclusionEvent as an exclusions row; version = the record's timestamp (ms)."""
    event: ExclusionEvent = parse_message(ExclusionEvent, value)
    row = event.model_dump(exclude={"type"})
    row["id"] = exclusion_id(event)
    row["version"] = received.timestamp_ms
    return row


def alert_row(value: bytes | None, received: Received) -> Row:
    """An Alert as an alerts row (details kept as a JSON string)."""
    alert: Alert = parse_message(Alert, value)
    row = alert.model_dump()
    row["severity"] = alert.severity.value
    row["state"] = alert.state.value
    row["details"] = json.dumps(alert.details, sort_keys=True)
    return row


@dataclass(frozen=True)
class TableSpec:
    """Where one topic's messages go."""

    topic: str
    table: str
    decode: Decoder


def table_specs(contract: Contract) -> tuple[TableSpec, ...]:
    """Every topic the sink consumes and the table it fills (topic names without prefix).

    Support requests and snapshots are decoded by the alerting area's
    :mod:`slawatch.alerting.rows` (their tables are its migration 0050_support.sql).
    """
    from slawatch.alerting.rows import snapshot_row, support_row  # imports this module

    return (
        TableSpec(topics.PROBE_RESULTS, "probe_results", probe_result_row),
        TableSpec(topics.OUTAGES, "outages", outage_row),
        TableSpec(topics.SEGMENTS, "segments", segment_row),
        TableSpec(topics.LEDGER, "ledger", ledger_row),
        TableSpec(topics.SITE_STATUS, "site_status", site_status_row),
        TableSpec(topics.MAINTENANCE, "maintenance", MaintenanceRows(contract)),
        TableSpec(topics.EXCLUSIONS, "exclusions", exclusion_row),
        TableSpec(topics.ALERTS, "alerts", alert_row),
        TableSpec(topics.SUPPORT, "support_events", support_row),
        TableSpec(topics.SNAPSHOTS, "snapshots", snapshot_row),
    )


def utc_from_ms(timestamp_ms: int) -> datetime:
    """A Kafka record timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
