"""Poison messages: the six ways a record can be unusable, built from a valid message.

Every consumer must send each of them to its dead-letter topic with a reason and go on
with the good message that follows.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import BaseModel

from sla.model import (
    Alert,
    AlertSeverity,
    AlertState,
    CheckResult,
    ExclusionEvent,
    LedgerRow,
    MaintenanceEvent,
    Outage,
    OutageState,
    Segment,
    SiteState,
    SiteStatus,
    SnapshotEvent,
    SupportEvent,
)
from slawatch import topics

HUGE_BYTES = 900_000  # under Kafka's 1 MB message limit; a JSON-escaped quote would not be


def poisons(good: BaseModel) -> dict[str, bytes | None]:
    """The six poison variants of ``good``'s topic, by name."""
    raw = good.model_dump_json().encode()
    data = json.loads(raw)
    first_required = next(k for k, f in type(good).model_fields.items() if f.is_required())
    return {
        "truncated": raw[: len(raw) // 2],
        "wrong types": json.dumps({**data, first_required: ["not", "a", "scalar"]}).encode(),
        "huge": b"\x00" * HUGE_BYTES,  # binary junk: every byte escapes to 6 in JSON
        "schema_version": json.dumps({**data, "schema_version": 99}).encode(),
        "non-UTF-8": b"\xff\xfe" + raw,
        "null": None,
    }


NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
MONTH = NOW.strftime("%Y-%m")


def good_messages(site: str = "good-site") -> dict[str, BaseModel]:
    """One valid message per topic (base name → model instance), all about ``site``."""
    return {
        topics.PROBE_RESULTS: CheckResult(
            site=site, client="acme", region="eu", worker="eu-1",
            scheduled_at=NOW, started_at=NOW, outcome="up",  # type: ignore[arg-type]
        ),
        topics.OUTAGES: Outage(
            id=f"{site}|o1", site=site, client="acme", state=OutageState.OPENED,
            start=NOW - timedelta(minutes=5), regions_down=["eu", "us"], version=1,
        ),
        topics.SEGMENTS: Segment(
            id=f"{site}|seg1", site=site, outage_id=f"{site}|o1", label="downtime",
            start=NOW - timedelta(minutes=5), end=NOW, version=1,
        ),
        topics.LEDGER: LedgerRow(
            site=site, month=MONTH, total_minutes=43200.0, maintenance_minutes=0.0,
            downtime_minutes=5.0, excluded_minutes=0.0, availability_pct=99.988,
            target_pct=99.9, met=True, budget_left_minutes=38.2, version=1, computed_at=NOW,
        ),
        topics.SITE_STATUS: SiteStatus(site=site, state=SiteState.UP, since=NOW, version=1),
        topics.MAINTENANCE: MaintenanceEvent(
            id=f"{site}-mw1", sites=[site], start=NOW + timedelta(days=10),
            end=NOW + timedelta(days=10, hours=1), announced_at=NOW - timedelta(days=1),
        ),
        topics.EXCLUSIONS: ExclusionEvent(
            id=f"{site}-x1", site=site, reason="client_isp",
            start=NOW - timedelta(minutes=5), end=NOW,
        ),
        topics.ALERTS: Alert(
            id=f"site-down|{site}", rule="site-down", severity=AlertSeverity.PAGE,
            state=AlertState.FIRING, summary=f"{site} is down", site=site,
            starts_at=NOW, version=1, emitted_at=NOW,
        ),
        topics.SNAPSHOTS: SnapshotEvent(id="snap-1", system="clickhouse", taken_at=NOW, ok=True),
        topics.SUPPORT: SupportEvent(request_id="r-1", step="acknowledged", at=NOW),
    }  # fmt: skip


async def publish_poison_then_good(
    bootstrap: str, prefix: str, bases: list[str], site: str = "good-site"
) -> dict[str, BaseModel]:
    """On each topic of ``bases``: the six poisons, then the good message; acknowledged."""
    goods = good_messages(site)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2**20)
    await producer.start()
    try:
        for base in bases:
            name = topics.topic(base, prefix)
            for value in poisons(goods[base]).values():
                await producer.send_and_wait(name, value, key=site.encode())
            await producer.send_and_wait(
                name, goods[base].model_dump_json().encode(), key=site.encode()
            )
    finally:
        await producer.stop()
    return goods


async def read_json(
    bootstrap: str,
    topic: str,
    until: Callable[[list[dict[str, Any]]], bool],
    timeout_s: float = 30.0,
) -> list[dict[str, Any]]:
    """Every JSON message on ``topic`` from the start, until ``until(messages)`` holds."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        metadata_max_age_ms=500,
    )
    await consumer.start()
    messages: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    try:
        while not until(messages):
            assert loop.time() < deadline, f"{topic}: not met in {timeout_s} s; got {messages}"
            for records in (await consumer.getmany(timeout_ms=200)).values():
                messages += [json.loads(r.value) for r in records if r.value is not None]
    finally:
        await consumer.stop()
    return messages


def by_source(letters: list[dict[str, Any]], topic: str) -> list[dict[str, Any]]:
    """The dead letters (plain-consumer format) of ``topic``, by offset."""
    return sorted((d for d in letters if d.get("source_topic") == topic), key=lambda d: d["offset"])


EXPECTED_REASON = {
    # poison name → a fragment every component's reason for it contains (case-insensitive)
    "truncated": "json",
    "wrong types": "",  # the field's name, checked by the test
    "huge": "json",
    "schema_version": "schema_version",
    "non-UTF-8": "json",
    "null": "tombstone",
}
