"""SinkRunner's rules with an in-memory consumer (the broker-backed tests are
test_runner_kafka.py and test_crash_kafka.py): commit only after write, pause while the
store fails, bounded memory, give up at shutdown without committing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from sinks.batching import Batch, BatchingSink
from sinks.rows import TableSpec
from sinks.runner import RetryPolicy, SinkRunner

TOPIC = "probe-results"
SPEC = TableSpec(TOPIC, "t", lambda value, received: {"v": value})


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None
    timestamp: int = 0


class MemoryConsumer:
    """Hands out a fixed list of messages, honours pause/resume, records commits."""

    def __init__(self, count: int) -> None:
        self.pending = [Message(TOPIC, 0, i, str(i).encode()) for i in range(count)]
        self.tp = TopicPartition(TOPIC, 0)
        self.paused: set[TopicPartition] = set()
        self.commits: list[dict[TopicPartition, int]] = []
        self.events: list[str] = []

    def assignment(self) -> set[TopicPartition]:
        return {self.tp}

    def pause(self, *tps: TopicPartition) -> None:
        self.paused.update(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused.difference_update(tps)

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[Any, list[Message]]:
        await asyncio.sleep(0)
        if self.tp in self.paused or not self.pending:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        taken, self.pending = self.pending[:max_records], self.pending[max_records:]
        return {self.tp: taken}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))
        self.events.append(f"commit {offsets[self.tp]}")


class FlakySink(BatchingSink):
    def __init__(self, consumer: MemoryConsumer, fail: int) -> None:
        super().__init__(max_rows=10, max_seconds=0.05)
        self.consumer, self.fail, self.stored = consumer, fail, []  # type: ignore[var-annotated]

    def write(self, batch: Batch) -> None:
        if self.fail:
            self.fail -= 1
            self.consumer.events.append("write failed")
            raise ConnectionError("store away")
        self.stored += [r.row["v"] for r in batch.records if r.row]
        self.consumer.events.append(f"write {len(batch.records)}")


def runner(consumer: MemoryConsumer, sink: FlakySink, shutdown: float = 5.0) -> SinkRunner:
    return SinkRunner(
        sink,
        consumer,
        producer=None,
        specs={TOPIC: SPEC},  # type: ignore[arg-type]
        dead_letter_topic="dead-letter",
        retry=RetryPolicy(0.01, 0.04),
        poll_ms=5,
        shutdown_seconds=shutdown,
    )


async def run_until(r: SinkRunner, done: Any) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(r.run(stop))
    for _ in range(500):
        if done():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_commit_follows_each_stored_batch_in_order() -> None:
    consumer = MemoryConsumer(25)
    sink = FlakySink(consumer, fail=0)
    await run_until(runner(consumer, sink), lambda: len(sink.stored) == 25)
    assert sink.stored == [str(i).encode() for i in range(25)]
    assert consumer.events[:4] == ["write 10", "commit 10", "write 10", "commit 20"]
    assert consumer.commits[-1] == {consumer.tp: 25}


async def test_failing_store_pauses_and_retries_the_same_batch() -> None:
    consumer = MemoryConsumer(25)
    sink = FlakySink(consumer, fail=3)
    r = runner(consumer, sink)
    await run_until(r, lambda: len(sink.stored) == 25)
    assert consumer.events[:5] == [
        "write failed",
        "write failed",
        "write failed",
        "write 10",
        "commit 10",
    ]
    assert sink.stored == [str(i).encode() for i in range(25)]  # nothing lost or reordered
    assert r.max_buffered <= 10 and not consumer.paused and not r.paused


async def test_shutdown_with_store_away_gives_up_without_committing() -> None:
    consumer = MemoryConsumer(5)  # fewer than a batch: only the last flush stores them
    sink = FlakySink(consumer, fail=10_000)
    r = runner(consumer, sink, shutdown=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(r.run(stop))
    await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)  # bounded, although the store never came back
    assert consumer.commits == [] and sink.stored == [] and len(sink) == 5
