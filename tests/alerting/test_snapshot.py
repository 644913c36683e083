"""The state snapshot's records: each far below Kafka's message limit, restored exactly."""

from __future__ import annotations

import pytest

from slawatch.alerting import snapshot
from slawatch.alerting.evaluator import EngineState
from tests.alerting.large_state import large_state

KAFKA_DEFAULT_MAX_MESSAGE = 1_048_588  # the broker's message.max.bytes default


def encoded(state: EngineState, snapshot_id: str = "s1") -> snapshot.EncodedSnapshot:
    state_json = state.model_dump_json().encode()
    return snapshot.encode(state_json, snapshot.compress(state_json), "engine", snapshot_id)


def test_a_state_of_100000_sites_fits_in_records_well_under_one_megabyte() -> None:
    state = large_state(100_000)
    records = encoded(state).records
    sizes = [len(key) + len(value) for key, value in records]
    assert len(records) > 2  # it did need more than one chunk
    assert max(sizes) <= snapshot.CHUNK_BYTES + 100
    assert max(sizes) < KAFKA_DEFAULT_MAX_MESSAGE // 3
    restored = snapshot.decode("engine", dict(records))
    assert restored == state
    assert len(restored.burn) == 100_000


def test_an_old_snapshot_in_one_plain_json_record_still_restores() -> None:
    state = large_state(50)
    latest = {b"engine": state.model_dump_json().encode()}
    assert snapshot.decode("engine", latest) == state


def test_no_snapshot_is_none_and_other_keys_are_ignored() -> None:
    other = encoded(large_state(20), "o1")
    assert snapshot.decode("engine", {}) is None
    assert snapshot.decode("other", {b"engine" + k[6:]: v for k, v in other.records}) is None


def test_a_missing_or_corrupt_chunk_is_an_error_not_a_silent_fresh_start() -> None:
    small = encoded(large_state(2000))
    latest = dict(small.records)
    missing = dict(latest)
    del missing[small.chunks[-1][0]]
    with pytest.raises(snapshot.SnapshotError, match=r"chunk \d+ of \d+ is missing"):
        snapshot.decode("engine", missing)
    corrupt = dict(latest)
    key, piece = small.chunks[0]
    corrupt[key] = piece[:100] + bytes([piece[100] ^ 0xFF]) + piece[101:]
    with pytest.raises(snapshot.SnapshotError, match="checksum mismatch"):
        snapshot.decode("engine", corrupt)


def test_chunks_of_other_snapshots_are_stale_and_the_current_ones_are_not() -> None:
    old = encoded(large_state(10), "old")
    new = encoded(large_state(10), "new")
    latest = dict(old.chunks) | dict(new.records) | {b"engine2/chunk/x/0": b"y"}
    assert snapshot.decode("engine", latest) == large_state(10)
    assert snapshot.stale_chunks("engine", latest, "new") == {k for k, _ in old.chunks}
    assert snapshot.stale_chunks("engine", latest, None) == {k for k, _ in old.chunks + new.chunks}
