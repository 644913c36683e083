"""The stream worker's Kafka consumer asks the broker for batched fetches (stream.faust_fetch)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaProducer

from stream import faust_fetch
from stream.app import StreamSettings, StreamWorker

pytestmark = pytest.mark.timeout(120)


def _worker_consumer(app: faust.App) -> Any:
    """The aiokafka consumer Faust would start for ``app`` (built, not started)."""
    thread = app.consumer._thread  # type: ignore[attr-defined]
    return thread._create_worker_consumer(app.transport)


async def test_the_worker_consumer_carries_the_fetch_settings(tmp_path: Path) -> None:
    settings = StreamSettings(
        bootstrap="127.0.0.1:1", data_dir=tmp_path, fetch_min_bytes=12345, fetch_max_wait_s=0.3
    )
    consumer = _worker_consumer(StreamWorker(settings).app)
    assert (consumer._fetch_min_bytes, consumer._fetch_max_wait_ms) == (12345, 300)
    # What Faust sets itself is kept (the worker's group, its offset reset).
    assert consumer._group_id == "slawatch-stream"
    assert consumer._subscription._subscription_type.name == "NONE"


def test_invalid_fetch_settings_are_refused() -> None:
    app = faust.App("x", broker="kafka://127.0.0.1:1", autodiscover=False)
    with pytest.raises(ValueError, match="min_bytes 0"):
        faust_fetch.install(app, min_bytes=0, max_wait_ms=100)


async def _chunks(bootstrap: str, data_dir: Path, min_bytes: int) -> int:
    """How many fetches bring 40 records sent one every 25 ms (a trickle) to the consumer."""
    topic = f"fetch-{time.monotonic_ns()}"
    app = faust.App(topic, broker=f"kafka://{bootstrap}", autodiscover=False, datadir=str(data_dir))
    faust_fetch.install(app, min_bytes=min_bytes, max_wait_ms=400)
    consumer = _worker_consumer(app)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"first", partition=0)  # creates the topic
        consumer.subscribe([topic])
        await consumer.start()
        try:
            assert consumer._fetcher._fetch_min_bytes == min_bytes  # what the fetcher uses

            async def trickle() -> None:
                for n in range(40):
                    await producer.send_and_wait(topic, f"{n}".encode(), partition=0)
                    await asyncio.sleep(0.025)

            sending = asyncio.create_task(trickle())
            values: list[bytes] = []
            chunks = 0
            deadline = time.monotonic() + 30
            while len(values) < 41 and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=1000)
                if batches:
                    chunks += 1
                    values += [r.value for rs in batches.values() for r in rs]
            await sending
            assert values == [b"first", *(f"{n}".encode() for n in range(40))]
            return chunks
        finally:
            await consumer.stop()
    finally:
        await producer.stop()


async def test_a_trickle_arrives_in_few_fetches(kafka_bootstrap: str, tmp_path: Path) -> None:
    """Against the broker: records sent over ~1.2 s come in a few held fetches, not one each."""
    batched = await _chunks(kafka_bootstrap, tmp_path / "a", min_bytes=1 << 20)
    one_by_one = await _chunks(kafka_bootstrap, tmp_path / "b", min_bytes=1)
    # Held up to 400 ms each: about 1.2 s / 0.4 s fetches (+ the first record's own).
    assert batched <= 8, batched
    assert one_by_one >= 15, one_by_one
