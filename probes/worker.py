"""A region worker: joins ``probes-<region>``, checks the sites of its partitions, publishes.

Design: the worker consumes the compacted ``sites`` topic in the consumer group
``probes-<region>``. The partitions Kafka assigns it *are* its share of the sites. It never
commits offsets: on every assignment it seeks the assigned partitions to the beginning and
rebuilds their sites from the compacted log, so no state has to survive a rebalance. On
revoke it stops the loops of those partitions' sites before the partitions move (Kafka's
eager rebalance), so no site is ever checked by two workers of a region at once. A worker
that dies stops heartbeating; after ``session_timeout_ms`` the group rebalances and the
survivors pick its partitions up, reading them from the beginning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from probes.http import new_session
from probes.publisher import ResultPublisher
from probes.reference import ReferenceChecker
from probes.runner import CheckRunner
from probes.scheduler import Clock, Scheduler
from probes.settings import ProbeSettings
from probes.site_topic import ensure_topic
from probes.sites import Site
from probes.stats import ProbeStats
from sla.model import CheckResult
from slawatch.dead_letters import dead_letter_json
from slawatch.errors import UserError

log = logging.getLogger(__name__)
_PRODUCER_STOP_S = 5.0
_STATS_LOG_INTERVAL_S = 60.0


def default_worker_id(region: str) -> str:
    """``<region>-<host>-<pid>``: unique per process, readable in results."""
    return f"{region}-{socket.gethostname()}-{os.getpid()}"


def group_id(region: str, prefix: str = "") -> str:
    """The consumer group of a region's workers (under the deployment's topic prefix)."""
    return f"{prefix}probes-{region}"


@dataclass(frozen=True)
class WorkerSpec:
    """Where a worker runs and what it talks to."""

    bootstrap: str
    region: str
    sites_topic: str
    results_topic: str
    worker_id: str
    group_id: str
    reference_targets: tuple[str, ...] = ()
    reference_interval_s: float = 30.0
    partitions: int = 6  # of the topics, when the worker has to create them
    replication_factor: int = 1
    # Where an entry of the sites topic that is not a valid site is reported (None: logged).
    dead_letter_topic: str | None = None


class _SiteTable:
    """The live sites of the assigned partitions, fed to the scheduler."""

    def __init__(self, region: str, scheduler: Scheduler) -> None:
        self._region = region
        self._scheduler = scheduler
        self._by_partition: dict[TopicPartition, set[str]] = defaultdict(set)
        self._assigned: set[TopicPartition] = set()

    def assign(self, partitions: set[TopicPartition]) -> None:
        """Partitions now ours: their entries are applied (they are read from the start)."""
        self._assigned |= partitions

    def drop(self, partitions: set[TopicPartition]) -> None:
        """Partitions no longer ours: stop their sites, ignore their entries from now on."""
        self._assigned -= partitions
        for tp in partitions:
            for site_id in self._by_partition.pop(tp, set()):
                self._scheduler.remove(site_id)

    def apply(self, tp: TopicPartition, key: bytes | None, value: bytes | None) -> str | None:
        """Apply one entry; the reason when it is not a valid site (it is then not checked)."""
        if tp not in self._assigned:
            # Fetched before a revoke and handed over after it: the partition may be another
            # worker's now, and starting its site here would check it twice. When it is ours
            # again it is re-read from the beginning anyway.
            return None
        if key is None:
            return "entry without a key: sites are keyed by their id"
        site_id = key.decode("utf-8", errors="replace")
        site, reason = _decode_site(value)
        if reason is not None:
            log.error(
                "sites topic: entry %r is not a valid site, not checking it: %s", site_id, reason
            )
        if site is None or (site.regions is not None and self._region not in site.regions):
            self._by_partition[tp].discard(site_id)
            self._scheduler.remove(site_id)
            return reason
        self._by_partition[tp].add(site_id)
        self._scheduler.upsert(site)
        return None


def _decode_site(value: bytes | None) -> tuple[Site | None, str | None]:
    if value is None:
        return None, None  # tombstone: the site was removed (sites apply --prune)
    try:
        return Site.model_validate_json(value), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(message)"
        return None, f"invalid Site: {where}: {first['msg']}"


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, worker: ProbeWorker) -> None:
        self._worker = worker

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._worker.table.drop(set(revoked))
        log.info("revoked %d partitions", len(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self._worker.consumer
        if assigned and consumer is not None:
            await consumer.seek_to_beginning(*assigned)
        self._worker.table.assign(set(assigned))
        log.info("assigned partitions %s", sorted(tp.partition for tp in assigned))


class ProbeWorker:
    """One worker process of a region. ``run(stop)`` until ``stop`` is set."""

    def __init__(
        self,
        spec: WorkerSpec,
        settings: ProbeSettings | None = None,
        stats: ProbeStats | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings or ProbeSettings()
        self.stats = stats or ProbeStats()
        self.buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=self.settings.buffer_size)
        self._clock = clock
        self.consumer: AIOKafkaConsumer | None = None
        self.scheduler: Scheduler | None = None
        self.table: _SiteTable
        self._results_producer: AIOKafkaProducer | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Join the group, check the assigned sites, publish; leave cleanly when stopped."""
        spec = self.spec
        # Created here too, so that a broker's auto-creation never makes "sites" uncompacted.
        await ensure_topic(
            spec.bootstrap, spec.sites_topic, spec.partitions, spec.replication_factor
        )
        await ensure_topic(
            spec.bootstrap, spec.results_topic, spec.partitions, spec.replication_factor, False
        )
        session = new_session()
        producer = self._producer()
        self._results_producer = producer
        try:
            await _start(producer, self.spec.bootstrap)
            await self._run_with(session, producer, stop)
        finally:
            # What was not delivered is already counted as shed; do not wait for Kafka forever.
            with contextlib.suppress(TimeoutError, KafkaError):
                await asyncio.wait_for(producer.stop(), _PRODUCER_STOP_S)
            await session.close()

    async def _run_with(
        self, session: aiohttp.ClientSession, producer: AIOKafkaProducer, stop: asyncio.Event
    ) -> None:
        reference = ReferenceChecker(
            list(self.spec.reference_targets),
            session,
            self.stats,
            interval_s=self.spec.reference_interval_s,
        )
        await reference.check_round()  # the first results already carry the region's state
        runner = CheckRunner(region=self.spec.region, worker=self.spec.worker_id, session=session)

        async def check(site: Site, scheduled_at: datetime) -> CheckResult:
            return await runner.run(site, scheduled_at, reference.ok)

        self.scheduler = Scheduler(
            check, self.buffer, self.stats, self._clock, self.settings.max_concurrent_checks
        )
        self.table = _SiteTable(self.spec.region, self.scheduler)
        publisher = ResultPublisher(
            producer,
            self.spec.results_topic,
            self.buffer,
            self.stats,
            max_in_flight=self.settings.buffer_size,
        )
        publisher.start()  # stopped by flush() below, after the last check
        background = [
            asyncio.create_task(reference.run(), name="reference"),
            asyncio.create_task(self._log_stats(), name="stats-log"),
        ]
        try:
            await self._consume(stop)
        finally:
            await self.scheduler.stop()  # no-op when _consume stopped it already
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await publisher.flush(self.settings.shutdown_flush_s)
            log.info("worker %s stopped: %s", self.spec.worker_id, self.stats.snapshot())

    async def _consume(self, stop: asyncio.Event) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.spec.bootstrap,
            group_id=self.spec.group_id,
            client_id=self.spec.worker_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.settings.session_timeout_ms,
            heartbeat_interval_ms=self.settings.heartbeat_interval_ms,
        )
        self.consumer.subscribe([self.spec.sites_topic], listener=_Rebalance(self))
        await _start(self.consumer, self.spec.bootstrap)
        try:
            stopping = asyncio.create_task(stop.wait())
            while not stop.is_set():
                fetch = asyncio.create_task(self.consumer.getmany(timeout_ms=500))
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    break
                for tp, messages in fetch.result().items():
                    for message in messages:
                        reason = self.table.apply(tp, message.key, message.value)
                        if reason is not None:
                            await self._dead_letter(message, reason)
            stopping.cancel()
        finally:
            if self.scheduler is not None:
                await self.scheduler.stop()  # before leaving: never two workers on one site
            await self.consumer.stop()  # leaves the group: the others take over at once

    async def _dead_letter(self, message: ConsumerRecord, reason: str) -> None:
        """Report a refused sites entry on the dead-letter topic (best effort: it is logged)."""
        topic = self.spec.dead_letter_topic
        if topic is None or self._results_producer is None:
            return
        letter = dead_letter_json(
            component=f"probe-worker {self.spec.worker_id}",
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value,
            reason=reason,
            at=datetime.now(UTC),
        )
        key = f"{message.topic}|{message.partition}|{message.offset}".encode()
        try:
            await asyncio.wait_for(
                self._results_producer.send_and_wait(topic, letter, key=key), _PRODUCER_STOP_S
            )
        except (TimeoutError, KafkaError) as exc:
            log.warning("could not dead-letter sites entry at offset %d: %s", message.offset, exc)

    async def _log_stats(self) -> None:
        while True:
            await asyncio.sleep(_STATS_LOG_INTERVAL_S)
            sites = len(self.scheduler.site_ids) if self.scheduler else 0
            log.info("%d sites; %s", sites, self.stats.snapshot())

    def _producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.spec.bootstrap,
            client_id=self.spec.worker_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=self.settings.linger_ms,
            request_timeout_ms=self.settings.request_timeout_ms,
        )


async def _start(client: AIOKafkaProducer | AIOKafkaConsumer, bootstrap: str) -> None:
    try:
        await client.start()
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {bootstrap}: {exc}") from None
