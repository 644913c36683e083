"""A sink SIGKILLed between ClickHouse's write and the offset commit, then restarted:
every result through the real broker ends in ClickHouse exactly once (raw table and
rollups), with `slawatch sink` itself doing the catching up."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.sinks.fixtures import create_topics, produce, result_messages, results, sink_topics
from tests.sinks.test_runner_kafka import wait_committed

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    """The sample lines of a Prometheus /metrics page."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def wait_for(path: Path, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"sink exited early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {path.name}:\n{log.read_text()}"
        time.sleep(0.05)


@pytest.mark.faults  # listed in tests/faults/__init__.py
async def test_killed_mid_batch_and_restarted_stores_everything_once(
    kafka_bootstrap: str, topic_prefix: str, unique_name: Any, tmp_path: Path
) -> None:
    topic = topic_prefix + "probe-results"
    await create_topics(kafka_bootstrap, sink_topics(topic_prefix))
    data = results(sites=10, slots=15)  # 300 results
    await produce(kafka_bootstrap, topic, result_messages(data))

    group = unique_name("sink")
    dsn = f"chdb://{tmp_path / 'clickhouse'}"
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(tmp_path),
                "kafka": {"bootstrap_servers": kafka_bootstrap, "topic_prefix": topic_prefix},
                "clickhouse": {"dsn": dsn, "database": "slawatch"},
                "sink": {
                    "group_id": group,
                    "batch_max_rows": 40,
                    "batch_max_seconds": 0.2,
                    "session_timeout_ms": 6000,
                },
            }
        )
    )
    markers = tmp_path / "markers"
    markers.mkdir()

    log_a = tmp_path / "sink-a.log"
    first = spawn(["-m", "tests.sinks.killable_sink", str(config), str(markers)], log_a)
    try:
        wait_for(markers / "written-2", first, log_a)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    # the second batch is in ClickHouse, its offsets are not committed
    assert await wait_committed(kafka_bootstrap, group, topic, 0, timeout_s=0) < len(data)

    first_batch, second_batch = (int((markers / f"written-{n}").read_text()) for n in (1, 2))

    log_b = tmp_path / "sink-b.log"
    port = free_port()
    second = spawn(
        ["-m", "slawatch", "sink", "--config", str(config), "--metrics-port", str(port)], log_b
    )
    try:
        done = await wait_committed(kafka_bootstrap, group, topic, len(data), timeout_s=120)
        assert done == len(data), log_b.read_text()
        metrics = scrape(port)
        # the restarted sink re-read the second batch, found it stored and skipped it
        assert metrics['slawatch_sink_rows_written_total{table="probe_results"}'] == (
            len(data) - first_batch - second_batch
        )
        assert metrics["slawatch_sink_duplicate_results_skipped_total"] == second_batch
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, log_b.read_text()

    counted = subprocess.run(
        [sys.executable, "-m", "tests.sinks.count_rows", dsn, "slawatch"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    counts = json.loads(counted.stdout)
    down = sum(r.outcome == "down" for r in data)
    assert counts == {
        "raw": 300,
        "distinct": 300,
        "final": 300,
        "rollup_1m": 300,
        "rollup_1d": 300,
        "failures_1d": down,
        "outages": 0,
    }
