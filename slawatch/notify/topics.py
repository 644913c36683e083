"""The notifier's own topics, created on start when missing."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from slawatch.errors import UserError

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
        await _wait_for_leaders(admin, list(names))
    finally:
        await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], timeout_s: float = 30.0
) -> None:
    """Return once every partition of ``names`` has a leader (new topics need a moment)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        described = await admin.describe_topics(names)
        ready = all(
            entry["error_code"] == 0
            and entry["partitions"]
            and all(p["leader"] >= 0 and p["error_code"] == 0 for p in entry["partitions"])
            for entry in described
        )
        if ready:
            return
        if loop.time() > deadline:
            raise UserError(f"Kafka topics {', '.join(names)} have no leader after {timeout_s} s")
        await asyncio.sleep(0.2)


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
