"""Status page and API latency over a realistic store (embedded ClickHouse, real HTTP).

50 public sites, 3 regions, one check per 30 s per region for the last 24 hours
(432,000 probe results), two outages per site over the 90 days, a ledger row and a state
per site. Measures, over HTTP on 127.0.0.1: the overview page (50 sites x 90-day bars),
a site page, the small live-status JSON, and the live JSON under 10 concurrent pollers;
once with the answer cache off (every request queries the store) and once with the
default 5-second cache.

chDB allows one engine per process, so the measurement runs in a child process with its
own store in a temporary folder.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SITES = 50
REGIONS = ("eu-west", "us-east", "ap-south")
CHECK_EVERY_S = 30
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def run() -> dict[str, Any]:
    """Run the measurement in a child process; returns its figures."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_web", "--child"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench_web child failed:\n{result.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _settings() -> Any:
    from probes.sites import Client, Site
    from slawatch.config import Settings

    sites = [
        Site(
            id=f"site-{i:02d}",
            client=f"client-{i % 10}",
            name=f"Site {i}",
            kind="http",
            target=f"https://s{i}.example/health",
        )
        for i in range(SITES)
    ]
    clients = [Client(id=f"client-{i}", name=f"Client {i}") for i in range(10)]
    return Settings(clients=clients, sites=sites)


def _seed(client: Any) -> int:
    from sla.availability import compute_site_month

    settings = _settings()
    rng = random.Random(7)
    results = []
    steps = 24 * 3600 // CHECK_EVERY_S
    for site in settings.sites:
        for region in REGIONS:
            base = rng.uniform(80, 400)
            for step in range(steps):
                at = NOW - timedelta(seconds=CHECK_EVERY_S * (steps - step))
                results.append(
                    (
                        site.id,
                        site.client,
                        region,
                        f"{region}-1",
                        at,
                        at,
                        "up",
                        base + rng.uniform(-20, 60),
                    )
                )
        results.append(
            (
                site.id,
                site.client,
                "eu-west",
                "eu-west-1",
                NOW - timedelta(days=120),
                NOW - timedelta(days=120),
                "up",
                100.0,
            )
        )
    columns = [
        "site",
        "client",
        "region",
        "worker",
        "scheduled_at",
        "started_at",
        "outcome",
        "total_ms",
    ]
    for start in range(0, len(results), 100_000):
        client.insert("probe_results", results[start : start + 100_000], column_names=columns)
    outages, segments, ledger, states = [], [], [], []
    for site in settings.sites:
        spans = []
        for n in range(2):
            start = NOW - timedelta(days=rng.uniform(0, 89), minutes=rng.uniform(0, 600))
            end = start + timedelta(minutes=rng.uniform(2, 90))
            spans.append((start, end))
            oid = f"{site.id}-o{n}"
            outages.append((oid, site.id, site.client, "closed", start, end, "downtime", [], 1))
            segments.append((f"{oid}-s", site.id, oid, "downtime", start, end, 1, 0))
        month = compute_site_month(settings.contract, site.id, "2026-11", spans, [], [])
        ledger.append(
            (
                site.id,
                "2026-11",
                month.total_minutes,
                0.0,
                month.downtime_minutes,
                0.0,
                month.availability_float,
                99.9,
                month.met,
                month.budget_left_minutes,
                1,
                NOW,
            )
        )
        states.append((site.id, "up", NOW - timedelta(hours=3), 1))
    client.insert(
        "outages",
        outages,
        column_names=[
            "id",
            "site",
            "client",
            "state",
            "start",
            "end",
            "classification",
            "regions_down",
            "version",
        ],
    )
    client.insert(
        "segments",
        segments,
        column_names=["id", "site", "outage_id", "label", "start", "end", "version", "deleted"],
    )
    client.insert(
        "ledger",
        ledger,
        column_names=[
            "site",
            "month",
            "total_minutes",
            "maintenance_minutes",
            "downtime_minutes",
            "excluded_minutes",
            "availability_pct",
            "target_pct",
            "met",
            "budget_left_minutes",
            "version",
            "computed_at",
        ],
    )
    client.insert("site_status", states, column_names=["site", "state", "since", "version"])
    return len(results)


async def _timed(session: Any, url: str, count: int) -> dict[str, float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
            assert response.status == 200, (url, response.status)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
    }


async def _concurrent(session: Any, url: str, pollers: int, each: int) -> float:
    async def poller() -> None:
        for _ in range(each):
            async with session.get(url) as response:
                await response.read()

    started = time.perf_counter()
    await asyncio.gather(*(poller() for _ in range(pollers)))
    return round(pollers * each / (time.perf_counter() - started), 1)


async def _measure(client: Any, cache_ttl_s: float) -> dict[str, Any]:
    import aiohttp

    from slawatch.web.app import create_app, start
    from slawatch.web.clickhouse import ClickHouseStatusRepository

    app = create_app(
        _settings(),
        ClickHouseStatusRepository(client),
        clock=lambda: NOW,
        cache_ttl_s=cache_ttl_s,
    )
    runner, url = await start(app, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            await _timed(session, url + "/", 2)  # warm-up
            figures: dict[str, Any] = {
                "overview_page": await _timed(session, url + "/", 20),
                "site_page": await _timed(session, url + "/sites/site-07", 20),
                "live_status_json": await _timed(session, url + "/api/v1/status", 50),
                "live_status_req_per_s_10_pollers": await _concurrent(
                    session, url + "/api/v1/status", 10, 20
                ),
            }
            headers = {"Accept-Encoding": "gzip"}
            async with session.get(url + "/", headers=headers) as response:
                figures["overview_page_gzip_kb"] = round(len(await response.read()) / 1024, 1)
            async with session.get(url + "/", headers={"Accept-Encoding": "identity"}) as response:
                figures["overview_page_kb"] = round(len(await response.read()) / 1024, 1)
    finally:
        await runner.cleanup()
    return figures


def _child() -> None:
    from slawatch import store
    from slawatch.store.migrations import migrate_database

    with tempfile.TemporaryDirectory() as folder:
        dsn = f"chdb://{Path(folder).resolve() / 'clickhouse'}"
        migrate_database(dsn, "bench")
        client = store.connect(dsn, database="bench")
        started = time.perf_counter()
        rows = _seed(client)
        seeded_s = time.perf_counter() - started
        figures = {
            "uncached": asyncio.run(_measure(client, 0.0)),
            "cached_5s": asyncio.run(_measure(client, 5.0)),
        }
    figures.update(
        {
            "sites": SITES,
            "regions": len(REGIONS),
            "probe_results": rows,
            "seed_s": round(seeded_s, 1),
        }
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        print(json.dumps(run(), indent=2))
