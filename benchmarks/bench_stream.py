"""Results/s through one stream worker on a real broker, beside a bare aiokafka consumer.

Produces ``N`` check results (``BENCH_STREAM_RESULTS``, default 20 000: 300 sites × 3
regions every 30 s, with a few confirmed outages) to a fresh topic, then reads them
(1) with a bare aiokafka consumer, (2) with the same consumer decoding every result with
pydantic, (3) with a Faust worker whose agent only counts (:mod:`benchmarks.faust_noop`:
Faust's own per-message ceiling) and (4) with a ``slawatch stream`` worker subprocess.
(3) and (4) are timed from their first processed batch to their last, from their own
counters (logged every 0.2 s).

The *trickle* case measures the worker live, as the probes feed it: ``BENCH_STREAM_TRICKLE_SITES``
sites (default 1,000) × 3 regions checked every ``BENCH_STREAM_TRICKLE_INTERVAL`` seconds
(default 10, so 300 results/s), produced at that steady rate for
``BENCH_STREAM_TRICKLE_SECONDS`` (default 60) into a running worker with the default tick
(1 s). It reports the results/s consumed, the lag when the producer stops, and the worker's
CPU time per result (``utime + stime`` of ``/proc/<pid>/stat``, taken when the trickle starts
and when the worker has caught up): the figure that does not depend on the machine's load.
``python -m benchmarks.bench_stream trickle`` runs only that case (``BENCH_STREAM_PROFILE=path``
also writes a cProfile of the worker there).

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

from benchmarks.pipeline.procs import cpu_seconds, stop_process
from sla.model import CheckResult
from stream.topics import ensure_topics

REPO = Path(__file__).resolve().parents[1]
RESULTS = int(os.environ.get("BENCH_STREAM_RESULTS", "20000"))
TRICKLE_SITES = int(os.environ.get("BENCH_STREAM_TRICKLE_SITES", "1000"))
TRICKLE_INTERVAL_S = float(os.environ.get("BENCH_STREAM_TRICKLE_INTERVAL", "10"))
TRICKLE_SECONDS = float(os.environ.get("BENCH_STREAM_TRICKLE_SECONDS", "60"))
SITES = 300
REGIONS = ("eu-west", "us-east", "ap-south")
_LOG = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\].*processed results=(\d+)")
_BATCHES = re.compile(r"batches=(\d+)")


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
        stop_process(proc, 20)


def _processed(log: Path) -> tuple[int, int]:
    """The worker's last logged ``processed results=N`` and ``batches=M`` (0 before)."""
    last = (0, 0)
    for line in log.read_text(errors="replace").splitlines():
        if m := _LOG.match(line):
            batches = _BATCHES.search(line)
            last = (int(m.group(2)), int(batches.group(1)) if batches else 0)
    return last


def _trickle_round(slot: datetime, down: set[int]) -> list[tuple[bytes, bytes]]:
    """One check interval: every site from every region, in the order probes would send."""
    out: list[tuple[bytes, bytes]] = []
    for s in range(TRICKLE_SITES):
        # Sites are spread over the interval, as the probe scheduler staggers them.
        at = slot + timedelta(seconds=TRICKLE_INTERVAL_S * s / TRICKLE_SITES)
        for region in REGIONS:
            result = CheckResult.model_validate({
                "site": f"site-{s:04d}", "client": "bench", "region": region,
                "worker": f"{region}-1", "scheduled_at": at, "started_at": at,
                "outcome": "down" if s in down else "up", "reference_ok": True,
                "timings": {"total_ms": 42.0},
            })  # fmt: skip
            out.append((result.site.encode(), result.model_dump_json().encode()))
    return out


async def _trickle_produce(bootstrap: str, topic: str, seconds: float) -> int:
    """Produce live results at the steady rate for ``seconds``; how many were sent."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    rate = TRICKLE_SITES * len(REGIONS) / TRICKLE_INTERVAL_S
    sent = 0
    try:
        started = time.monotonic()
        pending: list[tuple[bytes, bytes]] = []
        slot = datetime.now(UTC)
        rounds = 0
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate)
            while sent < due:
                if not pending:
                    # 2 % of the sites fail through the middle third: outages get confirmed.
                    middle = seconds / 3 <= elapsed < 2 * seconds / 3
                    down = set(range(0, TRICKLE_SITES, 50)) if middle else set()
                    pending = _trickle_round(
                        slot + timedelta(seconds=TRICKLE_INTERVAL_S * rounds), down
                    )
                    rounds += 1
                key, value = pending.pop(0)
                await producer.send(topic, key=key, value=value)
                sent += 1
            await asyncio.sleep(0.02)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def _trickle_run(bootstrap: str, workdir: Path, noop: bool) -> dict[str, Any]:
    """Feed a live worker (the stream's, or Faust's no-op one) at the steady rate."""
    prefix = f"trickle{uuid.uuid4().hex[:8]}."
    topic = f"{prefix}probe-results"
    asyncio.run(ensure_topics(bootstrap, prefix, 6, 1, "slawatch-stream"))
    log = workdir / f"{prefix}log"
    if noop:
        args = [sys.executable, "-m", "benchmarks.faust_noop", bootstrap, topic, "worker"]
    else:
        args = [sys.executable, "-m", "slawatch", "stream", "--bootstrap", bootstrap,
                "--topic-prefix", prefix, "--data-dir", str(workdir / prefix),
                "--loglevel", "info"]  # fmt: skip
        profile = os.environ.get("BENCH_STREAM_PROFILE")
        if profile:
            args[1:1] = ["-m", "cProfile", "-o", profile]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        # Warm-up: one round gives every site its state, so the trickle measures steady work.
        warm = asyncio.run(_trickle_produce(bootstrap, topic, TRICKLE_INTERVAL_S))
        deadline = time.monotonic() + 120
        while _processed(log)[0] < warm:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not take the warm-up: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        time.sleep(2)  # let the warm-up's ticks and flushes settle
        cpu_start = cpu_seconds(proc.pid)
        count_start, batches_start = _processed(log)
        started = time.monotonic()
        sent = asyncio.run(_trickle_produce(bootstrap, topic, TRICKLE_SECONDS))
        produced_s = time.monotonic() - started
        time.sleep(1.5)  # one tick and log line after the last send
        at_end = _processed(log)[0] - count_start
        # CPU per result is taken once the worker has caught up (or given up on doing so).
        deadline = time.monotonic() + 120
        while _processed(log)[0] - count_start < sent and time.monotonic() < deadline:
            time.sleep(0.5)
        count, batches = _processed(log)
        consumed = count - count_start
        cpu = cpu_seconds(proc.pid) - cpu_start
        elapsed = time.monotonic() - started
    finally:
        stop_process(proc, 30)
    return {
        "offered_results_per_s": round(sent / produced_s, 1),
        "seconds": round(produced_s, 1),
        "consumed_results_per_s": round(at_end / (produced_s + 1.5), 1),
        "lag_at_end": sent - at_end,
        "caught_up": consumed >= sent,
        "cpu_ms_per_result": round(1000 * cpu / max(consumed, 1), 3),
        "cpu_pct_of_one_core": round(100 * cpu / elapsed, 1),
        "results_per_batch": round(consumed / (batches - batches_start), 1) if batches else None,
    }


def _trickle(bootstrap: str, workdir: Path) -> dict[str, Any]:
    """A live worker fed at the probes' steady rate: results/s, lag, CPU ms per result.

    Faust's no-op agent is fed the same trickle: its CPU per result is the floor that
    Faust's consumer and stream machinery set before any of slawatch's work.
    """
    stream = _trickle_run(bootstrap, workdir, noop=False)
    noop = _trickle_run(bootstrap, workdir, noop=True)
    return {
        "trickle_sites": TRICKLE_SITES,
        "trickle_regions": len(REGIONS),
        **{f"trickle_{name}": value for name, value in stream.items()},
        "trickle_faust_noop_cpu_ms_per_result": noop["cpu_ms_per_result"],
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


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


def _cases(bootstrap: str, workdir: Path, cases: tuple[str, ...]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if "backlog" in cases:
        figures |= _measure(bootstrap, workdir)
    if "trickle" in cases:
        figures |= _trickle(bootstrap, workdir)
    return figures


def run(cases: tuple[str, ...] = ("backlog", "trickle")) -> dict[str, Any]:
    """The figures: producer, bare consumer (± decode), stream worker rates, and the trickle."""
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        workdir = Path(tmp)
        shared = os.environ.get("SLAWATCH_BENCH_KAFKA_BOOTSTRAP")
        if shared:
            return {"broker": "shared", **_cases(shared, workdir, cases)}
        from slawatch.kafka_local import LocalKafka

        cluster = LocalKafka(workdir / "kafka", brokers=1, port=None)
        try:
            bootstrap = cluster.start()
            return {"broker": "local", **_cases(bootstrap, workdir, cases)}
        finally:
            cluster.stop()


if __name__ == "__main__":
    print(run(tuple(sys.argv[1:]) or ("backlog", "trickle")))
