"""The sink's consumer loop on the real broker and the embedded engine.

The store's unavailability is injected at the one method a backend implements
(``write``): chDB runs inside this process and cannot be stopped like a server.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY

from sinks.batching import Batch
from sinks.clickhouse import ClickHouseSink
from sinks.service import run_sink
from slawatch.config import KafkaSettings, Settings, SinkSettings
from tests.sinks.fixtures import create_topics, produce, result_messages, results, sink_topics

OUTAGE_WRITES = 4  # failed writes before the store "comes back" (≈1 s of backoff)


class StoreAwayForAWhile(ClickHouseSink):
    """ClickHouseSink whose first writes fail as if the server were unreachable."""

    def write(self, batch: Batch) -> None:
        failures = getattr(self, "failures", 0)
        if failures < OUTAGE_WRITES:
            self.failures = failures + 1
            raise ConnectionError("ClickHouse unreachable (injected)")
        super().write(batch)


def metric_values(topic: str) -> dict[str, float]:
    """The sink's Prometheus counters (process-wide: compare before and after)."""

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    return {
        "failures": value("slawatch_sink_flush_failures_total"),
        "dead": value("slawatch_sink_dead_letters_total", topic=topic),
        "rows": value("slawatch_sink_rows_written_total", table="probe_results"),
        "paused": value("slawatch_sink_paused"),
    }


def sink_settings(prefix: str, group: str) -> Settings:
    return Settings(
        kafka=KafkaSettings(topic_prefix=prefix),
        sink=SinkSettings(
            group_id=group,
            batch_max_rows=40,
            batch_max_seconds=0.2,
            retry_initial_seconds=0.1,
            retry_max_seconds=0.4,
        ),
    )


async def committed_total(admin: AIOKafkaAdminClient, group: str, topic: str) -> int:
    """The sum of the group's committed offsets on ``topic``."""
    offsets = await admin.list_consumer_group_offsets(group)
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)


async def wait_committed(
    bootstrap: str, group: str, topic: str, wanted: int, timeout_s: float = 30
) -> int:
    """Poll the group's committed offsets on ``topic`` until they sum to ``wanted``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (total := await committed_total(admin, group, topic)) != wanted:
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
        return total
    finally:
        await admin.close()


@pytest.mark.faults  # listed in tests/faults/__init__.py
async def test_store_away_then_back_everything_once_memory_bounded(
    kafka_bootstrap: str, topic_prefix: str, store: Any, unique_name: Any
) -> None:
    await create_topics(kafka_bootstrap, sink_topics(topic_prefix))
    data = results(sites=5, slots=20)  # 200 results
    first, second = result_messages(data[:120]), result_messages(data[120:])
    malformed = (b"site-x", b'{"site": "site-x", "outcome": "up"}')
    await produce(kafka_bootstrap, topic_prefix + "probe-results", [*first, malformed])

    settings = sink_settings(topic_prefix, unique_name("sink"))
    before = metric_values(topic_prefix + "probe-results")
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_sink(settings, kafka_bootstrap, store, stop=stop, sink_class=StoreAwayForAWhile)
    )
    await asyncio.sleep(0.5)  # the store is still "away": more arrives meanwhile
    await produce(kafka_bootstrap, topic_prefix + "probe-results", second)

    topic = topic_prefix + "probe-results"
    done = await wait_committed(kafka_bootstrap, settings.sink.group_id, topic, len(data) + 1)
    stop.set()
    runner = await asyncio.wait_for(task, 30)

    assert done == len(data) + 1  # every offset committed, the dead letter's too
    assert runner.failed_flushes == OUTAGE_WRITES
    after = metric_values(topic_prefix + "probe-results")
    assert {k: after[k] - before[k] for k in after} == {
        "failures": OUTAGE_WRITES,
        "dead": 1,
        "rows": 200,
        "paused": 0,
    }
    assert runner.max_buffered <= settings.sink.batch_max_rows  # paused: nothing piles up
    rows = store.query("SELECT count(), uniqExact(site, region, scheduled_at) FROM probe_results")
    assert rows.result_rows == [(200, 200)]
    rollup = store.query("SELECT countMerge(checks), countIfMerge(failures) FROM probe_results_1d")
    assert rollup.result_rows == [(200, sum(r.outcome == "down" for r in data))]

    dead = AIOKafkaConsumer(
        topic_prefix + "dead-letter",
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
    )
    await dead.start()
    try:
        fetched = await dead.getmany(timeout_ms=5000)
    finally:
        await dead.stop()
    letters = [json.loads(m.value) for ms in fetched.values() for m in ms]
    assert len(letters) == 1
    assert letters[0]["source_topic"] == topic
    assert letters[0]["reason"].startswith("CheckResult: client: Field required")
    assert json.loads(letters[0]["value"]) == {"site": "site-x", "outcome": "up"}
