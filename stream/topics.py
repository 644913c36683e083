"""The stream's topics: names under a prefix, and creating the missing ones before start.

The state table's changelog must have as many partitions as ``probe-results`` (Faust
co-partitions them), so the worker reads that count from the broker instead of assuming
it. ``maintenance`` and ``exclusions`` have one partition: they are small, and one
partition keeps an ``add`` and its ``cancel`` in order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from slawatch import topics
from slawatch.errors import UserError
from slawatch.kafka_admin import ensure_topics as ensure_specs
from slawatch.topics import TopicSpec

CALENDAR_TOPICS = (topics.MAINTENANCE, topics.EXCLUSIONS)
OUTPUT_TOPICS = (
    topics.OUTAGES,
    topics.SEGMENTS,
    topics.LEDGER,
    topics.SITE_STATUS,
    topics.LATE_RESULTS,
    topics.DEAD_LETTER,
)


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
    wanted = (topics.PROBE_RESULTS, *CALENDAR_TOPICS, *OUTPUT_TOPICS)
    await ensure_specs(
        bootstrap,
        {topics.topic(base, prefix): topics.PIPELINE_TOPICS[base] for base in wanted},
        partitions,
        replication_factor,
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        await admin.start()
        count = await _partition_count(admin, topics.topic(topics.PROBE_RESULTS, prefix))
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    finally:
        await admin.close()
    await ensure_specs(
        bootstrap,
        {changelog_topic(prefix, app_id): TopicSpec(compacted=True)},
        count,
        replication_factor,
    )
    return count


async def _partition_count(admin: AIOKafkaAdminClient, name: str) -> int:
    for _attempt in range(50):  # a topic just created takes a moment to show its partitions
        described = await admin.describe_topics([name])
        for entry in described:
            if entry.get("topic") == name and entry.get("partitions"):
                return len(entry["partitions"])
        await asyncio.sleep(0.1)
    raise UserError(f"topic {name} has no partitions (is the broker healthy?)")
