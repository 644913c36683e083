"""The site registry in Kafka: compacted ``sites`` and ``clients`` topics keyed by id.

``apply`` writes only what changed (so the topics do not churn) and, with ``prune``, a
tombstone (null value) for every site or client no longer in the file. ``read`` consumes a
compacted topic from the beginning to its current end and returns the live entries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ValidationError

from probes.sites import Client, Site
from probes.sites_file import SitesFile
from slawatch.errors import UserError
from slawatch.kafka_admin import ensure_topics
from slawatch.topics import TopicSpec

log = logging.getLogger(__name__)
_Model = TypeVar("_Model", bound=BaseModel)


@dataclass
class ApplyReport:
    """What ``apply`` did (or would do, in a dry run) to one topic."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # tombstoned (prune)
    kept: list[str] = field(default_factory=list)  # in the topic, not in the file, not pruned


async def ensure_topic(
    bootstrap: str, name: str, partitions: int, replication_factor: int, compacted: bool = True
) -> None:
    """Create ``name`` (with ``cleanup.policy=compact`` when ``compacted``) unless it exists."""
    await ensure_topics(
        bootstrap, {name: TopicSpec(compacted=compacted)}, partitions, replication_factor
    )


async def topic_partitions(bootstrap: str, topic: str) -> list[int]:
    """The partition numbers of ``topic`` (empty when it does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="slawatch-sites")
    try:
        await admin.start()
        described = await admin.describe_topics([topic])
    except KafkaError as exc:
        raise UserError(f"cannot describe topic {topic!r} on {bootstrap}: {exc}") from None
    finally:
        await admin.close()
    return sorted(
        p["partition"] for d in described if d["error_code"] == 0 for p in d["partitions"]
    )


async def read_compacted(
    bootstrap: str, topic: str, model: type[_Model], timeout_s: float = 30.0
) -> dict[str, _Model]:
    """Every live entry of a compacted topic (latest value per key; tombstones remove)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    entries: dict[str, _Model] = {}
    try:
        tps = [TopicPartition(topic, p) for p in await topic_partitions(bootstrap, topic)]
        await consumer.start()
        # aiokafka 0.14: stop() right after start() re-raises the cancellation of a
        # background task that never ran; one turn of the loop lets it start.
        await asyncio.sleep(0)
        if not tps:
            return entries
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise UserError(f"reading topic {topic!r} did not reach its end in {timeout_s} s")
            batches = await consumer.getmany(*pending, timeout_ms=1000)
            for messages in batches.values():
                for message in messages:
                    _apply_message(entries, message.key, message.value, model, topic)
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    except KafkaError as exc:
        raise UserError(f"cannot read topic {topic!r} on {bootstrap}: {exc}") from None
    finally:
        await consumer.stop()
    return entries


def _apply_message(
    entries: dict[str, _Model],
    key: bytes | None,
    value: bytes | None,
    model: type[_Model],
    topic: str,
) -> None:
    if key is None:
        return
    ident = key.decode("utf-8", errors="replace")
    if value is None:
        entries.pop(ident, None)
        return
    try:
        entries[ident] = model.model_validate_json(value)
    except ValidationError as exc:
        log.warning("topic %s: skipping undecodable entry %r: %s", topic, ident, exc)


def plan(current: dict[str, _Model], wanted: dict[str, _Model], prune: bool) -> ApplyReport:
    """What must be written so that the topic holds ``wanted``."""
    report = ApplyReport()
    for ident, entry in wanted.items():
        if ident not in current:
            report.added.append(ident)
        elif current[ident] != entry:
            report.changed.append(ident)
        else:
            report.unchanged.append(ident)
    for ident in sorted(current):
        if ident not in wanted:
            (report.removed if prune else report.kept).append(ident)
    return report


def client_json(client: Client) -> bytes:
    """A client's JSON for the topic; the private-page token never goes to Kafka."""
    return client.model_copy(update={"token": None}).model_dump_json().encode()


async def apply_sites(
    bootstrap: str,
    sites_file: SitesFile,
    *,
    sites_topic: str,
    clients_topic: str,
    partitions: int = 6,
    replication_factor: int = 1,
    prune: bool = False,
    dry_run: bool = False,
) -> tuple[ApplyReport, ApplyReport]:
    """Bring the topics in line with the file; returns the reports for sites and clients."""
    for topic in (sites_topic, clients_topic):
        await ensure_topic(bootstrap, topic, partitions, replication_factor)
    current_sites = await read_compacted(bootstrap, sites_topic, Site)
    current_clients = await read_compacted(bootstrap, clients_topic, Client)
    wanted_clients = {c.id: c.model_copy(update={"token": None}) for c in sites_file.clients}
    site_report = plan(current_sites, {s.id: s for s in sites_file.sites}, prune)
    client_report = plan(current_clients, wanted_clients, prune)
    if dry_run:
        return site_report, client_report
    by_id = {s.id: s for s in sites_file.sites}
    records: list[tuple[str, str, bytes | None]] = []
    records += [(clients_topic, i, client_json(wanted_clients[i])) for i in _writes(client_report)]
    records += [(sites_topic, i, by_id[i].model_dump_json().encode()) for i in _writes(site_report)]
    records += [(sites_topic, i, None) for i in site_report.removed]
    records += [(clients_topic, i, None) for i in client_report.removed]  # after their sites
    await _produce(bootstrap, records)
    return site_report, client_report


def _writes(report: ApplyReport) -> list[str]:
    return report.added + report.changed


async def _produce(bootstrap: str, records: list[tuple[str, str, bytes | None]]) -> None:
    if not records:
        return
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", client_id="slawatch-sites"
    )
    try:
        await producer.start()
        futures = [await producer.send(t, key=k.encode(), value=v) for t, k, v in records]
        for future in futures:
            await future
    except KafkaError as exc:
        raise UserError(f"cannot write the sites to {bootstrap}: {exc}") from None
    finally:
        await producer.stop()
