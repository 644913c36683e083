"""The publisher's retry and shed accounting, with a producer that fails on command.

(The same paths against a real broker that is killed: test_worker_kafka, --run-slow-faults.)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaTimeoutError, NotLeaderForPartitionError

from probes.publisher import ResultPublisher
from probes.stats import ProbeStats
from sla.model import CheckResult, Outcome


def result(i: int) -> CheckResult:
    slot = datetime(2026, 11, 26, 5, 0, i, tzinfo=UTC)
    return CheckResult(
        site=f"s{i}",
        client="c",
        region="r",
        worker="w",
        scheduled_at=slot,
        started_at=slot,
        outcome=Outcome.UP,
    )


class ScriptedProducer:
    """send() raises or returns a delivery future that fails, as scripted, then succeeds."""

    def __init__(self, send_errors: int = 0, failed_deliveries: int = 0, deliver: bool = True):
        self.send_errors = send_errors
        self.failed_deliveries = failed_deliveries
        self.deliver = deliver
        self.delivered: list[tuple[str, bytes, bytes]] = []

    async def send(self, topic: str, key: bytes, value: bytes) -> asyncio.Future[Any]:
        if self.send_errors:
            self.send_errors -= 1
            raise KafkaTimeoutError()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.failed_deliveries:
            self.failed_deliveries -= 1
            future.set_exception(NotLeaderForPartitionError())
        elif self.deliver:
            self.delivered.append((topic, key, value))
            future.set_result(None)
        return future


async def test_failed_sends_and_deliveries_are_retried_until_published() -> None:
    producer = ScriptedProducer(send_errors=1, failed_deliveries=2)
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=10)
    stats = ProbeStats()
    publisher = ResultPublisher(producer, "probe-results", buffer, stats)  # type: ignore[arg-type]
    for i in range(5):
        buffer.put_nowait(result(i))
    await publisher.flush(timeout_s=5)
    assert stats.published == 5 and stats.shed == 0
    assert stats.publish_retries == 3
    assert sorted(key for _, key, _ in producer.delivered) == [f"s{i}".encode() for i in range(5)]
    assert {topic for topic, _, _ in producer.delivered} == {"probe-results"}
    decoded = [CheckResult.model_validate_json(value) for _, _, value in producer.delivered]
    assert sorted(r.id for r in decoded) == sorted(result(i).id for i in range(5))


async def test_what_kafka_never_takes_is_counted_as_shed_at_shutdown() -> None:
    producer = ScriptedProducer(deliver=False)  # deliveries never complete
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=10)
    stats = ProbeStats()
    publisher = ResultPublisher(
        producer,
        "probe-results",
        buffer,
        stats,
        max_in_flight=2,  # type: ignore[arg-type]
    )
    for i in range(6):
        buffer.put_nowait(result(i))
    await publisher.flush(timeout_s=0.3)
    # 2 in flight, 1 taken and waiting for room, 3 still buffered: all counted as shed
    assert stats.shed == 6 and stats.published == 0
    assert publisher.pending == 6
