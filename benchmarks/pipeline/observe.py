"""What the benchmark sees on Kafka: offsets over time and the first outage/alert per site.

* :class:`OffsetSampler` reads, every few seconds, the end offsets of ``probe-results`` (what
  the probes published) and the offsets the stream worker's and the sink's groups committed
  on it (what they consumed / stored), hence each stage's progress and consumer lag.
* :class:`EventWatcher` reads ``outages`` and ``alerts`` from the beginning and keeps, per
  site, the Kafka timestamp of the first opened outage and the first firing site-down alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from sla.alerts import SITE_DOWN
from sla.model import Alert, AlertState, Outage, OutageState

log = logging.getLogger("bench.pipeline")


@dataclass(frozen=True)
class OffsetSample:
    """Offsets of the results topic at one instant (``time.time()``)."""

    at: float
    produced: int
    committed: dict[str, int]  # stage name → offsets its group committed on the topic

    def lag(self, stage: str) -> int:
        """Results published but not yet committed by ``stage``."""
        return max(0, self.produced - self.committed.get(stage, 0))


@dataclass
class OffsetSampler:
    """Samples ``topic``'s end offsets and the ``groups``' commits on it."""

    bootstrap: str
    topic: str
    groups: dict[str, str]  # stage name → consumer group id
    every_s: float = 2.0
    samples: list[OffsetSample] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until ``stop`` is set (a failed sample is skipped, not fatal)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)
        await admin.start()
        await consumer.start()
        try:
            while not stop.is_set():
                try:
                    self.samples.append(await self._sample(admin, consumer))
                except Exception as exc:  # a slow broker delays a sample; it does not end the run
                    log.warning("offset sample failed: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.every_s)
        finally:
            await consumer.stop()
            await admin.close()

    async def _sample(self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer) -> OffsetSample:
        partitions = consumer.partitions_for_topic(self.topic)
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        ends = await consumer.end_offsets(tps) if tps else {}
        committed: dict[str, int] = {}
        for stage, group in self.groups.items():
            offsets = await admin.list_consumer_group_offsets(group)
            committed[stage] = sum(
                meta.offset
                for tp, meta in offsets.items()
                if tp.topic == self.topic and meta.offset > 0
            )
        return OffsetSample(at=time.time(), produced=sum(ends.values()), committed=committed)


@dataclass
class EventWatcher:
    """First opened outage and first firing site-down alert per site, with Kafka timestamps."""

    bootstrap: str
    outages_topic: str
    alerts_topic: str
    first_outage: dict[str, float] = field(default_factory=dict)  # site → record time (s)
    outage_start: dict[str, float] = field(default_factory=dict)  # site → confirmed start
    first_alert: dict[str, float] = field(default_factory=dict)
    undecodable: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Read both topics from their beginning until ``stop``."""
        consumer = AIOKafkaConsumer(
            self.outages_topic,
            self.alerts_topic,
            bootstrap_servers=self.bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            metadata_max_age_ms=2000,  # the topics may appear after we subscribe
        )
        await consumer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batches.values():
                    for record in records:
                        self.apply(record.topic, record.value, record.timestamp / 1000)
        finally:
            await consumer.stop()

    def apply(self, topic: str, value: bytes | None, at: float) -> None:
        """Take one record of either topic into account."""
        if value is None:
            return
        try:
            if topic == self.outages_topic:
                outage = Outage.model_validate_json(value)
                if outage.state == OutageState.OPENED and outage.site not in self.first_outage:
                    self.first_outage[outage.site] = at
                    self.outage_start[outage.site] = outage.start.timestamp()
            elif topic == self.alerts_topic:
                alert = Alert.model_validate_json(value)
                firing = alert.rule == SITE_DOWN and alert.state == AlertState.FIRING
                if firing and alert.site is not None and alert.site not in self.first_alert:
                    self.first_alert[alert.site] = at
        except ValidationError:
            self.undecodable += 1
