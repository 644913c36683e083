"""The notifier's own topics, created on start when missing."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from slawatch.kafka_admin import ensure_topics as ensure_specs
from slawatch.topics import TopicSpec

DELIVERIES = "deliveries"  # compacted: key = channel|target|notice key
NOTIFY_DEAD_LETTER = "notify-dead-letter"  # notices that failed max_attempts times


async def ensure_topics(
    bootstrap: str, names: dict[str, bool], partitions: int, replication: int
) -> None:
    """Create each topic of ``names`` (name → compacted?) that does not exist yet."""
    await ensure_specs(
        bootstrap,
        {name: TopicSpec(compacted=compacted) for name, compacted in names.items()},
        partitions,
        replication,
    )


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
