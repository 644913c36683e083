"""The delivery log: a compacted Kafka topic ``deliveries`` keyed by channel, target and notice.

Read entirely at start-up; every delivery (or dead-lettering) is appended and acknowledged
by the broker *before* the consumer commits the offset of the notice, so a restart skips
what was delivered. The window in which a crash can still duplicate is one send: between
the channel's success and the log write.
"""

from __future__ import annotations

import json
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


class DeliveryLog:
    """Delivered keys in memory, backed by a compacted topic."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self.topic = topic
        self.delivered: set[str] = set()

    async def load(self) -> int:
        """Read the whole topic (from the beginning to the current end); returns the count."""
        # Subscribing at creation makes start() fetch this topic's metadata; then the
        # partitions are assigned explicitly (no group: nothing is committed).
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(self.topic) or set()
            assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            if not assigned:
                return 0
            consumer.unsubscribe()
            consumer.assign(assigned)  # no committed offsets: reads from the beginning
            ends = await consumer.end_offsets(assigned)
            while await _behind(consumer, ends):
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        if record.key is not None and record.value is not None:
                            self.delivered.add(record.key.decode())
        finally:
            await consumer.stop()
        return len(self.delivered)

    async def record(
        self, producer: AIOKafkaProducer, key: str, status: str, at: datetime, detail: str = ""
    ) -> None:
        """Append one delivery and wait for the broker's acknowledgement."""
        value = {"key": key, "status": status, "at": at.isoformat(), "detail": detail}
        await producer.send_and_wait(self.topic, json.dumps(value).encode(), key=key.encode())
        self.delivered.add(key)


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return True
    return False
