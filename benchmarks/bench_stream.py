"""Results/s through one stream worker on a real broker, beside a bare aiokafka consumer.

Produces ``N`` check results (``BENCH_STREAM_RESULTS``, default 20 000: 300 sites × 3
regions every 30 s, with a few confirmed outages) to a fresh topic, then reads them
(1) with a bare aiokafka consumer, (2) with the same consumer decoding every result with
pydantic, (3) with a Faust worker whose agent only counts (:mod:`benchmarks.faust_noop`:
Faust's own per-message ceiling) and (4) with a ``slawatch stream`` worker subprocess.
(3) and (4) are timed from their first processed batch to their last, from their own
counters (logged every 0.2 s).

The broker: ``$SLAWATCH_BENCH_KAFKA_BOOTSTRAP`` if set, else a local one started with
:mod:`slawatch.kafka_local` (stopped by pid afterwards).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from sla.model import CheckResult
from stream.topics import ensure_topics

REPO = Path(__file__).resolve().parents[1]
RESULTS = int(os.environ.get("BENCH_STREAM_RESULTS", "20000"))
SITES = 300
REGIONS = ("eu-west", "us-east", "ap-south")
_LOG = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\].*processed results=(\d+)")


def _results(count: int) -> list[tuple[bytes, bytes]]:
    """``count`` results, in time order; every 50th site fails for 3 minutes in the middle."""
    slots = count // (SITES * len(REGIONS)) + 1
    start = datetime.now(UTC) - timedelta(seconds=30 * slots + 120)
    out: list[tuple[bytes, bytes]] = []
    for slot in range(slots):
        at = start + timedelta(seconds=30 * slot)
        for s in range(SITES):
            failing = s % 50 == 0 and slots // 2 <= slot < slots // 2 + 6
            for region in REGIONS:
                result = CheckResult(
                    site=f"site-{s:04d}", client="bench", region=region, worker=f"{region}-1",
                    scheduled_at=at, started_at=at, outcome="down" if failing else "up",
                    reference_ok=True, timings={"total_ms": 42.0},
                )  # fmt: skip
                out.append((result.site.encode(), result.model_dump_json().encode()))
                if len(out) == count:
                    return out
    return out


def _parse_log_time(text: str) -> datetime:
    # Faust logs local wall-clock time; only differences matter here.
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)


async def _produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    started = time.perf_counter()
    try:
        for key, value in messages:
            await producer.send(topic, key=key, value=value)
        await producer.flush()
    finally:
        await producer.stop()
    return len(messages) / (time.perf_counter() - started)


async def _bare(bootstrap: str, topic: str, count: int, decode: bool) -> float:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest", enable_auto_commit=False, max_partition_fetch_bytes=4 << 20,
    )  # fmt: skip
    await consumer.start()
    seen = 0
    started: float | None = None
    validate = CheckResult.model_validate_json
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10000)
            if started is None and batches:
                started = time.perf_counter()
            for records in batches.values():
                if decode:
                    for r in records:
                        validate(r.value)  # type: ignore[arg-type]
                seen += len(records)
    finally:
        await consumer.stop()
    assert started is not None
    return count / (time.perf_counter() - started)


def _in_process(messages: list[tuple[bytes, bytes]]) -> float:
    """Decode + SiteProcessor alone (no Kafka, no Faust), batches of 5000 as the agent does."""
    from collections import defaultdict

    from sla.confirmation import ConfirmationConfig
    from sla.contract import Contract
    from stream.processor import Calendar, Outputs, SiteProcessor, SiteRecord, new_record

    processor = SiteProcessor(Contract(), lambda site: ConfirmationConfig())
    records: dict[str, bytes] = {}
    calendar = Calendar()
    validate = CheckResult.model_validate_json
    started = time.perf_counter()
    for first in range(0, len(messages), 5000):
        out = Outputs()
        by_site: dict[str, list[tuple[CheckResult, str, int]]] = defaultdict(list)
        for offset, (_key, value) in enumerate(messages[first : first + 5000], start=first):
            result = validate(value)
            by_site[result.site].append((result, "0", offset))
        now = datetime.now(UTC)
        for site, items in by_site.items():
            raw = records.get(site)
            record = new_record(site) if raw is None else SiteRecord.from_bytes(raw)
            processor.process(record, items, now, calendar, out)
            records[site] = record.to_bytes()
    return len(messages) / (time.perf_counter() - started)


def _worker_rate(args: list[str], count: int, log: Path) -> float:
    """Results/s of a worker subprocess, from its ``processed results=N`` log lines."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        first: tuple[datetime, int] | None = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited: {log.read_text()[-2000:]}")
            points = [
                (_parse_log_time(m.group(1)), int(m.group(2)))
                for m in map(_LOG.match, log.read_text(errors="replace").splitlines())
                if m
            ]
            if points and first is None:
                first = points[0]
            if points and points[-1][1] >= count and first is not None:
                last = points[-1]
                seconds = max((last[0] - first[0]).total_seconds(), 0.001)
                return (last[1] - first[1]) / seconds
            time.sleep(0.2)
        raise RuntimeError(f"worker did not finish in time: {log.read_text()[-2000:]}")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _measure(bootstrap: str, workdir: Path) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    topic = f"{prefix}probe-results"
    asyncio.run(ensure_topics(bootstrap, prefix, 6, 1, "slawatch-stream"))
    messages = _results(RESULTS)
    produce_rate = asyncio.run(_produce(bootstrap, topic, messages))
    bare = asyncio.run(_bare(bootstrap, topic, len(messages), decode=False))
    decoded = asyncio.run(_bare(bootstrap, topic, len(messages), decode=True))
    in_process = _in_process(messages)
    noop = _worker_rate(
        [sys.executable, "-m", "benchmarks.faust_noop", bootstrap, topic, "worker"],
        len(messages),
        workdir / "noop.log",
    )
    stream = _worker_rate(
        [sys.executable, "-m", "slawatch", "stream", "--bootstrap", bootstrap,
         "--topic-prefix", prefix, "--data-dir", str(workdir / "w"), "--tick", "0.2",
         "--loglevel", "info"],
        len(messages),
        workdir / "stream.log",
    )  # fmt: skip
    return {
        "results": len(messages),
        "sites": SITES,
        "regions": len(REGIONS),
        "producer_results_per_s": round(produce_rate),
        "bare_consumer_results_per_s": round(bare),
        "bare_consumer_with_decode_results_per_s": round(decoded),
        "processor_in_process_results_per_s": round(in_process),
        "faust_noop_agent_results_per_s": round(noop),
        "stream_results_per_s": round(stream),
        "stream_vs_bare_pct": round(100 * stream / bare, 1),
        "stream_vs_faust_noop_pct": round(100 * stream / noop, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def run() -> dict[str, Any]:
    """The figures: producer, bare consumer (± decode) and stream worker rates."""
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        workdir = Path(tmp)
        shared = os.environ.get("SLAWATCH_BENCH_KAFKA_BOOTSTRAP")
        if shared:
            return {"broker": "shared", **_measure(shared, workdir)}
        from slawatch.kafka_local import LocalKafka

        cluster = LocalKafka(workdir / "kafka", brokers=1, port=None)
        try:
            bootstrap = cluster.start()
            return {"broker": "local", **_measure(bootstrap, workdir)}
        finally:
            cluster.stop()


if __name__ == "__main__":
    print(run())
