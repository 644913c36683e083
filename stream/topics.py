"""The stream's topics: names under a prefix, and creating the missing ones before start.

The state table's changelog must have as many partitions as ``probe-results`` (Faust
co-partitions them), so the worker reads that count from the broker instead of assuming
it. ``maintenance`` and ``exclusions`` have one partition: they are small, and one
partition keeps an ``add`` and its ``cancel`` in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from slawatch import topics
from slawatch.errors import UserError

CALENDAR_TOPICS = (topics.MAINTENANCE, topics.EXCLUSIONS)
OUTPUT_TOPICS = (
    topics.OUTAGES,
    topics.SEGMENTS,
    topics.LEDGER,
    topics.SITE_STATUS,
    topics.LATE_RESULTS,
    topics.DEAD_LETTER,
)
# Latest value per key is what matters: keep them compacted.
COMPACTED = {topics.MAINTENANCE, topics.EXCLUSIONS, topics.SEGMENTS, topics.LEDGER}


@dataclass(frozen=True)
class StreamTopics:
    """Full names of every topic the stream reads or writes."""

    prefix: str = ""

    def name(self, base: str) -> str:
        """``base`` under the deployment's prefix."""
        return topics.topic(base, self.prefix)


def changelog_topic(prefix: str, app_id: str) -> str:
    """The state table's changelog (Faust's naming: ``<app id>-<table>-changelog``)."""
    return f"{prefix}{app_id}-sites-changelog"


async def ensure_topics(
    bootstrap: str, prefix: str, partitions: int, replication_factor: int, app_id: str
) -> int:
    """Create the stream's missing topics; return the partition count of ``probe-results``.

    The changelog is created here too, with the partition count of ``probe-results``, so
    that the first worker already recovers from it after a crash.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        await admin.start()
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    try:
        existing = set(await admin.list_topics())
        wanted = [(topics.PROBE_RESULTS, partitions)]
        wanted += [(t, 1) for t in CALENDAR_TOPICS]
        wanted += [(t, partitions) for t in OUTPUT_TOPICS]
        new = [
            NewTopic(
                name=topics.topic(base, prefix),
                num_partitions=count,
                replication_factor=replication_factor,
                topic_configs={"cleanup.policy": "compact"} if base in COMPACTED else {},
            )
            for base, count in wanted
            if topics.topic(base, prefix) not in existing
        ]
        if new:
            # Another worker or the probes may have created one meanwhile.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        count = await _partition_count(admin, topics.topic(topics.PROBE_RESULTS, prefix))
        changelog = changelog_topic(prefix, app_id)
        if changelog not in existing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            name=changelog,
                            num_partitions=count,
                            replication_factor=replication_factor,
                            topic_configs={"cleanup.policy": "compact"},
                        )
                    ]
                )
        return count
    finally:
        await admin.close()


async def _partition_count(admin: AIOKafkaAdminClient, name: str) -> int:
    for _attempt in range(50):  # a topic just created takes a moment to show its partitions
        described = await admin.describe_topics([name])
        for entry in described:
            if entry.get("topic") == name and entry.get("partitions"):
                return len(entry["partitions"])
        await asyncio.sleep(0.1)
    raise UserError(f"topic {name} has no partitions (is the broker healthy?)")
