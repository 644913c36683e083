"""The batching base: size and age triggers, retry keeps the batch, offsets after write."""

from __future__ import annotations

import pytest

from sinks.batching import Batch, BatchingSink, Record


class ListSink(BatchingSink):
    def __init__(self, max_rows: int = 3, max_seconds: float = 1.0, fail: int = 0) -> None:
        super().__init__(max_rows, max_seconds)
        self.written: list[list[Record]] = []
        self.fail = fail

    def write(self, batch: Batch) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("store away")
        self.written.append(list(batch.records))


def rec(offset: int, partition: int = 0, topic: str = "probe-results") -> Record:
    return Record(topic, partition, offset, "probe_results", {"n": offset})


def test_due_by_size() -> None:
    sink = ListSink(max_rows=3, max_seconds=60)
    sink.extend([rec(0), rec(1)], now=0.0)
    assert not sink.due(0.0)
    sink.add(rec(2), now=0.0)
    assert sink.due(0.0)
    assert sink.room() == 0


def test_due_by_age_of_oldest_record() -> None:
    sink = ListSink(max_rows=100, max_seconds=1.0)
    assert not sink.due(10.0)  # empty never due
    sink.add(rec(0), now=10.0)
    sink.add(rec(1), now=10.9)
    assert not sink.due(10.99)
    assert sink.due(11.0)


def test_failed_write_keeps_batch_in_order_then_commits_offsets() -> None:
    sink = ListSink(max_rows=10, fail=2)
    sink.extend([rec(5), rec(3, partition=1), rec(6), rec(4, partition=1)], now=0.0)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            sink.flush()
        assert len(sink) == 4
    batch = sink.flush()
    assert [r.offset for r in sink.written[0]] == [5, 3, 6, 4]
    assert batch.offsets_to_commit() == {("probe-results", 0): 7, ("probe-results", 1): 5}
    assert len(sink) == 0 and not sink.due(100.0)


def test_discard_revoked_partitions_only() -> None:
    sink = ListSink(max_rows=10)
    sink.extend([rec(0), rec(0, partition=1), rec(1)], now=0.0)
    assert sink.discard({("probe-results", 0)}) == 2
    assert [(r.partition, r.offset) for r in sink.buffered().records] == [(1, 0)]


def test_dead_letters_and_rows_grouped() -> None:
    bad = Record("outages", 0, 9, None, error="Outage: id: Field required")
    batch = Batch([rec(0), bad, Record("outages", 0, 10, "outages", {"id": "x"})])
    assert batch.dead_letters() == [bad]
    assert batch.rows_by_table() == {"probe_results": [{"n": 0}], "outages": [{"id": "x"}]}
    assert batch.offsets_to_commit()[("outages", 0)] == 11


@pytest.mark.parametrize(("rows", "seconds"), [(0, 1.0), (1, 0.0)])
def test_rejects_bad_limits(rows: int, seconds: float) -> None:
    with pytest.raises(ValueError, match="max_rows"):
        ListSink(max_rows=rows, max_seconds=seconds)
