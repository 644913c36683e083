"""The alert engine's Kafka loop (plain aiokafka; one engine instance per ``state_key``).

Inputs: ``outages``, ``ledger``, ``maintenance``, ``probe-results`` (reference checks),
``snapshots`` and ``support``; output: ``alerts`` (keyed by alert id). The evaluator's
whole state is snapshotted, *together with the input offsets it reflects*, to the compacted
topic ``alert-engine-state`` (compressed and chunked, :mod:`slawatch.alerting.snapshot`, so
no record nears Kafka's message size limit); on start the engine restores the latest
snapshot and seeks every input partition to the recorded offset, so a restart neither
forgets an open alert nor re-fires it. A snapshot that cannot be written is logged as an
error and retried; the engine goes on, and the last complete snapshot stays valid.
A crash after publishing alerts but before the next snapshot may publish them again:
alert ids are deterministic, so the store and the notifiers deduplicate them. An input
record that does not decode (or has no value) is published to ``dead-letter``
(:mod:`slawatch.dead_letters`, component ``alert-engine``) with the reason, and skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from sla.contract import Contract
from slawatch import topics
from slawatch.alerting import metrics, snapshot
from slawatch.alerting.evaluator import AlertEvaluator, EngineState, Kind
from slawatch.alerting.settings import AlertingSettings
from slawatch.dead_letters import dead_letter_json
from slawatch.notify.topics import ensure_topics, partitions_of

log = logging.getLogger(__name__)
STATE_TOPIC = "alert-engine-state"
FINAL_SNAPSHOT_ATTEMPTS = 3  # on stop; a failure then leaves the previous snapshot in force
FINAL_SNAPSHOT_RETRY_SECONDS = 1.0
INPUTS: dict[str, Kind] = {
    topics.OUTAGES: "outage",
    topics.LEDGER: "ledger",
    topics.MAINTENANCE: "maintenance",
    topics.PROBE_RESULTS: "probe",
    topics.SNAPSHOTS: "snapshot",
    topics.SUPPORT: "support",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertEngine:
    """Consumes the inputs, evaluates, publishes alerts, snapshots its state."""

    def __init__(
        self,
        bootstrap: str,
        contract: Contract,
        settings: AlertingSettings,
        *,
        site_clients: dict[str, str] | None = None,
        topic_prefix: str = "",
        partitions: int = 1,
        replication: int = 1,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._bootstrap = bootstrap
        self._settings = settings
        self._contract = contract
        self._site_clients = site_clients or {}
        self._clock = clock
        self._layout = (partitions, replication)
        self._inputs = {topics.topic(name, topic_prefix): kind for name, kind in INPUTS.items()}
        self._alerts_topic = topics.topic(topics.ALERTS, topic_prefix)
        self._state_topic = topics.topic(STATE_TOPIC, topic_prefix)
        self._dead_letter_topic = topics.topic(topics.DEAD_LETTER, topic_prefix)
        self._stopping = asyncio.Event()
        self.evaluator: AlertEvaluator | None = None
        self.published = 0
        self.rejected = 0
        self.snapshot_failures = 0
        self._live_chunks: list[bytes] = []  # the chunk keys of the latest complete snapshot
        self._stale_chunks: set[bytes] = set()  # chunk keys to delete (tombstones)

    def stop(self) -> None:
        """Finish the current batch, write a last snapshot and return from ``run()``."""
        self._stopping.set()

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Run until :meth:`stop`; ``ready`` is set once the inputs are assigned."""
        partitions, replication = self._layout
        await ensure_topics(
            self._bootstrap,
            {
                **dict.fromkeys(self._inputs, False),
                self._alerts_topic: False,
                self._state_topic: True,
                self._dead_letter_topic: False,
            },
            partitions=partitions,
            replication=replication,
        )
        state = await self._restore()
        self.evaluator = AlertEvaluator(self._contract, self._settings, self._site_clients, state)
        producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all")
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await producer.start()
        await consumer.start()
        try:
            await self._assign(consumer, state)
            if ready is not None:
                ready.set()
            await self._loop(consumer, producer)
            await self._final_snapshot(producer)
        finally:
            await consumer.stop()
            await producer.stop()

    async def _loop(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        assert self.evaluator is not None
        last_snapshot = time.monotonic()
        tick_ms = int(min(self._settings.tick_seconds, 1.0) * 1000)
        last_tick = 0.0
        while not self._stopping.is_set():
            batch = await consumer.getmany(timeout_ms=tick_ms, max_records=5000)
            now = self._clock()
            for partition, records in batch.items():
                for record in records:
                    reason = self._apply(record.topic, record.value, now)
                    if reason is not None:
                        await self._dead_letter(producer, record, reason, now)
                key = f"{partition.topic}:{partition.partition}"
                self.evaluator.state.offsets[key] = records[-1].offset + 1
            # Probe results stream in all the time and only feed the (slow-moving) region
            # check: they alone wait for the tick, so a busy fleet does not re-evaluate every
            # site on every poll. Any other input (an outage, a ledger row, …) is evaluated
            # at once. The evaluation runs in a thread: it can take seconds on a large fleet
            # and must not hold the event loop that `slawatch run` shares with other parts.
            urgent = any(self._inputs[tp.topic] != "probe" for tp in batch)
            if urgent or time.monotonic() - last_tick >= self._settings.tick_seconds:
                last_tick = time.monotonic()
                with metrics.EVALUATION_SECONDS.time():
                    alerts = await asyncio.to_thread(self.evaluator.tick, now)
                for alert in alerts:
                    await producer.send_and_wait(
                        self._alerts_topic,
                        alert.model_dump_json().encode(),
                        key=alert.id.encode(),
                    )
                    metrics.PUBLISHED.labels(alert.rule, alert.severity, alert.state).inc()
                self.published += len(alerts)
                if alerts or time.monotonic() - last_snapshot >= self._settings.snapshot_seconds:
                    # On failure too: the next attempt comes snapshot_seconds later.
                    await self._snapshot(producer)
                    last_snapshot = time.monotonic()

    def _apply(self, topic: str, raw: bytes | None, now: datetime) -> str | None:
        """Apply one input record; the reason when it is refused (it is then skipped)."""
        assert self.evaluator is not None
        kind = self._inputs[topic]
        if raw is None:
            self.rejected += 1
            metrics.INPUTS_REJECTED.labels(kind).inc()
            return f"{kind}: empty record (tombstone): the engine's inputs carry no deletions"
        try:
            self.evaluator.apply(kind, raw, now)
        except ValidationError as exc:
            self.rejected += 1
            metrics.INPUTS_REJECTED.labels(kind).inc()
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(message)"
            return f"{kind}: {field}: {first['msg']}"
        metrics.INPUTS.labels(kind).inc()
        return None

    async def _dead_letter(
        self, producer: AIOKafkaProducer, record: ConsumerRecord, reason: str, now: datetime
    ) -> None:
        """Publish a refused record to the dead-letter topic (acknowledged before going on)."""
        log.warning(
            "alert engine: dead-lettered %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
        )
        letter = dead_letter_json(
            component="alert-engine",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            reason=reason,
            at=now,
        )
        key = f"{record.topic}|{record.partition}|{record.offset}".encode()
        await producer.send_and_wait(self._dead_letter_topic, letter, key=key)

    async def _snapshot(self, producer: AIOKafkaProducer) -> bool:
        """Write the state and its offsets; ``False`` (logged, counted) when that fails.

        The chunks are acknowledged before the manifest is written, so a failure part-way
        leaves the previous snapshot (and the offsets it records) the one a restart restores.
        """
        assert self.evaluator is not None
        state_json = self.evaluator.state.model_dump_json().encode()
        compressed = await asyncio.to_thread(snapshot.compress, state_json)
        encoded = snapshot.encode(
            state_json, compressed, self._settings.state_key, uuid.uuid4().hex
        )
        try:
            pending = [
                await producer.send(self._state_topic, value, key=key)
                for key, value in encoded.chunks
            ]
            await asyncio.gather(*pending)
            key, value = encoded.manifest
            await producer.send_and_wait(self._state_topic, value, key=key)
        except KafkaError as exc:
            self.snapshot_failures += 1
            metrics.SNAPSHOT_FAILURES.inc()
            self._stale_chunks.update(k for k, _ in encoded.chunks)
            log.error(
                "alert engine: state snapshot of %d bytes (%d compressed, %d records) failed: "
                "%r; the previous snapshot stays in force, retrying in %.0f s",
                encoded.json_bytes,
                len(compressed),
                len(encoded.records),
                exc,
                self._settings.snapshot_seconds,
            )
            return False
        self._stale_chunks.update(self._live_chunks)
        self._live_chunks = [k for k, _ in encoded.chunks]
        metrics.SNAPSHOTS.inc()
        metrics.SNAPSHOT_BYTES.set(len(compressed))
        await self._delete_stale_chunks(producer)
        return True

    async def _delete_stale_chunks(self, producer: AIOKafkaProducer) -> None:
        """Tombstone chunks no manifest names any more (kept for a later try on failure)."""
        if not self._stale_chunks:
            return
        try:
            pending = [
                await producer.send(self._state_topic, None, key=key)
                for key in sorted(self._stale_chunks)
            ]
            await asyncio.gather(*pending)
        except KafkaError as exc:
            log.warning(
                "alert engine: deleting %d old snapshot chunks failed: %r",
                len(self._stale_chunks),
                exc,
            )
            return
        self._stale_chunks.clear()

    async def _final_snapshot(self, producer: AIOKafkaProducer) -> None:
        """The snapshot on stop, tried a few times; the engine stops cleanly either way."""
        for attempt in range(1, FINAL_SNAPSHOT_ATTEMPTS + 1):
            if await self._snapshot(producer):
                return
            if attempt < FINAL_SNAPSHOT_ATTEMPTS:
                await asyncio.sleep(FINAL_SNAPSHOT_RETRY_SECONDS)
        log.error(
            "alert engine: no snapshot on stop after %d attempts; a restart resumes from the "
            "previous one (inputs since are re-read, alerts may be published again with the "
            "same ids)",
            FINAL_SNAPSHOT_ATTEMPTS,
        )

    async def _restore(self) -> EngineState:
        """The latest snapshot of this engine's key (a fresh state when there is none)."""
        latest = await self._read_state_topic()
        state_key = self._settings.state_key
        state = snapshot.decode(state_key, latest)
        value = latest.get(state_key.encode())
        manifest = snapshot.parse_manifest(value) if value is not None else None
        keep = manifest.snapshot_id if manifest is not None else None
        if manifest is not None:
            self._live_chunks = [
                snapshot.chunk_key(state_key, manifest.snapshot_id, i)
                for i in range(manifest.chunks)
            ]
        self._stale_chunks = snapshot.stale_chunks(state_key, latest, keep)
        if state is None:
            return EngineState()
        log.info("alert engine: restored state at offsets %s", state.offsets)
        return state

    async def _read_state_topic(self) -> dict[bytes, bytes]:
        """The latest value of every key on the state topic (deleted keys left out)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        latest: dict[bytes, bytes] = {}
        try:
            parts = (await partitions_of(self._bootstrap, [self._state_topic])).get(
                self._state_topic, []
            )
            assigned = [TopicPartition(self._state_topic, p) for p in parts]
            if not assigned:
                return latest
            consumer.assign(assigned)  # no committed offsets: reads from the beginning
            ends = await consumer.end_offsets(assigned)
            while any([await consumer.position(tp) < ends[tp] for tp in assigned]):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        if record.key is None:
                            continue
                        if record.value is None:
                            latest.pop(record.key, None)
                        else:
                            latest[record.key] = record.value
        finally:
            await consumer.stop()
        return latest

    async def _assign(self, consumer: AIOKafkaConsumer, state: EngineState) -> None:
        layout = await partitions_of(self._bootstrap, list(self._inputs))
        assigned = [TopicPartition(t, p) for t in self._inputs for p in layout.get(t, [])]
        consumer.assign(assigned)
        # Partitions without a recorded offset start at the beginning (auto_offset_reset).
        for tp in assigned:
            offset = state.offsets.get(f"{tp.topic}:{tp.partition}")
            if offset is not None:
                consumer.seek(tp, offset)
