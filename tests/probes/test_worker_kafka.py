"""Region workers through the real broker: results on probe-results, sharing, failover."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from probes.schedule import phase_s
from probes.settings import ProbeSettings
from probes.site_topic import apply_sites
from probes.sites import Client, Site
from probes.sites_file import SitesFile
from probes.worker import ProbeWorker, WorkerSpec
from sla.model import CheckResult, Outcome
from slawatch.kafka_local import LocalKafka

from .fixtures import closed_port, consume_results, raw_tcp_server, serve, target_app

SESSION_TIMEOUT_S = 6.0  # the broker's minimum (group.min.session.timeout.ms)
HEARTBEAT_S = 1.0


def sites_file(sites: list[Site]) -> SitesFile:
    return SitesFile(clients=[Client(id="acme")], sites=sites)


def tcp_site(site_id: str, port: int, **fields: object) -> Site:
    return Site.model_validate(
        {
            "id": site_id,
            "client": "acme",
            "kind": "tcp",
            "target": f"127.0.0.1:{port}",
            "interval_s": 1,
            **fields,
        }
    )


@pytest.fixture
async def listener_port() -> AsyncIterator[int]:
    async with raw_tcp_server() as port:
        yield port


async def test_worker_checks_its_sites_and_publishes_results(
    kafka_bootstrap: str, topic_prefix: str, listener_port: int
) -> None:
    async with serve(target_app()) as web_port:
        sites = [
            Site(
                id="shop",
                client="acme",
                kind="http",
                interval_s=1,
                target=f"http://127.0.0.1:{web_port}/ok",
            ),
            Site(
                id="api",
                client="acme",
                kind="http",
                interval_s=1,
                target=f"http://127.0.0.1:{web_port}/status/502",
            ),
            tcp_site("db", closed_port()),
            tcp_site("elsewhere", listener_port, regions=["other-region"]),
        ]
        await apply_sites(
            kafka_bootstrap,
            sites_file(sites),
            sites_topic=f"{topic_prefix}sites",
            clients_topic=f"{topic_prefix}clients",
        )
        spec = WorkerSpec(
            bootstrap=kafka_bootstrap,
            region="eu-west",
            worker_id="w-1",
            group_id=f"{topic_prefix}probes-eu-west",
            sites_topic=f"{topic_prefix}sites",
            results_topic=f"{topic_prefix}probe-results",
            reference_targets=(f"127.0.0.1:{listener_port}", f"127.0.0.1:{closed_port()}"),
        )
        worker = ProbeWorker(spec, ProbeSettings(session_timeout_ms=6000, shutdown_flush_s=5))
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        loop = asyncio.get_running_loop()

        def three_each(results: list[CheckResult]) -> bool:
            counts: dict[str, int] = defaultdict(int)
            for result in results:
                counts[result.site] += 1
            return all(counts[s] >= 3 for s in ("shop", "api", "db"))

        results = await consume_results(
            kafka_bootstrap, spec.results_topic, loop.time() + 30, three_each
        )
        stop.set()
        await asyncio.wait_for(running, 15)
    by_site: dict[str, list[CheckResult]] = defaultdict(list)
    for result in results:
        by_site[result.site].append(result)
    assert set(by_site) == {"shop", "api", "db"}  # "elsewhere" is not for this region
    assert {r.outcome for r in by_site["shop"]} == {Outcome.UP}
    assert {(r.error_kind, r.status_code) for r in by_site["api"]} == {("http_status", 502)}
    assert {r.error_kind for r in by_site["db"]} == {"connect"}
    for site_id, site_results in by_site.items():
        slots = [r.scheduled_at.timestamp() for r in site_results]
        assert len(set(slots)) == len(slots)  # never twice for one slot
        phase = phase_s(site_id, 1.0)
        assert all(
            abs((slot - phase) % 1.0) < 1e-6 or abs((slot - phase) % 1.0 - 1) < 1e-6
            for slot in slots
        )  # on the grid
        for r in site_results:
            assert (r.region, r.worker, r.client, r.reference_ok) == (
                "eu-west",
                "w-1",
                "acme",
                True,
            )
            assert 0 <= (r.started_at - r.scheduled_at).total_seconds() < 1.0  # in its slot
    stats = worker.stats.snapshot()
    assert stats["shed"] == 0
    assert stats["published"] == stats["checks"] >= len(results)


# --------------------------------------------------------------------------- two workers


def start_worker(
    worker_id: str, bootstrap: str, prefix: str, config: Path, log_dir: Path
) -> asyncio.subprocess.Process:
    argv = [
        sys.executable,
        "-m",
        "slawatch",
        "probe",
        "--region",
        "eu-west",
        "--config",
        str(config),
        "--bootstrap",
        bootstrap,
        "--topic-prefix",
        prefix,
        "--worker-id",
        worker_id,
        "--session-timeout-ms",
        str(int(SESSION_TIMEOUT_S * 1000)),
    ]
    log = (log_dir / f"{worker_id}.log").open("wb")
    return asyncio.create_subprocess_exec(*argv, stdout=log, stderr=log)  # type: ignore[return-value]


@pytest.mark.faults  # listed in tests/faults/__init__.py
async def test_two_workers_share_sites_and_a_killed_ones_sites_move(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, listener_port: int
) -> None:
    config = tmp_path / "slawatch.yaml"
    config.write_text("regions:\n  - name: eu-west\n")
    sites = [tcp_site(f"site-{i:02d}", listener_port) for i in range(12)]
    await apply_sites(
        kafka_bootstrap,
        sites_file(sites),
        sites_topic=f"{topic_prefix}sites",
        clients_topic=f"{topic_prefix}clients",
    )
    results_topic = f"{topic_prefix}probe-results"
    loop = asyncio.get_running_loop()
    a = await start_worker("w-a", kafka_bootstrap, topic_prefix, config, tmp_path)
    b = await start_worker("w-b", kafka_bootstrap, topic_prefix, config, tmp_path)
    try:
        # 1. both workers settle into a split: a 3 s window where every site has one worker
        window_s = 3.0

        def settled(results: list[CheckResult]) -> bool:
            return bool(steady_owners(results, window_s))

        results = await consume_results(kafka_bootstrap, results_topic, loop.time() + 60, settled)
        owners = steady_owners(results, window_s)
        assert owners, logs(tmp_path)
        assert set(owners) == {s.id for s in sites}
        assert set(owners.values()) == {"w-a", "w-b"}, owners

        # 2. kill w-b abruptly; its sites must move to w-a
        b.send_signal(signal.SIGKILL)
        killed_at = time.time()
        moved = [site for site, worker in owners.items() if worker == "w-b"]
        budget = SESSION_TIMEOUT_S + HEARTBEAT_S + 1.0  # + one interval

        def all_moved(results: list[CheckResult]) -> bool:
            return all(first_after(results, site, "w-a", killed_at) for site in moved)

        results = await consume_results(
            kafka_bootstrap, results_topic, loop.time() + budget + 20, all_moved
        )
        delays = {site: first_after(results, site, "w-a", killed_at) for site in moved}
        assert all(delays.values()), (delays, logs(tmp_path))
        worst = max(d - killed_at for d in delays.values() if d)
        print(f"sites of the killed worker moved after {worst:.1f} s (budget {budget:.0f} s)")
        assert worst <= budget + 3.0, (worst, logs(tmp_path))  # + rejoin on a loaded machine

        # 3. never two checks for one slot of one site, across the whole test
        slots = [(r.site, r.scheduled_at) for r in results]
        assert len(slots) == len(set(slots))
    finally:
        for process in (a, b):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in (a, b):
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
    assert a.returncode == 0, logs(tmp_path)


def steady_owners(results: list[CheckResult], window_s: float) -> dict[str, str]:
    """site → worker when, in the last ``window_s`` of results, every site had one worker."""
    if not results:
        return {}
    newest = max(r.started_at.timestamp() for r in results)
    recent = [r for r in results if r.started_at.timestamp() > newest - window_s]
    oldest = min(r.started_at.timestamp() for r in results)
    if newest - oldest < window_s:
        return {}
    workers: dict[str, set[str]] = defaultdict(set)
    for r in recent:
        workers[r.site].add(r.worker)
    if len(workers) < 12 or any(len(w) != 1 for w in workers.values()):
        return {}
    owners = {site: next(iter(w)) for site, w in workers.items()}
    return owners if len(set(owners.values())) == 2 else {}


def first_after(results: list[CheckResult], site: str, worker: str, moment: float) -> float | None:
    times = [
        r.started_at.timestamp()
        for r in results
        if r.site == site and r.worker == worker and r.started_at.timestamp() > moment
    ]
    return min(times) if times else None


def logs(folder: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(folder.glob("w-*.log"))
    )


# --------------------------------------------------------------------------- Kafka away


@pytest.fixture
def run_slow_faults(request: pytest.FixtureRequest) -> None:
    """Starts a broker of its own and kills it: only with ``make test-faults``."""
    if not request.config.getoption("--run-slow-faults"):
        pytest.skip("slow fault test: run with --run-slow-faults (make test-faults)")


@pytest.mark.faults
async def test_kafka_away_fills_the_buffer_slows_checks_and_loses_nothing(
    run_slow_faults: None, kafka_broker: LocalKafka, topic_prefix: str, listener_port: int
) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    sites = [tcp_site(f"s{i}", listener_port) for i in range(3)]
    await apply_sites(
        bootstrap,
        sites_file(sites),
        sites_topic=f"{topic_prefix}sites",
        clients_topic=f"{topic_prefix}clients",
    )
    spec = WorkerSpec(
        bootstrap=bootstrap,
        region="eu-west",
        worker_id="w-1",
        group_id=f"{topic_prefix}probes-eu-west",
        sites_topic=f"{topic_prefix}sites",
        results_topic=f"{topic_prefix}probe-results",
    )
    settings = ProbeSettings(buffer_size=4, request_timeout_ms=3000, shutdown_flush_s=30)
    worker = ProbeWorker(spec, settings)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await until(lambda: worker.stats.published >= 6, 30)
        kafka_broker.kill()
        await asyncio.sleep(6)  # 3 checks/s offered; 4 fit in the buffer, 4 in the producer
        stats = worker.stats
        assert worker.buffer.qsize() <= 4
        # buffer + in the producer + the one the publisher holds + one per site loop
        assert stats.checks - stats.published <= 4 + 4 + 1 + 3
        checks_while_away = stats.checks
        await asyncio.sleep(3)
        assert stats.checks == checks_while_away  # the schedule waits instead of growing memory
        assert stats.shed == 0
        await asyncio.to_thread(kafka_broker.start)
        await until(lambda: stats.published >= checks_while_away + 6, 60)
        assert stats.skipped_slots >= 6  # the slots missed while blocked are counted
    finally:
        stop.set()
        await asyncio.wait_for(running, 60)
    snapshot = worker.stats.snapshot()
    assert snapshot["shed"] == 0 and snapshot["publish_retries"] >= 0
    assert snapshot["published"] == snapshot["checks"]
    loop = asyncio.get_running_loop()
    results = await consume_results(
        bootstrap,
        spec.results_topic,
        loop.time() + 30,
        lambda rs: len({r.id for r in rs}) >= snapshot["checks"],
    )
    assert len({r.id for r in results}) == snapshot["checks"]  # every check, once (by id)


async def until(condition: Callable[[], bool], timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
