"""Poison messages on every input topic of every consumer: dead-lettered, and the next one used.

Each topic gets the six poisons of :mod:`tests.faults.poison` (truncated JSON, wrong types,
900 KB of binary junk, an unknown schema_version, non-UTF-8 bytes, a null value) and then a
good message; the test waits for six dead letters with their reasons per topic and for the
good message's effect.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from probes.settings import ProbeSettings
from probes.sites import Site
from probes.worker import ProbeWorker, WorkerSpec
from sinks.rows import table_specs
from sinks.service import run_sink
from sla.contract import Contract
from slawatch import topics
from slawatch.alerting.engine import INPUTS, AlertEngine
from slawatch.alerting.settings import AlertingSettings
from slawatch.config import KafkaSettings, Settings, SinkSettings
from slawatch.notify.channel import Channel
from slawatch.notify.notices import Notice
from slawatch.notify.service import Notifier
from slawatch.notify.settings import NotifySettings
from slawatch.notify.topics import NOTIFY_DEAD_LETTER
from tests.faults.poison import (
    EXPECTED_REASON,
    HUGE_BYTES,
    by_source,
    poisons,
    publish_poison_then_good,
    read_json,
)
from tests.probes.fixtures import raw_tcp_server
from tests.sinks.fixtures import create_topics, sink_topics
from tests.stream.fixtures import Worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]
NAMES = list(EXPECTED_REASON)  # the poisons, in the order they are published


def assert_reasons(letters: list[dict[str, Any]], reason_key: str = "reason") -> None:
    """Six letters, in publishing order, each with the reason its poison calls for."""
    assert len(letters) == len(NAMES), letters
    for name, letter in zip(NAMES, letters, strict=True):
        reason = str(letter[reason_key])
        assert EXPECTED_REASON[name].lower() in reason.lower(), (name, reason)
        assert reason, name


def assert_plain_letters(letters: list[dict[str, Any]], component: str) -> None:
    """The plain-consumer dead letters of one topic: reasons, sizes, component."""
    assert_reasons(letters)
    assert [d["offset"] for d in letters] == list(range(6))
    assert all(d["component"].startswith(component) for d in letters)
    huge = letters[NAMES.index("huge")]
    assert huge["value_bytes"] == HUGE_BYTES and len(huge["value"]) <= 10_000
    assert letters[NAMES.index("null")]["value"] is None


# --------------------------------------------------------------------------- sink


async def test_sink_dead_letters_poison_on_all_its_topics_and_stores_the_good(
    kafka_bootstrap: str, topic_prefix: str, migrated_clickhouse: Any, unique_name: Any
) -> None:
    p = topic_prefix
    await create_topics(kafka_bootstrap, sink_topics(p), partitions=1)
    specs = table_specs(Contract())
    await publish_poison_then_good(kafka_bootstrap, p, [s.topic for s in specs])
    settings = Settings(
        kafka=KafkaSettings(topic_prefix=p),
        sink=SinkSettings(
            group_id=unique_name("sink"), batch_max_rows=50, batch_max_seconds=0.2,
            retry_initial_seconds=0.1, retry_max_seconds=0.2,
        ),
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(run_sink(settings, kafka_bootstrap, migrated_clickhouse, stop=stop))
    try:
        letters = await read_json(
            kafka_bootstrap, f"{p}dead-letter", lambda ms: len(ms) >= 6 * len(specs)
        )
    finally:
        stop.set()
        runner = await asyncio.wait_for(task, 30)
    assert runner.failed_flushes == 0  # no poison ever blocked a flush
    for spec in specs:
        assert_plain_letters(by_source(letters, p + spec.topic), "sink")
        rows = migrated_clickhouse.query(f"SELECT count() FROM {spec.table}").result_rows
        assert rows == [(1,)], spec.table  # the good message after the poison is stored


# --------------------------------------------------------------------------- alert engine


async def test_alert_engine_dead_letters_poison_on_all_inputs_and_applies_the_good(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    p = topic_prefix
    goods = await publish_poison_then_good(kafka_bootstrap, p, list(INPUTS))
    settings = AlertingSettings(tick_seconds=0.2, snapshot_seconds=0.2)
    engine = AlertEngine(kafka_bootstrap, Contract(), settings, topic_prefix=p)
    task = asyncio.create_task(engine.run())
    try:
        letters = await read_json(
            kafka_bootstrap, f"{p}dead-letter", lambda ms: len(ms) >= 6 * len(INPUTS)
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not _engine_read_all(engine, p):
            assert loop.time() < deadline and not task.done(), engine.evaluator
            await asyncio.sleep(0.1)
    finally:
        engine.stop()
        await asyncio.wait_for(task, 30)
    for base in INPUTS:
        assert_plain_letters(by_source(letters, p + base), "alert-engine")
    state = engine.evaluator.state  # type: ignore[union-attr]
    assert "good-site" in state.open_outages and "good-site" in state.ledger
    assert goods[topics.MAINTENANCE].id in state.maintenance  # type: ignore[attr-defined]
    assert "clickhouse" in state.backups.systems  # the good snapshot event
    assert engine.rejected == 6 * len(INPUTS)


def _engine_read_all(engine: AlertEngine, prefix: str) -> bool:
    """Whether the engine's offsets are past the 7 records of every input."""
    if engine.evaluator is None:
        return False
    offsets = engine.evaluator.state.offsets
    return all(
        sum(v for k, v in offsets.items() if k.rsplit(":", 1)[0] == prefix + base) == 7
        for base in INPUTS
    )


# --------------------------------------------------------------------------- notifier


class Recorder:
    """A channel that records what it is given (the notifier's retries and log are real)."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def targets(self, notice: Notice) -> list[str]:
        return ["sre"]

    async def send(self, notice: Notice, target: str, delivery_key: str) -> None:
        self.sent.append(notice.key)


async def test_notifier_dead_letters_poison_on_alerts_and_maintenance_and_delivers_the_good(
    kafka_bootstrap: str, topic_prefix: str, unique_name: Any
) -> None:
    p = topic_prefix
    bases = [topics.ALERTS, topics.MAINTENANCE]
    goods = await publish_poison_then_good(kafka_bootstrap, p, bases)
    recorder = Recorder()
    channels: list[Channel] = [recorder]
    settings = NotifySettings(group_id=unique_name("notify"), max_attempts=1)
    notifier = Notifier(kafka_bootstrap, settings, channels, topic_prefix=p)
    task = asyncio.create_task(notifier.run())
    try:
        letters = await read_json(
            kafka_bootstrap, f"{p}{NOTIFY_DEAD_LETTER}", lambda ms: len(ms) >= 12
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(recorder.sent) < 2:
            assert loop.time() < deadline and not task.done(), recorder.sent
            await asyncio.sleep(0.1)
    finally:
        notifier.stop()
        await asyncio.wait_for(task, 30)
    for base in bases:
        mine = sorted(
            (d for d in letters if d["key"].startswith(f"{p}{base}[")),
            key=lambda d: int(d["key"].rsplit("@", 1)[1]),
        )
        assert_reasons(mine, "error")
        assert max(len(d["message"]) for d in mine) <= 10_000
    alert, window = goods[topics.ALERTS], goods[topics.MAINTENANCE]
    assert sorted(recorder.sent) == sorted(
        [Notice.of_alert(alert).key, Notice.of_maintenance(window).key]  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- probe worker


async def test_probe_worker_dead_letters_bad_sites_and_checks_the_good(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    p = topic_prefix
    async with raw_tcp_server() as port:
        good = Site.model_validate(
            {"id": "good-site", "client": "acme", "kind": "tcp",
             "target": f"127.0.0.1:{port}", "interval_s": 1}
        )  # fmt: skip
        bad = {k: v for k, v in poisons(good).items() if k != "null"}  # null = removal
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=2**20)
        await producer.start()
        try:
            for value in bad.values():
                await producer.send_and_wait(f"{p}sites", value, key=b"good-site", partition=0)
            await producer.send_and_wait(f"{p}sites", b'{"id":"x"}', key=None, partition=0)
            await producer.send_and_wait(
                f"{p}sites", good.model_dump_json().encode(), key=b"good-site", partition=0
            )
        finally:
            await producer.stop()
        spec = WorkerSpec(
            bootstrap=kafka_bootstrap, region="eu", worker_id="w-1",
            group_id=f"{p}probes-eu", sites_topic=f"{p}sites",
            results_topic=f"{p}probe-results", dead_letter_topic=f"{p}dead-letter",
        )  # fmt: skip
        worker = ProbeWorker(spec, ProbeSettings())
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        try:
            letters = await read_json(kafka_bootstrap, f"{p}dead-letter", lambda ms: len(ms) >= 6)
            results = await read_json(kafka_bootstrap, f"{p}probe-results", lambda ms: len(ms) >= 2)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
    mine = by_source(letters, f"{p}sites")
    assert [d["offset"] for d in mine] == list(range(6))
    assert all(d["component"] == "probe-worker w-1" for d in mine)
    reasons = [d["reason"] for d in mine]
    assert "json" in reasons[0].lower() and "id" in reasons[1]
    assert "json" in reasons[2].lower() and "schema_version" in reasons[3]
    assert "json" in reasons[4].lower() and "without a key" in reasons[5]
    assert {r["site"] for r in results} == {"good-site"}
    assert all(r["outcome"] == "up" for r in results)


# --------------------------------------------------------------------------- stream


async def test_stream_dead_letters_poison_on_its_three_inputs_and_goes_on(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    p = topic_prefix
    bases = [topics.MAINTENANCE, topics.EXCLUSIONS, topics.PROBE_RESULTS]
    await publish_poison_then_good(kafka_bootstrap, p, bases)
    worker = Worker(kafka_bootstrap, p, tmp_path / "w", "--grace", "1", "--tick", "0.5").start()
    try:
        worker.wait_ready()
        letters = await read_json(kafka_bootstrap, f"{p}dead-letter", lambda ms: len(ms) >= 18)
        status = await read_json(kafka_bootstrap, f"{p}site-status", lambda ms: len(ms) >= 1)
    finally:
        worker.stop()
    log = worker.log.read_text()
    # The good window and exclusion after the poison were applied.
    assert "calendar loaded: 1 maintenance windows, 1 exclusions" in log, log[-3000:]
    assert [(s["site"], s["state"]) for s in status] == [("good-site", "up")]
    for base in bases:
        mine = sorted(
            (d for d in letters if d["source"].startswith(f"{p}{base}/")),
            key=lambda d: int(d["source"].rsplit("/", 1)[1]),
        )
        assert_reasons(mine)
        assert all(len(d["value"]) <= 10_000 for d in mine)
