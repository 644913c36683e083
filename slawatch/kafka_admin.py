"""Creating topics before use: missing ones created with their policy, then leaders awaited.

One implementation for every component (probes, stream, sink, alert engine, notifiers and
``slawatch run``), so that a topic never comes into being by broker auto-creation with the
wrong partition count or without compaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from slawatch.errors import UserError
from slawatch.topics import TopicSpec


async def ensure_topics(
    bootstrap: str,
    wanted: Mapping[str, TopicSpec],
    partitions: int,
    replication: int,
    *,
    leader_timeout_s: float = 30.0,
) -> None:
    """Create each topic of ``wanted`` (full name → spec) that does not exist yet.

    Returns once every partition of every topic has a leader: a client that starts right
    after gets metadata instead of "topic not found" errors.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        await admin.start()
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {bootstrap}: {exc}") from None
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(
                name,
                num_partitions=1 if spec.single_partition else partitions,
                replication_factor=replication,
                topic_configs={"cleanup.policy": "compact"} if spec.compacted else {},
            )
            for name, spec in wanted.items()
            if name not in existing
        ]
        if new:
            # another component may create one in between
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        await wait_for_leaders(admin, list(wanted), leader_timeout_s)
    finally:
        await admin.close()


async def wait_for_leaders(
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
