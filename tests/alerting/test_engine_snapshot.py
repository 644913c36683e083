"""A large engine state through the real broker: snapshotted in chunks, restored on restart;
a snapshot the broker refuses is logged and the engine carries on."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sla.contract import Contract
from slawatch import topics
from slawatch.alerting import snapshot
from slawatch.alerting.engine import STATE_TOPIC, AlertEngine
from slawatch.alerting.evaluator import EngineState
from slawatch.alerting.settings import AlertingSettings
from tests.alerting.large_state import T0, large_state

pytestmark = pytest.mark.timeout(120)

# One evaluation of 20,000 sites takes seconds: evaluate once at the start, snapshot on stop
# (the refused-snapshot test overrides snapshot_seconds to see the retries while running).
SETTINGS = AlertingSettings(tick_seconds=60, snapshot_seconds=60)


class SeededEngine(AlertEngine):
    """An engine that starts from a given state (as if restored) and keeps what it restored."""

    def __init__(self, *args, seed: EngineState | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seed = seed
        self.restored: EngineState | None = None

    async def _restore(self) -> EngineState:
        state = await super()._restore()
        self.restored = state.model_copy(deep=True)
        return self.seed if self.seed is not None else state


async def run_briefly(engine: AlertEngine, seconds: float = 1.0) -> None:
    ready = asyncio.Event()
    task = asyncio.create_task(engine.run(ready))
    await asyncio.wait_for(ready.wait(), 60)
    await asyncio.sleep(seconds)
    assert not task.done(), "the engine stopped on its own"
    engine.stop()
    await asyncio.wait_for(task, 60)


async def state_records(bootstrap: str, topic: str) -> list[tuple[bytes, bytes | None]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        records = []
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += [(r.key, r.value) for r in batch]
        return records
    finally:
        await consumer.stop()


def engine(
    bootstrap: str,
    prefix: str,
    seed: EngineState | None = None,
    settings: AlertingSettings = SETTINGS,
) -> SeededEngine:
    return SeededEngine(
        bootstrap, Contract(), settings, topic_prefix=prefix, clock=lambda: T0, seed=seed
    )


async def test_a_20000_site_state_is_snapshotted_in_chunks_and_restored(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    first = engine(kafka_bootstrap, topic_prefix, seed=large_state(20_000))
    await run_briefly(first)
    assert first.snapshot_failures == 0
    assert first.evaluator is not None
    written = first.evaluator.state
    assert len(written.burn) == 20_000

    records = await state_records(kafka_bootstrap, topics.topic(STATE_TOPIC, topic_prefix))
    largest = max(len(k) + len(v or b"") for k, v in records)
    assert largest <= snapshot.CHUNK_BYTES + 100  # the one-record form was ~4 MB
    manifest = snapshot.parse_manifest(dict(records)[b"engine"] or b"")
    assert manifest is not None and manifest.chunks >= 2

    second = engine(kafka_bootstrap, topic_prefix)
    await run_briefly(second, 0.5)
    assert second.restored == written
    # Chunks of the snapshots replaced while running were deleted (tombstones).
    latest: dict[bytes, bytes] = {}
    for key, value in await state_records(kafka_bootstrap, topics.topic(STATE_TOPIC, topic_prefix)):
        if value is None:
            latest.pop(key, None)
        else:
            latest[key] = value
    current = snapshot.parse_manifest(latest[b"engine"])
    assert current is not None
    assert snapshot.stale_chunks("engine", latest, current.snapshot_id) == set()


async def test_a_refused_snapshot_is_logged_and_the_engine_keeps_running(
    kafka_bootstrap: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    state_topic = topics.topic(STATE_TOPIC, topic_prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:  # a broker that refuses records over 64 KiB: every chunk is MessageSizeTooLarge
        await admin.create_topics(
            [
                NewTopic(
                    state_topic,
                    num_partitions=1,
                    replication_factor=1,
                    topic_configs={"cleanup.policy": "compact", "max.message.bytes": "65536"},
                )
            ]
        )
    finally:
        await admin.close()
    caplog.set_level(logging.ERROR, logger="slawatch.alerting.engine")
    refused = engine(
        kafka_bootstrap,
        topic_prefix,
        seed=large_state(2_000),
        settings=AlertingSettings(tick_seconds=0.2, snapshot_seconds=0.2),
    )
    await run_briefly(refused, 1.0)
    assert refused.snapshot_failures >= 2  # retried while running, and tried again on stop
    assert "state snapshot of" in caplog.text and "MessageSizeTooLarge" in caplog.text
    assert "no snapshot on stop" in caplog.text
    assert [v for k, v in await state_records(kafka_bootstrap, state_topic)] == []
