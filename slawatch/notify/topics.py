"""The notifier's own topics, created on start when missing."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

DELIVERIES = "deliveries"  # compacted: key = channel|target|notice key
NOTIFY_DEAD_LETTER = "notify-dead-letter"  # notices that failed max_attempts times


async def ensure_topics(
    bootstrap: str, names: dict[str, bool], partitions: int, replication: int
) -> None:
    """Create each topic of ``names`` (name → compacted?) that does not exist yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=replication,
                topic_configs={"cleanup.policy": "compact"} if compacted else {},
            )
            for name, compacted in names.items()
            if name not in existing
        ]
        if wanted:
            # another notifier may have created one in between
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()


async def partitions_of(bootstrap: str, names: list[str]) -> dict[str, list[int]]:
    """Each topic's partition numbers, asked of the broker (fresh, not a client's cache)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {
        entry["topic"]: sorted(p["partition"] for p in entry["partitions"])
        for entry in described
        if entry["error_code"] == 0
    }
