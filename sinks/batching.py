"""The batching base every sink shares (architecture guideline 5).

``add()`` buffers a decoded record, ``due()`` says when the batch is full or old enough,
``flush()`` hands the whole batch to ``write()`` and, only when that returned, gives back
the offsets that may now be committed. ``write(batch)`` is the one method a backend
implements; it must be idempotent (the same batch may be written again after a crash).
If ``write()`` raises, the batch stays buffered, unchanged and in order, for the next try.
The clock is passed in (``now`` in seconds, e.g. ``time.monotonic()``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    """One consumed Kafka record: its coordinates, and its row (or why it has none)."""

    topic: str
    partition: int
    offset: int
    table: str | None
    row: dict[str, Any] | None = None
    error: str | None = None  # set for a malformed message (goes to the dead-letter topic)
    raw: bytes | None = None
    key: bytes | None = None


@dataclass
class Batch:
    """The records of one flush, in consumption order."""

    records: list[Record] = field(default_factory=list)

    def rows_by_table(self) -> dict[str, list[dict[str, Any]]]:
        """Rows grouped per table, each group in consumption order."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for record in self.records:
            if record.table is not None and record.row is not None:
                grouped.setdefault(record.table, []).append(record.row)
        return grouped

    def dead_letters(self) -> list[Record]:
        """The malformed records of this batch."""
        return [r for r in self.records if r.error is not None]

    def offsets_to_commit(self) -> dict[tuple[str, int], int]:
        """Per (topic, partition): the next offset to read once this batch is stored."""
        offsets: dict[tuple[str, int], int] = {}
        for record in self.records:
            tp = (record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        return offsets


class BatchingSink(ABC):
    """Buffers records and writes them in batches by size and by age."""

    def __init__(self, max_rows: int, max_seconds: float) -> None:
        if max_rows < 1 or max_seconds <= 0:
            raise ValueError("max_rows must be ≥ 1 and max_seconds > 0")
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self._batch = Batch()
        self._first_added_at: float | None = None

    def __len__(self) -> int:
        return len(self._batch.records)

    def buffered(self) -> Batch:
        """The batch being built (read-only use: dead letters to send before the flush)."""
        return self._batch

    def room(self) -> int:
        """How many more records fit before the batch is full."""
        return max(0, self.max_rows - len(self._batch.records))

    def add(self, record: Record, now: float) -> None:
        """Buffer one record (never writes; call ``flush()`` when ``due()``)."""
        if not self._batch.records:
            self._first_added_at = now
        self._batch.records.append(record)

    def extend(self, records: Sequence[Record], now: float) -> None:
        """Buffer several records in order."""
        for record in records:
            self.add(record, now)

    def due(self, now: float) -> bool:
        """Whether the batch is full, or its oldest record waited ``max_seconds``."""
        if not self._batch.records:
            return False
        if len(self._batch.records) >= self.max_rows:
            return True
        assert self._first_added_at is not None
        return now - self._first_added_at >= self.max_seconds

    def flush(self) -> Batch:
        """Write the buffered batch; return it (its offsets may be committed now).

        If ``write`` raises, the batch stays buffered as it was and the error propagates.
        """
        batch = self._batch
        if batch.records:
            self.write(batch)
        self._batch = Batch()
        self._first_added_at = None
        return batch

    def discard(self, partitions: set[tuple[str, int]]) -> int:
        """Drop buffered records of partitions this consumer lost; returns how many.

        Safe because they were not committed: the partitions' new owner reads them again.
        """
        kept = [r for r in self._batch.records if (r.topic, r.partition) not in partitions]
        dropped = len(self._batch.records) - len(kept)
        self._batch = Batch(kept)
        if not kept:
            self._first_added_at = None
        return dropped

    @abstractmethod
    def write(self, batch: Batch) -> None:
        """Store every row of ``batch`` durably and idempotently, or raise."""
