"""Publishing and reading the ``maintenance`` and ``exclusions`` topics (for the CLI)."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from slawatch import topics
from slawatch.errors import UserError
from slawatch.kafka_admin import ensure_topics


async def ensure_calendar_topic(bootstrap: str, topic: str, replication_factor: int) -> None:
    """Create the (one-partition, compacted) calendar topic if it does not exist."""
    spec = topics.PIPELINE_TOPICS[topics.MAINTENANCE]  # exclusions: the same policy
    await ensure_topics(bootstrap, {topic: spec}, 1, replication_factor)


async def publish(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    """Send one message and wait for the broker's acknowledgement (all replicas)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await producer.start()
        await producer.send_and_wait(topic, key=key.encode(), value=value)
    except KafkaError as exc:
        raise UserError(f"cannot publish to {topic} at {bootstrap}: {exc}") from exc
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str) -> list[tuple[str | None, bytes]]:
    """Every message of ``topic`` from the beginning up to its current end, in order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        await consumer.start()
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            # A consumer without a subscription only learns of a topic on a metadata refresh.
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return []
        parts = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[tuple[str | None, bytes]] = []
        while not await _at_end(consumer, parts, ends):
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for r in records:
                    if r.value is not None:
                        key = None if r.key is None else r.key.decode(errors="replace")
                        out.append((key, r.value))
        return out
    finally:
        await consumer.stop()


async def _at_end(
    consumer: AIOKafkaConsumer, parts: list[TopicPartition], ends: dict[TopicPartition, int]
) -> bool:
    for tp in parts:
        if await consumer.position(tp) < ends[tp]:
            return False
    return True
