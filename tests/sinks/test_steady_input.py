"""Under steady input the sink flushes by age and commits while results keep flowing.

Issue 6: "writes batches (by size and time, configurable); commits Kafka offsets only
after ClickHouse has the batch". A batch must therefore be stored, and its offsets
committed, once it is ``batch_max_seconds`` old even though the input never pauses —
not only when the producers stop.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from sinks.batching import Batch
from sinks.clickhouse import ClickHouseSink
from sinks.service import run_sink
from slawatch.config import KafkaSettings, Settings, SinkSettings
from tests.sinks.fixtures import create_topics, produce, result_messages, results, sink_topics
from tests.sinks.test_runner_kafka import wait_committed

BATCH_SECONDS = 0.5
STREAM_SECONDS = 5.0
INTERVAL_SECONDS = 0.03  # one result every 30 ms: the consumer never sees an empty poll
MARGIN_SECONDS = 1.0  # commit round trip and a loaded 2-core machine


class CountingSink(ClickHouseSink):
    """ClickHouseSink that reads the stored row count right after each write.

    It counts in the writer's thread, so the engine is never used by two threads at once.
    """

    def __init__(self, client: Any, max_rows: int, max_seconds: float) -> None:
        super().__init__(client, max_rows, max_seconds)
        self.stored: list[tuple[float, int]] = []  # (monotonic time, rows in probe_results)

    def write(self, batch: Batch) -> None:
        super().write(batch)
        count = self.client.query("SELECT count() FROM probe_results").result_rows[0][0]
        self.stored.append((time.monotonic(), int(count)))


async def sample_commits(
    bootstrap: str, group: str, topic: str, stop: asyncio.Event
) -> list[tuple[float, int]]:
    """(monotonic time, sum of the group's committed offsets on ``topic``) every 100 ms."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    samples: list[tuple[float, int]] = []
    try:
        while not stop.is_set():
            offsets = await admin.list_consumer_group_offsets(group)
            total = sum(m.offset for tp, m in offsets.items() if tp.topic == topic and m.offset > 0)
            samples.append((time.monotonic(), total))
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    return samples


async def produce_steadily(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> int:
    """For ``STREAM_SECONDS``, one message every ``INTERVAL_SECONDS`` (each acknowledged).

    Returns how many were sent.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent = 0
    try:
        end = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < end:
            key, value = messages[sent]
            await producer.send_and_wait(topic, value, key=key)
            sent += 1
            await asyncio.sleep(INTERVAL_SECONDS)
    finally:
        await producer.stop()
    return sent


def advances(samples: list[tuple[float, int]]) -> list[float]:
    """The times at which the committed total grew."""
    out = []
    previous = samples[0][1] if samples else 0
    for at, total in samples:
        if total > previous:
            out.append(at)
        previous = total
    return out


async def test_steady_input_flushes_by_age_and_commits_during_the_stream(
    kafka_bootstrap: str, topic_prefix: str, store: Any, unique_name: Any
) -> None:
    await create_topics(kafka_bootstrap, sink_topics(topic_prefix))
    topic = topic_prefix + "probe-results"
    group = unique_name("sink-steady")
    settings = Settings(
        kafka=KafkaSettings(topic_prefix=topic_prefix),
        # Far more rows than the stream sends: only the age can trigger a flush.
        sink=SinkSettings(group_id=group, batch_max_rows=10_000, batch_max_seconds=BATCH_SECONDS),
    )
    stop_sink, stop_sampling = asyncio.Event(), asyncio.Event()
    sink = asyncio.create_task(
        run_sink(settings, kafka_bootstrap, store, stop=stop_sink, sink_class=CountingSink)
    )
    sampler = asyncio.create_task(sample_commits(kafka_bootstrap, group, topic, stop_sampling))
    most = int(STREAM_SECONDS / INTERVAL_SECONDS)
    messages = result_messages(results(sites=most + 1, slots=1, regions=("eu",)))
    # One message first, committed before the stream starts: the sink has joined its group.
    await produce(kafka_bootstrap, topic, messages[:1])
    assert await wait_committed(kafka_bootstrap, group, topic, 1, timeout_s=20) == 1
    started = time.monotonic()
    sent = 1 + await produce_steadily(kafka_bootstrap, topic, messages[1:])
    producer_stopped = time.monotonic()

    await asyncio.sleep(BATCH_SECONDS + MARGIN_SECONDS)  # the last batch, after the stream
    stop_sampling.set()
    samples = await sampler
    stop_sink.set()
    runner = await asyncio.wait_for(sink, 30)

    during = [at for at in advances(samples) if started < at <= producer_stopped]
    # Every batch_max_seconds + margin, at least, while the stream runs.
    assert len(during) >= STREAM_SECONDS / (BATCH_SECONDS + MARGIN_SECONDS) - 1, samples
    gaps = [b - a for a, b in zip([started, *during], [*during, producer_stopped], strict=True)]
    assert max(gaps) <= BATCH_SECONDS + MARGIN_SECONDS + 0.5, (gaps, samples)

    assert isinstance(runner.sink, CountingSink)
    # Rows visible in ClickHouse before the stream ended: all but the last ~2 s of it.
    stored_during = [c for at, c in runner.sink.stored if started < at <= producer_stopped]
    at_most_unstored = int((BATCH_SECONDS + MARGIN_SECONDS + 0.5) / INTERVAL_SECONDS)
    assert len(stored_during) >= 2, runner.sink.stored
    assert max(stored_during) >= sent - at_most_unstored, (sent, runner.sink.stored)
    assert samples[-1][1] == sent  # and, in the end, everything committed
    total = store.query("SELECT count(), uniqExact(site) FROM probe_results").result_rows
    assert total == [(sent, sent)]
