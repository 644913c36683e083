"""A Faust worker killed with SIGKILL restarts, finds its table restored from the changelog, and
counts the records that waited for it exactly once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from tests.integration.fixtures import (
    Collector,
    WorkerProcess,
    committed_offset,
    create_topics,
    wait_for,
)

pytestmark = pytest.mark.integration


def _latest_counts(collector: Collector) -> dict[str, int]:
    latest: dict[str, int] = {}
    for key, value in collector.records:
        assert key is not None and value is not None
        latest[key.decode()] = json.loads(value)
    return latest


async def _send_words(bootstrap: str, topic: str, words: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for word in words:
            await producer.send_and_wait(topic, json.dumps(word).encode(), key=word.encode())
    finally:
        await producer.stop()


@pytest.mark.faults  # listed in tests/faults/__init__.py
@pytest.mark.timeout(240)
async def test_killed_worker_restores_its_table_from_the_changelog(
    kafka_bootstrap: str, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    app_id = unique_name("counter")
    words_topic, counts_topic = f"{app_id}-words", f"{app_id}-counts"
    await create_topics(kafka_bootstrap, [words_topic, counts_topic])
    worker = WorkerProcess(
        "tests.integration.faust_counter_app",
        {
            "COUNTER_APP_ID": app_id,
            "COUNTER_BOOTSTRAP": kafka_bootstrap,
            "COUNTER_DATA_DIR": str(tmp_path / "faust"),
        },
        tmp_path / "worker.log",
    )
    try:
        async with Collector(kafka_bootstrap, counts_topic) as collector:
            worker.start()
            await _send_words(kafka_bootstrap, words_topic, ["a", "b", "a", "a", "b"])
            await wait_for(
                lambda: _latest_counts(collector) == {"a": 3, "b": 2},
                90,
                f"the first worker to count a=3 b=2 (log:\n{worker.log_tail()})",
            )
            # Kill only once the input offsets are committed: otherwise the restarted worker
            # would rightly count the same words again (at-least-once), proving nothing.
            source = TopicPartition(words_topic, 0)
            await wait_for(
                lambda: _committed_all(kafka_bootstrap, app_id, source, 5),
                30,
                "the worker to commit its input offsets",
            )
            worker.kill()
            seen_before_restart = len(collector.records)

            # The words wait in the topic while the restarted worker joins and recovers: the
            # case where Faust's own recovery counted a record twice or skipped it.
            worker.start()
            await _send_words(kafka_bootstrap, words_topic, ["a", "b"])
            await wait_for(
                lambda: _committed_all(kafka_bootstrap, app_id, source, 7),
                120,
                f"the restarted worker to count again (log:\n{worker.log_tail()})",
            )
            # Outputs are sent before the offsets commit; give a late duplicate time to show.
            await asyncio.sleep(2)
            after_restart = [
                (k.decode(), json.loads(v))
                for k, v in collector.records[seen_before_restart:]
                if k is not None and v is not None
            ]
    finally:
        worker.stop()
    # From an empty table these would be a=1, b=1; counted twice, a=5 or b=4 would appear.
    assert sorted(after_restart) == [("a", 4), ("b", 3)]


async def _committed_all(bootstrap: str, group: str, tp: TopicPartition, count: int) -> bool:
    return await committed_offset(bootstrap, group, tp) >= count
