"""The notifier: a consumer group over ``alerts`` and ``maintenance`` feeding every channel.

Per record: decode (a bad record goes to the dead-letter topic with its error), then for
each channel and target not yet in the delivery log, try to send with exponential backoff
up to ``max_attempts``; a success is logged as ``delivered``, an exhausted one is
published to ``notify-dead-letter`` and logged as ``dead-lettered``. Only when every
delivery of a batch is logged are the offsets committed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from slawatch import topics
from slawatch.dead_letters import quote
from slawatch.notify import metrics
from slawatch.notify.channel import Channel, DeliveryFailed
from slawatch.notify.deliveries import DeliveryLog
from slawatch.notify.notices import BadNotice, Notice, decode
from slawatch.notify.settings import NotifySettings
from slawatch.notify.topics import DELIVERIES, NOTIFY_DEAD_LETTER, ensure_topics

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Notifier:
    """Delivers every notice once per channel and target; ``run()`` until ``stop()``."""

    def __init__(
        self,
        bootstrap: str,
        settings: NotifySettings,
        channels: Sequence[Channel],
        *,
        topic_prefix: str = "",
        partitions: int = 1,
        replication: int = 1,
        clock: Clock = _utc_now,
    ) -> None:
        self._bootstrap = bootstrap
        self._settings = settings
        self._channels = list(channels)
        self._clock = clock
        self._topic_layout = (partitions, replication)
        self._kinds = {
            topics.topic(topics.ALERTS, topic_prefix): "alert",
            topics.topic(topics.MAINTENANCE, topic_prefix): "maintenance",
        }
        self._dead_letter = topics.topic(NOTIFY_DEAD_LETTER, topic_prefix)
        self.log = DeliveryLog(bootstrap, topics.topic(DELIVERIES, topic_prefix))
        self._stopping = asyncio.Event()
        self.delivered = 0
        self.dead_lettered = 0

    def stop(self) -> None:
        """Ask ``run()`` to finish its current batch and return."""
        self._stopping.set()

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Consume and deliver until :meth:`stop`; ``ready`` is set once consuming."""
        await ensure_topics(
            self._bootstrap,
            {**dict.fromkeys(self._kinds, False), self.log.topic: True, self._dead_letter: False},
            partitions=self._topic_layout[0],
            replication=self._topic_layout[1],
        )
        known = await self.log.load()
        log.info("notifier: %d deliveries in the log", known)
        producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all")
        consumer = AIOKafkaConsumer(
            *self._kinds,
            bootstrap_servers=self._bootstrap,
            group_id=self._settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await producer.start()
        await consumer.start()
        try:
            if ready is not None:
                ready.set()
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=100)
                for records in batch.values():
                    for record in records:
                        await self._handle(producer, record)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()
            await producer.stop()

    async def _handle(self, producer: AIOKafkaProducer, record: ConsumerRecord) -> None:
        kind = self._kinds[record.topic]
        try:
            notice = decode(kind, record.value)
        except BadNotice as exc:
            where = f"{record.topic}[{record.partition}]@{record.offset}"
            log.warning("notifier: skipping %s: %s", where, exc)
            metrics.BAD_RECORDS.labels(kind).inc()
            await self._dead_letter_record(producer, where, str(exc), record.value)
            return
        for channel in self._channels:
            for target in channel.targets(notice):
                key = f"{channel.name}|{target}|{notice.key}"
                if key not in self.log.delivered:
                    await self._deliver(producer, channel, notice, target, key)

    async def _deliver(
        self, producer: AIOKafkaProducer, channel: Channel, notice: Notice, target: str, key: str
    ) -> None:
        delay = self._settings.retry_initial_seconds
        error = ""
        for attempt in range(1, self._settings.max_attempts + 1):
            started = time.monotonic()
            try:
                await channel.send(notice, target, key)
            except DeliveryFailed as exc:
                metrics.SEND_SECONDS.labels(channel.name).observe(time.monotonic() - started)
                error = str(exc)
                log.warning("notifier: %s attempt %d failed: %s", key, attempt, error)
                if attempt < self._settings.max_attempts:
                    metrics.RETRIED.labels(channel.name).inc()
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._settings.retry_max_seconds)
                continue
            metrics.SEND_SECONDS.labels(channel.name).observe(time.monotonic() - started)
            await self.log.record(producer, key, "delivered", self._clock())
            self.delivered += 1
            metrics.DELIVERED.labels(channel.name, _kind(notice)).inc()
            return
        await self._dead_letter_record(producer, key, error, _notice_json(notice))
        await self.log.record(producer, key, "dead-lettered", self._clock(), error)
        self.dead_lettered += 1
        metrics.DEAD_LETTERED.labels(channel.name).inc()

    async def _dead_letter_record(
        self, producer: AIOKafkaProducer, key: str, error: str, raw: bytes | None
    ) -> None:
        value = {
            "key": key,
            "error": error,
            "at": self._clock().isoformat(),
            # bounded: a huge bad record must not make an unpublishable dead letter
            "message": quote(raw or b""),
            "message_bytes": len(raw or b""),
        }
        await producer.send_and_wait(
            self._dead_letter, json.dumps(value).encode(), key=key.encode()
        )


def _notice_json(notice: Notice) -> bytes:
    message = notice.alert if notice.alert is not None else notice.maintenance
    assert message is not None
    return message.model_dump_json().encode()


def _kind(notice: Notice) -> str:
    return "alert" if notice.alert is not None else "maintenance"
