"""Helpers for the sink tests: valid messages to write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla.model import CheckResult, Outcome, Timings

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def check_result(
    site: str = "site-a",
    region: str = "eu",
    at: datetime = T0,
    outcome: Outcome = Outcome.UP,
    total_ms: float | None = 120.0,
    error_kind: str | None = None,
) -> CheckResult:
    """A valid probe result."""
    return CheckResult(
        site=site,
        client="acme",
        region=region,
        worker=f"{region}-1",
        scheduled_at=at,
        started_at=at + timedelta(milliseconds=5),
        outcome=outcome,
        error_kind=error_kind,
        status_code=200 if outcome is Outcome.UP else None,
        timings=Timings(dns_ms=1.0, connect_ms=2.0, total_ms=total_ms),
    )


def results(sites: int, slots: int, regions: tuple[str, ...] = ("eu", "us")) -> list[CheckResult]:
    """``sites × regions × slots`` results every 30 s from T0, one in 10 down."""
    out = []
    for slot in range(slots):
        for s in range(sites):
            for region in regions:
                down = (slot + s) % 10 == 0
                out.append(
                    check_result(
                        site=f"site-{s:03d}",
                        region=region,
                        at=T0 + timedelta(seconds=30 * slot),
                        outcome=Outcome.DOWN if down else Outcome.UP,
                        total_ms=None if down else 100.0 + slot,
                        error_kind="timeout" if down else None,
                    )
                )
    return out


async def create_topics(bootstrap: str, names: list[str], partitions: int = 3) -> None:
    """Create ``names`` on the broker (the sink subscribes to topics that exist)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    """Send (key, value) pairs and wait until the broker has them all."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        batch = [await producer.send(topic, value, key=key) for key, value in values]
        for future in batch:
            await future
    finally:
        await producer.stop()


def result_messages(data: list[CheckResult]) -> list[tuple[bytes, bytes]]:
    """Probe results as Kafka (key, value) pairs, keyed by site like the probes do."""
    return [(r.site.encode(), r.model_dump_json().encode()) for r in data]


def sink_topics(prefix: str) -> list[str]:
    """Every topic the sink reads, and the dead-letter topic, under ``prefix``."""
    from sinks.rows import table_specs
    from sla.contract import Contract

    return [prefix + s.topic for s in table_specs(Contract())] + [prefix + "dead-letter"]
