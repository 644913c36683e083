"""Targets that hang, never answer, flood or dribble do not hold a probe worker or its memory.

A real region worker (Kafka, scheduler, runner, publisher) checks five hostile targets and
one healthy neighbour every second for a few seconds. The hostile targets are served by a
separate process, so the worker's memory measures only what it kept of them.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from probes.settings import ProbeSettings
from probes.site_topic import apply_sites
from probes.sites import Client, Site
from probes.sites_file import SitesFile
from probes.worker import ProbeWorker, WorkerSpec
from tests.faults.poison import read_json

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]
REPO = Path(__file__).resolve().parents[2]
RUN_S = 6.0
MAX_BODY = 1_000_000  # the default max_body_bytes
EXPECTED_ERROR = {
    "hang": "timeout",
    "silent": "timeout",
    "dribble": "timeout",
    "flood": "body_too_large",
    "huge": "body_too_large",
}


def rss_bytes() -> int:
    """This process's resident memory (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def start_targets(counters: Path) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.hostile_targets", str(counters)],
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    ports = json.loads(process.stdout.readline())
    return process, ports


async def test_hostile_targets_hold_neither_the_worker_nor_its_memory(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    p = topic_prefix
    counters = tmp_path / "sent.json"
    targets, ports = start_targets(counters)
    try:
        sites = [
            Site.model_validate(
                {
                    "id": name,
                    "client": "acme",
                    "kind": "http",
                    "interval_s": 1,
                    "target": f"http://127.0.0.1:{port}/",
                }
            )
            for name, port in ports.items()
        ]
        await apply_sites(
            kafka_bootstrap,
            SitesFile(clients=[Client(id="acme")], sites=sites),
            sites_topic=f"{p}sites",
            clients_topic=f"{p}clients",
        )
        worker = ProbeWorker(
            WorkerSpec(
                bootstrap=kafka_bootstrap, region="eu", worker_id="eu-1",
                group_id=f"{p}probes-eu", sites_topic=f"{p}sites",
                results_topic=f"{p}probe-results",
            ),
            ProbeSettings(),
        )  # fmt: skip
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        baseline = rss_bytes()
        peak = baseline
        loop = asyncio.get_running_loop()
        # Measure from the first completed check on.
        deadline = loop.time() + 30
        while worker.stats.published < 1:
            assert loop.time() < deadline and not task.done(), "no check published"
            await asyncio.sleep(0.05)
        started = loop.time()
        while loop.time() - started < RUN_S:
            peak = max(peak, rss_bytes())
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 30)
        offered = json.loads(counters.read_text())
    finally:
        targets.send_signal(signal.SIGTERM)
        targets.wait(10)

    results = await read_json(
        kafka_bootstrap, f"{p}probe-results", lambda ms: len(ms) >= worker.stats.published
    )
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_site[r["site"]].append(r)
    growth = peak - baseline
    print(
        f"\nhostile targets: {RUN_S:.0f} s, results per site "
        f"{ {s: len(rs) for s, rs in sorted(by_site.items())} }, offered "
        f"flood={offered['flood'] / 1e6:.0f} MB huge={offered['huge'] / 1e6:.0f} MB, "
        f"RSS growth {growth / 1e6:.1f} MB, skipped slots {worker.stats.skipped_slots}"
    )
    # The healthy neighbour is checked on every slot, on time, and is up.
    ok = by_site.pop("ok")
    assert len(ok) >= RUN_S - 2 and all(r["outcome"] == "up" for r in ok)
    assert max(worker.stats.lateness_s) < 0.5
    # Every hostile check ends as a down result of the right kind within its timeout.
    for name, kind in EXPECTED_ERROR.items():
        checks = by_site[name]
        assert len(checks) >= RUN_S - 2, (name, len(checks))
        slots = sorted(datetime.fromisoformat(r["scheduled_at"]) for r in checks)
        assert all(b - a == timedelta(seconds=1) for a, b in pairwise(slots)), (name, slots)
        assert {r["error_kind"] for r in checks} == {kind}, (name, checks[-1])
        assert max(r["timings"]["total_ms"] for r in checks) < 1500, name
    assert worker.stats.skipped_slots == 0  # no check outlived its slot
    # The floods offered far more than the worker kept: at most one body per check in flight.
    assert offered["flood"] + offered["huge"] > 20 * MAX_BODY
    assert growth < 40 * 1024 * 1024, growth
