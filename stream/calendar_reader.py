"""Every worker reads the whole ``maintenance`` and ``exclusions`` topics into a Calendar.

Both topics are small and compacted, so each worker keeps all of them in memory with a
plain consumer of its own (no group: every worker sees every message), from the start of
the topics. A message that is not a valid event goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from sla.model import ExclusionEvent, MaintenanceEvent
from stream.messages import DeadLetter, decode_error
from stream.processor import Calendar

log = logging.getLogger(__name__)

DeadLetterSink = Callable[[bytes | None, bytes], None]


def apply_record(
    calendar: Calendar,
    record: ConsumerRecord[bytes, bytes],
    maintenance_topic: str,
    dead_letter: DeadLetterSink,
) -> None:
    """Decode one calendar message into ``calendar`` (or send it to the dead letters)."""
    is_maintenance = record.topic == maintenance_topic
    model = "MaintenanceEvent" if is_maintenance else "ExclusionEvent"
    if record.value is None:
        # A window is withdrawn with cancelled=true, never deleted: a tombstone would make
        # the month's figures change silently once the topic is compacted.
        reason = f"empty record (tombstone): a {model} is cancelled, never deleted"
        _send_dead_letter(record, reason, dead_letter)
        return
    try:
        if is_maintenance:
            calendar.put_maintenance(MaintenanceEvent.model_validate_json(record.value))
        else:
            calendar.put_exclusion(ExclusionEvent.model_validate_json(record.value))
    except ValidationError as exc:
        _send_dead_letter(record, decode_error(exc, model), dead_letter)


def _send_dead_letter(
    record: ConsumerRecord[bytes, bytes], reason: str, dead_letter: DeadLetterSink
) -> None:
    letter = DeadLetter(
        source=f"{record.topic}/{record.partition}/{record.offset}",
        key=None if record.key is None else record.key.decode(errors="replace"),
        reason=reason,
        value=(record.value or b"")[:40000].decode(errors="replace")[:10000],
        received_at=datetime.now(UTC),
    )
    dead_letter(record.key, letter.model_dump_json().encode())


async def read_calendar(
    bootstrap: str,
    maintenance_topic: str,
    exclusions_topic: str,
    calendar: Calendar,
    dead_letter: DeadLetterSink,
    loaded: asyncio.Event | None = None,
) -> None:
    """Follow both topics forever; set ``loaded`` once the existing messages are applied."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # learn of topics not subscribed to
        parts = [
            TopicPartition(topic, p)
            for topic in (maintenance_topic, exclusions_topic)
            for p in sorted(consumer.partitions_for_topic(topic) or {0})
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    apply_record(calendar, record, maintenance_topic, dead_letter)
            if loaded is not None and not loaded.is_set():
                positions = {tp: await consumer.position(tp) for tp in parts}
                if all(positions[tp] >= ends[tp] for tp in parts):
                    log.info(
                        "calendar loaded: %d maintenance windows, %d exclusions",
                        len(calendar.maintenance),
                        len(calendar.exclusions),
                    )
                    loaded.set()
    finally:
        await consumer.stop()
