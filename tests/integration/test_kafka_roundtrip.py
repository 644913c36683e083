"""Producing and consuming through the real broker with aiokafka (what probes and sinks do)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from tests.integration.fixtures import committed_offset, create_topics

pytestmark = pytest.mark.integration


def _records(batch: dict[TopicPartition, list[ConsumerRecord]]) -> list[tuple[int, bytes, bytes]]:
    return [(m.partition, m.key or b"", m.value or b"") for ms in batch.values() for m in ms]


async def _consume(
    bootstrap: str, topic: str, group: str, expected: int, timeout_s: float, linger_s: float = 0.0
) -> list[tuple[int, bytes, bytes]]:
    """Read ``expected`` records as a member of ``group`` (then ``linger_s`` more), commit."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    received: list[tuple[int, bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=200)  # joins the group
            while len(received) < expected:
                received += _records(await consumer.getmany(timeout_ms=500))
            linger_until = asyncio.get_running_loop().time() + linger_s
            while asyncio.get_running_loop().time() < linger_until:
                received += _records(await consumer.getmany(timeout_ms=200))
        await consumer.commit()
    finally:
        await consumer.stop()
    return received


@pytest.mark.timeout(120)
async def test_keyed_messages_round_trip_in_order_per_key(
    kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    topic, group = unique_name("roundtrip"), unique_name("group")
    await create_topics(kafka_bootstrap, [topic], partitions=3)
    keys = ("site-a", "site-b", "site-c", "site-d")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = [
            (key, await producer.send(topic, f"{key}:{seq}".encode(), key=key.encode()))
            for seq in range(200)
            for key in keys
        ]
        partitions_of_key: dict[str, set[int]] = defaultdict(set)
        for key, future in sent:
            partitions_of_key[key].add((await future).partition)
    finally:
        await producer.stop()
    assert all(len(p) == 1 for p in partitions_of_key.values()), "a key must stay on one partition"

    received = await _consume(kafka_bootstrap, topic, group, 800, timeout_s=60)
    assert len(received) == 800
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for _, key, value in received:
        by_key[key].append(int(value.split(b":")[1]))
    assert dict(by_key) == {k.encode(): list(range(200)) for k in keys}

    # The group committed everything it read: 800 offsets over the three partitions …
    committed = [
        await committed_offset(kafka_bootstrap, group, TopicPartition(topic, p)) for p in range(3)
    ]
    assert sum(committed) == 800
    # … so a new member of the same group reads nothing again.
    assert await _consume(kafka_bootstrap, topic, group, 0, timeout_s=30, linger_s=2.0) == []
