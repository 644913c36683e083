"""The whole flow under a broker fault: probe worker → Kafka → stream → Kafka → sink → ClickHouse.

The probe worker and the sink run in the test's event loop (their counters are read
directly), the stream as a ``slawatch stream`` subprocess. Two TCP sites are checked every
second; after the fault one of them stops listening, so the stream must confirm an outage
and the sink must store it: proof that every stage resumed, not only the first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from probes.settings import ProbeSettings
from probes.site_topic import apply_sites
from probes.sites import Client, Site
from probes.sites_file import SitesFile
from probes.worker import ProbeWorker, WorkerSpec
from sinks.rows import table_specs
from sinks.service import run_sink
from sla.contract import Contract
from slawatch import topics
from slawatch.config import KafkaSettings, Settings, SinkSettings
from tests.probes.fixtures import raw_tcp_server
from tests.stream.fixtures import Worker

PARTITIONS = 3


@dataclass
class FlowReport:
    """What the flow measured, for the test's assertions."""

    checks: int
    published: int
    shed: int
    stored: int
    stored_ids: int
    outage_stored: bool
    seconds_to_resume: float  # from the end of the fault to the next published check
    checks_during_fault: int  # checks made while the fault was being applied
    seconds_of_fault: float


async def create_topics(bootstrap: str, prefix: str, replication: int) -> None:
    """Every topic of the flow, with the replication the cluster calls for."""
    compacted = {topics.SITES, topics.CLIENTS, topics.MAINTENANCE, topics.EXCLUSIONS}
    names = {s.topic for s in table_specs(Contract())} | compacted | {topics.DEAD_LETTER}
    names |= {topics.LATE_RESULTS}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        wanted = [
            NewTopic(
                topics.topic(name, prefix),
                num_partitions=1 if name in (topics.MAINTENANCE, topics.EXCLUSIONS) else PARTITIONS,
                replication_factor=replication,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in sorted(names)
        ]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(wanted)
    finally:
        await admin.close()


def _site(site_id: str, port: int) -> Site:
    return Site.model_validate(
        {"id": site_id, "client": "acme", "kind": "tcp", "target": f"127.0.0.1:{port}",
         "interval_s": 1}
    )  # fmt: skip


async def _stop(event: asyncio.Event, task: asyncio.Task[Any]) -> None:
    event.set()
    await asyncio.wait_for(task, 90)


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s; fail naming ``what`` after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, f"{what}: not within {timeout_s} s"
        await asyncio.sleep(0.1)


async def run_flow(
    bootstrap: str,
    prefix: str,
    store: Any,
    tmp_path: Path,
    fault: Callable[[], None],
    replication: int = 1,
) -> FlowReport:
    """Run the flow, apply ``fault`` (blocking, run in a thread) mid-way, and report."""
    await create_topics(bootstrap, prefix, replication)
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        yaml.safe_dump({"kafka": {"replication_factor": replication, "partitions": PARTITIONS}})
    )
    stream = Worker(
        bootstrap, prefix, tmp_path / "stream", "--config", str(config),
        "--grace", "1", "--tick", "0.5", "--session-timeout", "6",
    )  # fmt: skip
    settings = Settings(
        kafka=KafkaSettings(topic_prefix=prefix, replication_factor=replication),
        sink=SinkSettings(
            group_id=f"{prefix}sink", batch_max_rows=50, batch_max_seconds=0.3,
            retry_initial_seconds=0.2, retry_max_seconds=1.0,
        ),
    )  # fmt: skip
    stop_sink, stop_probe = asyncio.Event(), asyncio.Event()
    outage_sql = "SELECT count() FROM outages WHERE site = 'flaky'"

    def count(sql: str) -> int:
        return int(store.query(sql).result_rows[0][0])

    async with contextlib.AsyncExitStack() as stack:  # stops everything, even on failure
        steady = await stack.enter_async_context(raw_tcp_server())
        flaky_listener = await stack.enter_async_context(contextlib.AsyncExitStack())
        flaky = await flaky_listener.enter_async_context(raw_tcp_server())
        await apply_sites(
            bootstrap,
            SitesFile(
                clients=[Client(id="acme")],
                sites=[_site("steady", steady), _site("flaky", flaky)],
            ),
            sites_topic=topics.topic(topics.SITES, prefix),
            clients_topic=topics.topic(topics.CLIENTS, prefix),
            partitions=PARTITIONS,
            replication_factor=replication,
        )
        stream.start()
        stack.callback(stream.stop)
        worker = ProbeWorker(
            WorkerSpec(
                bootstrap=bootstrap, region="eu", worker_id="eu-1",
                group_id=f"{prefix}probes-eu",
                sites_topic=topics.topic(topics.SITES, prefix),
                results_topic=topics.topic(topics.PROBE_RESULTS, prefix),
                dead_letter_topic=topics.topic(topics.DEAD_LETTER, prefix),
                partitions=PARTITIONS, replication_factor=replication,
            ),
            ProbeSettings(request_timeout_ms=5000, shutdown_flush_s=60),
        )  # fmt: skip
        sink = asyncio.create_task(run_sink(settings, bootstrap, store, stop=stop_sink))
        stack.push_async_callback(_stop, stop_sink, sink)
        probe = asyncio.create_task(worker.run(stop_probe))
        stack.push_async_callback(_stop, stop_probe, probe)  # before the sink's: LIFO
        await asyncio.to_thread(stream.wait_ready)
        stats = worker.stats
        try:
            await until(lambda: count("SELECT count() FROM probe_results") >= 4, 120, "first rows")
        except AssertionError as exc:  # say which stage held the flow up
            raise AssertionError(
                f"{exc} (probe worker: {stats.snapshot()}; "
                f"{count('SELECT count() FROM probe_results')} rows stored)"
            ) from None

        loop = asyncio.get_running_loop()
        fault_began, checks_before = loop.time(), stats.checks
        await asyncio.to_thread(fault)
        fault_s, checks_during = loop.time() - fault_began, stats.checks - checks_before
        after_fault, published_then = loop.time(), stats.published
        await until(lambda: stats.published > published_then, 60, "publishing resumes")
        resumed_s = loop.time() - after_fault

        await flaky_listener.aclose()  # "flaky" stops listening: its checks fail from now on
        await until(lambda: count(outage_sql) >= 1, 90, "the outage after the fault")

        await _stop(stop_probe, probe)  # flushes what it holds: published is final
        # Every result the worker reports as published must reach the store.
        await until(
            lambda: count("SELECT count() FROM probe_results") >= stats.published,
            60,
            "every published result stored",
        )
        await asyncio.sleep(1.0)  # a replayed batch would land now
    return FlowReport(
        checks=stats.checks,
        published=stats.published,
        shed=stats.shed,
        stored=count("SELECT count() FROM probe_results"),
        stored_ids=count("SELECT uniqExact(site, region, scheduled_at) FROM probe_results"),
        outage_stored=count(outage_sql) >= 1,
        seconds_to_resume=resumed_s,
        checks_during_fault=checks_during,
        seconds_of_fault=fault_s,
    )
