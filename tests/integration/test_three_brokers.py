"""The three-node cluster: killing the partition leader loses no acknowledged message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from slawatch.kafka_local import LocalKafka, metadata_broker_ids

pytestmark = pytest.mark.integration


async def _leader(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    (partition,) = described["partitions"]
    assert len(partition["replicas"]) == 3 and len(partition["isr"]) == 3
    return int(partition["leader"])


@pytest.mark.faults  # listed in tests/faults/__init__.py
@pytest.mark.timeout(240)
async def test_killing_the_leader_loses_no_acknowledged_message(
    three_brokers: LocalKafka, unique_name: Callable[[str], str]
) -> None:
    bootstrap = three_brokers.bootstrap_servers
    assert metadata_broker_ids(bootstrap) == {1, 2, 3}
    topic = unique_name("failover")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=3)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, request_timeout_ms=20000
    )
    await producer.start()
    try:
        for i in range(50):
            await producer.send_and_wait(topic, str(i).encode())
        leader = await _leader(bootstrap, topic)
        three_brokers.kill(leader)  # SIGKILL: a crash, no controlled shutdown
        for i in range(50, 100):
            await producer.send_and_wait(topic, str(i).encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    values: list[int] = []
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        while len(values) < 100:
            batch = await consumer.getmany(tp, timeout_ms=10_000)
            assert batch, f"no more records after {len(values)}"
            values += [int(m.value or b"-1") for m in batch[tp]]
    finally:
        await consumer.stop()
    assert values == list(range(100))
    assert leader not in three_brokers.running_pids()
