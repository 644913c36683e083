"""Assemble and run the ClickHouse sink from the configuration (``slawatch sink``)."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from sinks.clickhouse import (
    ClickHouseSink,
    apply_results_ttl,
    record_business_hours,
    record_contract_terms,
)
from sinks.rows import TableSpec, table_specs
from sinks.runner import RetryPolicy, SinkRunner
from sla.calendar import BusinessCalendar
from slawatch import topics
from slawatch.config import Settings

log = logging.getLogger("slawatch.sink")


def specs_by_topic(settings: Settings) -> dict[str, TableSpec]:
    """The consumed topics under the deployment's prefix → where their messages go."""
    prefix = settings.kafka.topic_prefix
    return {topics.topic(spec.topic, prefix): spec for spec in table_specs(settings.contract)}


def prepare_store(client: Any, settings: Settings) -> None:
    """Apply the results TTL and record the contract's target and calendar for the SQL views."""
    if apply_results_ttl(client, settings.clickhouse.results_ttl_days):
        log.info("probe_results TTL set to %d days", settings.clickhouse.results_ttl_days)
    now = datetime.now(UTC)
    record_contract_terms(client, settings.contract.target_pct, settings.contract.timezone, now)
    seed_business_hours(client, settings, now)


def seed_business_hours(client: Any, settings: Settings, now: datetime) -> int:
    """(Re)fill ``business_hours`` from the contract's calendar; rows written (0: unchanged)."""
    written = record_business_hours(client, BusinessCalendar.from_contract(settings.contract), now)
    if written:
        log.info("business_hours seeded: %d business days of the contract calendar", written)
    return written


def build_consumer(settings: Settings, bootstrap: str) -> AIOKafkaConsumer:
    """A consumer that never commits on its own (offsets follow the store's writes)."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=settings.sink.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_interval_ms=300_000,
        session_timeout_ms=settings.sink.session_timeout_ms,
        heartbeat_interval_ms=max(100, settings.sink.session_timeout_ms // 3),
    )


async def run_sink(
    settings: Settings,
    bootstrap: str,
    client: Any,
    stop: asyncio.Event | None = None,
    sink_class: type[ClickHouseSink] = ClickHouseSink,
) -> SinkRunner:
    """Consume every sink topic into ClickHouse until ``stop`` (or SIGTERM/SIGINT).

    ``sink_class`` lets a test inject faults at the one method a backend implements.
    """
    stop = stop or _stop_on_signals()
    prefix = settings.kafka.topic_prefix
    sink = sink_class(client, settings.sink.batch_max_rows, settings.sink.batch_max_seconds)
    consumer = build_consumer(settings, bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    runner = SinkRunner(
        sink=sink,
        consumer=consumer,
        producer=producer,
        specs=specs_by_topic(settings),
        dead_letter_topic=topics.topic(topics.DEAD_LETTER, prefix),
        retry=RetryPolicy(settings.sink.retry_initial_seconds, settings.sink.retry_max_seconds),
        shutdown_seconds=settings.sink.shutdown_seconds,
    )
    await producer.start()
    try:
        await consumer.start()
        try:
            runner.subscribe()
            log.info("sink consuming %s", ", ".join(sorted(runner.specs)))
            await runner.run(stop)
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
    return runner


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
