"""Checks per second one probe worker sustains, and its schedule lateness, vs a bare loop.

A local aiohttp target server runs in another process (started here, stopped by PID).
Side by side in the same run:

* **bare loop**: ``CONCURRENCY`` coroutines issuing GET requests back to back with a fresh
  connection each (``force_close``): the ceiling of aiohttp on this machine.
* **worker**: the real scheduler + check runner (timing trace, assertions, CheckResult) with
  N sites at a 1 s interval, i.e. N checks/s offered. Results go through the bounded buffer
  to the real idempotent producer (acks=all) of a local broker this benchmark starts and
  stops (by PID), or of ``$SLAWATCH_BENCH_KAFKA_BOOTSTRAP``; with ``SLAWATCH_BENCH_NO_KAFKA=1``
  (or no cached broker jars) they are JSON-encoded as for Kafka and dropped (figure ``sink``).

The worker is offered the bare loop's rate and then 80 % of it (each against the bare segment
measured just before it, since the machine is shared); each run reports checks/s completed,
slots skipped and lateness p50/p99 over a measuring window after warm-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.pipeline.procs import stop_process
from probes.http import new_session
from probes.publisher import ResultPublisher, encode
from probes.runner import CheckRunner
from probes.scheduler import Scheduler
from probes.settings import ProbeSettings
from probes.site_topic import ensure_topic
from probes.sites import Site
from probes.stats import ProbeStats
from sla.model import CheckResult
from slawatch.kafka_local import LocalKafka, jars_present

CONCURRENCY = 64
BARE_SECONDS = 3.0
WARMUP_SECONDS = 2.0
MEASURE_SECONDS = 5.0
KAFKA_ENV = "SLAWATCH_BENCH_KAFKA_BOOTSTRAP"
NO_KAFKA_ENV = "SLAWATCH_BENCH_NO_KAFKA"

_SERVER = """
import socket, sys
from aiohttp import web
async def ok(_):
    return web.Response(text="ok")
app = web.Application()
app.router.add_get("/", ok)
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(1024)
print(sock.getsockname()[1], flush=True)
web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
"""


def _start_server() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen([sys.executable, "-c", _SERVER], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return process, port


async def _bare_loop(url: str) -> tuple[float, float]:
    """Requests/s of back-to-back GETs with fresh connections, and CPU µs per request."""
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    count = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + BARE_SECONDS

        async def client() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                async with session.get(url) as response:
                    await response.read()
                count += 1

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        cpu_us = (time.process_time() - cpu_started) * 1e6 / max(count, 1)
        return count / (time.perf_counter() - started), cpu_us


async def _drain_encoding(buffer: asyncio.Queue[CheckResult], stats: ProbeStats) -> None:
    while True:
        encode(await buffer.get())
        stats.was_published()


async def _worker_run(url: str, sites_count: int, bootstrap: str | None) -> dict[str, Any]:
    stats = ProbeStats()
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=10_000)
    session = new_session()
    runner = CheckRunner(region="bench", worker="bench-1", session=session)
    producer = None
    if bootstrap:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=ProbeSettings().linger_ms,  # as a worker's producer
        )
        topic = f"bench-{uuid.uuid4().hex[:8]}.probe-results"
        await ensure_topic(bootstrap, topic, partitions=6, replication_factor=1, compacted=False)
        await producer.start()
        drain = asyncio.create_task(ResultPublisher(producer, topic, buffer, stats).run())
    else:
        drain = asyncio.create_task(_drain_encoding(buffer, stats))
    scheduler = Scheduler(
        lambda site, slot: runner.run(site, slot),
        buffer,
        stats,
        max_concurrent_checks=ProbeSettings().max_concurrent_checks,
    )
    for i in range(sites_count):
        scheduler.upsert(
            Site(id=f"bench-{i:05d}", client="bench", kind="http", target=url, interval_s=1)
        )
    await asyncio.sleep(WARMUP_SECONDS)
    checks0, skipped0 = stats.checks, stats.skipped_slots
    stats.lateness_s.clear()
    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.sleep(MEASURE_SECONDS)
    elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    checks, skipped = stats.checks - checks0, stats.skipped_slots - skipped0
    p50, p99 = stats.lateness_percentile(50), stats.lateness_percentile(99)
    errors = dict(stats.errors)
    await scheduler.stop()
    drain.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await drain
    if producer is not None:
        await producer.stop()
    await session.close()
    return {
        "offered_checks_per_s": sites_count,
        "checks_per_s": round(checks / elapsed, 1),
        "cpu_us_per_check": round(cpu_s * 1e6 / max(checks, 1)),
        "skipped_slots_per_s": round(skipped / elapsed, 1),
        "lateness_p50_ms": None if p50 is None else round(p50 * 1000, 1),
        "lateness_p99_ms": None if p99 is None else round(p99 * 1000, 1),
        "errors": errors,
    }


async def _main(bootstrap: str | None) -> dict[str, Any]:
    server, port = _start_server()
    url = f"http://127.0.0.1:{port}/"
    try:
        await asyncio.sleep(0.5)
        # The machine is shared: bare-loop segments are interleaved with the worker runs and
        # each worker run is compared with the bare segment just before it.
        bare_before_full, cpu_full = await _bare_loop(url)
        full = await _worker_run(url, round(bare_before_full), bootstrap)
        bare_before_aim, cpu_aim = await _bare_loop(url)
        aim = await _worker_run(url, round(0.8 * bare_before_aim), bootstrap)
        bare_after, cpu_after = await _bare_loop(url)
    finally:
        stop_process(server, 10)
    bare = sorted([bare_before_full, bare_before_aim, bare_after])
    return {
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "sink": "kafka (idempotent, acks=all)" if bootstrap else "json-encode only (no broker)",
        "bare_loop_requests_per_s": [round(b, 1) for b in bare],
        "bare_loop_concurrency": CONCURRENCY,
        # CPU time of this process per request/check: comparable even on a loaded machine
        "bare_loop_cpu_us_per_request": sorted(round(c) for c in (cpu_full, cpu_aim, cpu_after)),
        "worker_at_bare_rate": full,
        "worker_at_80pct_of_bare_rate": aim,
        "worker_vs_bare_pct": round(100 * full["checks_per_s"] / bare_before_full, 1),
    }


@contextlib.contextmanager
def _kafka() -> Iterator[str | None]:
    """$SLAWATCH_BENCH_KAFKA_BOOTSTRAP, else a broker of our own when the jars are cached."""
    named = os.environ.get(KAFKA_ENV)
    if named or os.environ.get(NO_KAFKA_ENV) or not jars_present():
        yield named or None
        return
    with tempfile.TemporaryDirectory(prefix="bench-probes-kafka-") as folder:
        cluster = LocalKafka(Path(folder), brokers=1, port=None)
        try:
            yield cluster.start()
        finally:
            cluster.stop(timeout_s=0.0)  # by pid; throw-away data


def run() -> dict[str, Any]:
    """Run the benchmark (about 30 s, plus a broker's start) and return its figures."""
    with _kafka() as bootstrap:
        return asyncio.run(_main(bootstrap))


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
