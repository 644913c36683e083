"""The alert engine on the real broker: alerts published once, state kept across a restart."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from sla.contract import Contract
from sla.model import MaintenanceEvent, Outage, OutageState, SnapshotEvent
from slawatch import topics
from slawatch.alerting.engine import AlertEngine
from slawatch.alerting.settings import AlertingSettings

pytestmark = pytest.mark.timeout(90)

T0 = datetime(2026, 4, 21, 12, 0, tzinfo=UTC)  # Tuesday
SETTINGS = AlertingSettings(hold_down_seconds=60, tick_seconds=0.2, snapshot_seconds=0.2)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def publish(bootstrap: str, prefix: str, messages: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for name, value in messages:
            await producer.send_and_wait(topics.topic(name, prefix), value)
    finally:
        await producer.stop()


class AlertReader:
    """Everything on the alerts topic, read continuously."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topics.topic(topics.ALERTS, prefix),
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
        )
        self.seen: list[tuple[str, str]] = []

    async def poll(self) -> None:
        for records in (await self.consumer.getmany(timeout_ms=100)).values():
            for r in records:
                alert = json.loads(r.value)
                self.seen.append((alert["rule"], alert["state"]))


async def run_engine(bootstrap, prefix, clock, reader: AlertReader, until) -> AlertEngine:
    engine = AlertEngine(
        bootstrap,
        Contract(),
        SETTINGS,
        site_clients={"shop": "acme"},
        topic_prefix=prefix,
        clock=clock,
    )
    task = asyncio.create_task(engine.run())

    async def satisfied() -> bool:
        await reader.poll()
        return until() or task.done()

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not await satisfied():
        assert loop.time() < deadline, f"timed out; saw {reader.seen}"
    await asyncio.sleep(1.0)  # a second of ticks: nothing may be re-published
    await reader.poll()
    engine.stop()
    await asyncio.wait_for(task, 15)
    return engine


def outage(state: OutageState, end: datetime | None, version: int) -> bytes:
    value = Outage(
        id="shop|o1",
        site="shop",
        client="acme",
        state=state,
        start=T0 - timedelta(minutes=2),
        end=end,
        regions_down=["eu", "us"],
        version=version,
    )
    return value.model_dump_json().encode()


async def test_engine_alerts_once_and_resumes_from_its_snapshot(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    clock = Clock(T0)
    emergency = MaintenanceEvent(
        id="m-urgent",
        sites=["shop"],
        start=T0 + timedelta(days=1),
        end=T0 + timedelta(days=1, hours=1),
        announced_at=T0 - timedelta(hours=1),
    )
    await publish(
        kafka_bootstrap,
        topic_prefix,
        [
            (topics.OUTAGES, outage(OutageState.OPENED, None, 1)),
            (topics.MAINTENANCE, emergency.model_dump_json().encode()),
            (
                topics.SNAPSHOTS,
                SnapshotEvent(id="s1", taken_at=T0 - timedelta(hours=30), ok=True)
                .model_dump_json()
                .encode(),
            ),
            (topics.OUTAGES, b"{not json"),
        ],
    )
    reader = AlertReader(kafka_bootstrap, topic_prefix)
    await reader.consumer.start()
    try:
        first = await run_engine(
            kafka_bootstrap, topic_prefix, clock, reader, until=lambda: len(reader.seen) >= 4
        )
        # Announced an hour before (emergency), Wednesday 07:00-08:00 EST (not in business
        # hours); the outage pages and burns 2 min of a 43.2-min budget in the last hour;
        # the only snapshot is 30 h old.
        assert sorted(reader.seen) == [
            ("backup-stale", "firing"),
            ("burn-rate-fast", "firing"),
            ("maintenance-emergency", "firing"),
            ("site-down", "firing"),
        ]
        assert first.rejected == 1

        # Restart with nothing new: no alert is published again.
        before = list(reader.seen)
        await run_engine(kafka_bootstrap, topic_prefix, clock, reader, until=lambda: True)
        assert reader.seen == before

        # The outage closes; ten minutes later the page and the burn resolve.
        await publish(
            kafka_bootstrap, topic_prefix, [(topics.OUTAGES, outage(OutageState.CLOSED, T0, 2))]
        )
        clock.now = T0 + timedelta(minutes=10)
        await run_engine(
            kafka_bootstrap,
            topic_prefix,
            clock,
            reader,
            until=lambda: len(reader.seen) >= len(before) + 2,
        )
        assert sorted(reader.seen[len(before) :]) == [
            ("burn-rate-fast", "resolved"),
            ("site-down", "resolved"),
        ]
    finally:
        await reader.consumer.stop()
