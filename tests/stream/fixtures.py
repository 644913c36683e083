"""Helpers for the stream tests: check results, a worker subprocess, a topic reader."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from sla.model import CheckResult

REPO = Path(__file__).resolve().parents[2]


def minute_floor(now: datetime | None = None) -> datetime:
    """A recent whole minute, far enough back that a test's results are never 'future'."""
    now = now or datetime.now(UTC)
    return (now - timedelta(minutes=30)).replace(second=0, microsecond=0)


def result(
    base: datetime,
    t: float,
    region: str = "eu",
    outcome: str = "down",
    site: str = "s1",
    ref: bool | None = None,
) -> CheckResult:
    """A check of ``site`` from ``region``, started ``t`` seconds after ``base``."""
    at = base + timedelta(seconds=t)
    return CheckResult(
        site=site,
        client="acme",
        region=region,
        worker=f"{region}-1",
        scheduled_at=at,
        started_at=at,
        outcome=outcome,  # type: ignore[arg-type]
        reference_ok=ref,
    )


async def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes, bytes]]) -> None:
    """Send ``(key, value)`` pairs and wait until the broker has them."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send(topic, key=key, value=value)
        await producer.flush()
    finally:
        await producer.stop()


def results_messages(results: Iterable[CheckResult]) -> list[tuple[bytes, bytes]]:
    """Key (site) and JSON value of each result, as the probes publish them."""
    return [(r.site.encode(), r.model_dump_json().encode()) for r in results]


async def read_topic(
    bootstrap: str,
    topic: str,
    until: Callable[[list[dict[str, Any]]], bool],
    timeout_s: float = 60.0,
) -> list[dict[str, Any]]:
    """Every JSON message of ``topic`` from the start, read until ``until(messages)`` holds."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    messages: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                messages += [json.loads(r.value) for r in records if r.value is not None]
            if until(messages):
                return messages
        raise AssertionError(f"{topic}: condition not met in {timeout_s} s; got {messages}")
    finally:
        await consumer.stop()


class Worker:
    """``slawatch stream`` as a subprocess (stopped by pid)."""

    def __init__(self, bootstrap: str, prefix: str, data_dir: Path, *extra: str) -> None:
        self.args = [
            sys.executable,
            "-m",
            "slawatch",
            "stream",
            "--bootstrap",
            bootstrap,
            "--topic-prefix",
            prefix,
            "--data-dir",
            str(data_dir),
            "--loglevel",
            "info",
            *extra,
        ]
        self.log = data_dir.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        """Start the worker (appending to its log file)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait until the worker logged that it is ready (and the calendar is loaded)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited:\n{self.log.read_text()[-3000:]}")
            text = self.log.read_text(errors="replace")
            if text.count("calendar loaded") > self._ready_seen:
                self._ready_seen = text.count("calendar loaded")
                return
            time.sleep(0.2)
        raise AssertionError(f"worker not ready:\n{self.log.read_text()[-3000:]}")

    _ready_seen = 0

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
