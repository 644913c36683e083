"""`slawatch run`: the whole pipeline in one process, on the embedded defaults.

One process hosts everything that touches the store (the embedded ClickHouse allows one
process per path): the sink, the status page, the live summary and a local admin API that
``slawatch status`` and ``slawatch sla report`` read through. The probe workers of every
region, the alert engine and the notifiers run in the same event loop; the stream worker
(Faust, which owns its own event loop) runs as a supervised child process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from sla.calendar import months_touching
from sla.model import MaintenanceEvent
from slawatch import topics
from slawatch.child_metrics import merged_metrics_handler
from slawatch.config import Settings
from slawatch.demo import FailureSchedule, serve_demo
from slawatch.instance import RunningInstance, remove
from slawatch.kafka_local import free_ports
from slawatch.summary import OutageLine, Summary, consumer_lag, outage_lines, site_figures
from slawatch.supervisor import SupervisedProcess

log = logging.getLogger("slawatch.run")

STREAM_METRICS_UP = "slawatch_stream_metrics_up"  # 1 when /metrics holds the stream child's


def demo_maintenance_window(schedule: FailureSchedule) -> tuple[timedelta, timedelta]:
    """(start, end) after the demo's start of the window announced over its second failure.

    The first failure is downtime and the second falls inside this window, so a new user
    sees a downtime segment and a maintenance segment (defaults: 11 to 14 minutes in).
    """
    margin = min(30.0, schedule.fail_after_s / 2)
    start = schedule.cycle_s + schedule.fail_after_s - margin
    end = schedule.cycle_s + schedule.fail_after_s + schedule.fail_for_s + margin
    return timedelta(seconds=start), timedelta(seconds=end)


@dataclass
class Pipeline:
    """The components of one ``slawatch run`` and what they share."""

    settings: Settings
    config_path: Path | None
    bootstrap: str
    store: Any  # clickhouse-connect client on the configured database
    out: TextIO = sys.stdout
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    probe_workers: list[Any] = field(default_factory=list)
    status_page: str = ""
    stream: SupervisedProcess | None = None
    stream_metrics_url: str | None = None  # the stream child's /metrics, once it has a port
    _seen_outages: dict[str, str] = field(default_factory=dict)
    _last_checks: tuple[float, int] = (0.0, 0)

    def say(self, text: str) -> None:
        """A line for the person at the terminal."""
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        print(f"[{stamp}] {text}", file=self.out, flush=True)

    # ------------------------------------------------------------------ components

    def _probe_tasks(self) -> list[Awaitable[None]]:
        from probes.stats import ProbeStats
        from probes.worker import ProbeWorker, WorkerSpec, default_worker_id, group_id

        prefix = self.settings.kafka.topic_prefix
        tasks: list[Awaitable[None]] = []
        for region in self.settings.regions:
            spec = WorkerSpec(
                bootstrap=self.bootstrap,
                region=region.name,
                sites_topic=topics.topic(topics.SITES, prefix),
                results_topic=topics.topic(topics.PROBE_RESULTS, prefix),
                dead_letter_topic=topics.topic(topics.DEAD_LETTER, prefix),
                worker_id=default_worker_id(region.name),
                group_id=group_id(region.name, prefix),
                reference_targets=tuple(region.reference_targets),
                reference_interval_s=region.reference_interval_s,
                partitions=self.settings.kafka.partitions,
                replication_factor=self.settings.kafka.replication_factor,
            )
            worker = ProbeWorker(spec, self.settings.probes, ProbeStats())
            self.probe_workers.append(worker)
            tasks.append(worker.run(self.stop))
        return tasks

    async def _sink(self) -> None:
        from sinks.service import run_sink

        await run_sink(self.settings, self.bootstrap, self.store, self.stop)

    async def _alerts(self) -> None:
        from slawatch.alerting.engine import AlertEngine

        engine = AlertEngine(
            self.bootstrap,
            self.settings.contract,
            self.settings.alerting,
            site_clients={site.id: site.client for site in self.settings.sites},
            topic_prefix=self.settings.kafka.topic_prefix,
            partitions=self.settings.kafka.partitions,
            replication=self.settings.kafka.replication_factor,
        )
        await _until_stopped(engine.run(), engine.stop, self.stop)

    async def _notify(self) -> None:
        notify = self.settings.notify
        if not notify.webhooks and notify.smtp is None:
            return  # nothing configured: no notifier
        import aiohttp

        from slawatch.notify.assembly import build_channels
        from slawatch.notify.service import Notifier

        async with aiohttp.ClientSession() as session:
            notifier = Notifier(
                self.bootstrap,
                notify,
                build_channels(self.settings, session),
                topic_prefix=self.settings.kafka.topic_prefix,
                partitions=self.settings.kafka.partitions,
                replication=self.settings.kafka.replication_factor,
            )
            await _until_stopped(notifier.run(), notifier.stop, self.stop)

    async def _stream(self) -> None:
        log_path = self.settings.data_dir / "logs" / "stream.log"
        self.stream = SupervisedProcess("stream worker", self.stream_argv, log_path)
        await self.stream.run(self.stop)

    def stream_argv(self) -> list[str]:
        """The stream child's command line, with its ``/metrics`` on a loopback port.

        Called at every (re)start: with ``run.stream_metrics_port`` 0 the port is picked
        afresh, and ``stream_metrics_url`` follows it.
        """
        port = self.settings.run.stream_metrics_port or free_ports(1)[0]
        self.stream_metrics_url = f"http://127.0.0.1:{port}/metrics"
        argv = [sys.executable, "-m", "slawatch", "stream", "--bootstrap", self.bootstrap]
        if self.config_path is not None:
            argv += ["--config", str(self.config_path)]
        # --lag-interval 0: run's own /metrics already reports every group's lag (the
        # child's copy would be dropped from the merge anyway).
        metrics = ["--metrics-host", "127.0.0.1", "--metrics-port", str(port)]
        return [*argv, *metrics, "--lag-interval", "0"]

    async def _web(self) -> None:
        from slawatch import store
        from slawatch.web.app import create_app, start
        from slawatch.web.clickhouse import ClickHouseStatusRepository

        client = store.connect(self.settings.clickhouse_dsn(), self.settings.clickhouse.database)
        metrics = merged_metrics_handler(lambda: self.stream_metrics_url, up=STREAM_METRICS_UP)
        app = create_app(self.settings, ClickHouseStatusRepository(client), metrics_route=metrics)
        run = self.settings.run
        runner, self.status_page = await start(app, run.web_host, run.web_port)
        self.say(f"status page: {self.status_page}")
        try:
            await self.stop.wait()
        finally:
            await runner.cleanup()

    # ------------------------------------------------------------------ summary

    def summary(self, now: datetime, lag: dict[str, int | None]) -> Summary:
        """The pipeline at ``now`` (store queries run in the caller's thread)."""
        month = months_touching(now, now, self.settings.contract.timezone)[0]
        checks = sum(w.stats.checks for w in self.probe_workers)
        then, before = self._last_checks
        elapsed = now.timestamp() - then
        rate = (checks - before) / elapsed if then and elapsed > 0 else 0.0
        self._last_checks = (now.timestamp(), checks)
        return Summary(
            at=now.isoformat(timespec="seconds"),
            month=month,
            sites=site_figures(self.store, [s.id for s in self.settings.sites], month),
            results_per_s=rate,
            lag=lag,
            status_page=self.status_page,
        )

    def consumer_groups(self) -> list[str]:
        """Every consumer group of the pipeline (for ``slawatch_consumer_lag{group}``)."""
        from probes.worker import group_id

        prefix = self.settings.kafka.topic_prefix
        groups = [f"{prefix}slawatch-stream", self.settings.sink.group_id]
        if self.settings.notify.webhooks or self.settings.notify.smtp is not None:
            groups.append(self.settings.notify.group_id)
        groups += [group_id(region.name, prefix) for region in self.settings.regions]
        return groups

    async def _metrics(self) -> None:
        """Probe metrics (label ``region``) and every group's lag on the web app's /metrics.

        The sink, alert engine and notifier count into the default registry already; each
        probe worker has a private registry with the same names, merged here.
        """
        from prometheus_client import REGISTRY

        from slawatch.observability import RegionRelabeller, lag_monitor

        probes = {w.spec.region: w.stats.registry for w in self.probe_workers}
        relabeller = RegionRelabeller(probes)
        REGISTRY.register(relabeller)
        try:
            interval = self.settings.run.summary_interval_s
            await lag_monitor(self.bootstrap, self.consumer_groups(), self.stop, interval)
        finally:
            REGISTRY.unregister(relabeller)

    async def lag(self) -> dict[str, int | None]:
        """Consumer lag of the stream worker and the sink."""
        prefix = self.settings.kafka.topic_prefix
        groups = {"stream": f"{prefix}slawatch-stream", "sink": self.settings.sink.group_id}
        return {name: await consumer_lag(self.bootstrap, group) for name, group in groups.items()}

    def new_outage_lines(self) -> list[OutageLine]:
        """Outages opened or closed since the last call."""
        fresh = []
        for outage in outage_lines(self.store):
            if self._seen_outages.get(outage.id) != outage.state:
                self._seen_outages[outage.id] = outage.state
                fresh.append(outage)
        return fresh

    async def _summaries(self) -> None:
        interval = self.settings.run.summary_interval_s
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), interval)
            if self.stop.is_set():
                return
            try:
                lag = await self.lag()
                summary = await asyncio.to_thread(self.summary, datetime.now(UTC), lag)
                outages = await asyncio.to_thread(self.new_outage_lines)
            except Exception as exc:  # the summary is informative; the pipeline goes on
                log.warning("summary unavailable: %s", exc)
                continue
            for outage in outages:
                self.say(outage.text())
            self.say(summary.line())

    # ------------------------------------------------------------------ admin API

    async def _admin(self) -> None:
        app = web.Application()
        app.router.add_get("/status", self._admin_status)
        app.router.add_get("/events", self._admin_events)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        instance = RunningInstance(
            pid=os.getpid(),
            admin_url=f"http://127.0.0.1:{port}",
            status_page=self.status_page,
            bootstrap=self.bootstrap,
        )
        instance.write(self.settings.data_dir)
        try:
            await self.stop.wait()
        finally:
            remove(self.settings.data_dir, os.getpid())
            await runner.cleanup()

    async def _admin_status(self, _: web.Request) -> web.Response:
        lag = await self.lag()
        summary = await asyncio.to_thread(self.summary, datetime.now(UTC), lag)
        return web.json_response(summary.to_dict())

    async def _admin_events(self, request: web.Request) -> web.Response:
        from sinks.store_events import read_events

        site = request.query.get("site") or None
        events = await asyncio.to_thread(read_events, self.store, datetime.now(UTC), site)
        body = "".join(event.model_dump_json() + "\n" for event in events)
        return web.Response(text=body, content_type="application/x-ndjson")

    # ------------------------------------------------------------------ demo

    async def _demo(self) -> None:
        run = self.settings.run
        schedule = FailureSchedule(run.demo_cycle_s, run.demo_fail_after_s, run.demo_fail_for_s)
        runner = await serve_demo("127.0.0.1", run.demo_port, schedule)
        started = datetime.now(UTC)
        self.say(
            f"demo target on http://127.0.0.1:{run.demo_port}: /health fails "
            f"{schedule.fail_after_s:.0f}-{schedule.fail_after_s + schedule.fail_for_s:.0f} s "
            f"into every {schedule.cycle_s:.0f} s"
        )
        try:
            if run.demo_maintenance:
                await self._announce_demo_maintenance(started, schedule)
            await self.stop.wait()
        finally:
            await runner.cleanup()

    async def _announce_demo_maintenance(
        self, started: datetime, schedule: FailureSchedule
    ) -> None:
        from stream.calendar_io import publish

        after, until = demo_maintenance_window(schedule)
        window = MaintenanceEvent(
            id=f"demo-{started:%Y%m%dT%H%M%S}",
            sites=[s.id for s in self.settings.sites],
            start=started + after,
            end=started + until,
            announced_at=started,
            title="Demo: database upgrade",
            impact="the demo health endpoint may fail",
        )
        topic = topics.topic(topics.MAINTENANCE, self.settings.kafka.topic_prefix)
        await publish(self.bootstrap, topic, window.id, window.model_dump_json().encode())
        self.say(
            f"maintenance {window.id} announced for {window.start:%H:%M}-{window.end:%H:%M} UTC "
            "(short notice: an emergency window)"
        )

    # ------------------------------------------------------------------ the whole

    async def run(self) -> None:
        """Publish the sites, start every component, run until ``stop`` is set."""
        from probes.site_topic import apply_sites
        from probes.sites_file import SitesFile
        from slawatch.kafka_admin import ensure_topics

        prefix = self.settings.kafka.topic_prefix
        kafka = self.settings.kafka
        # Every shared topic exists (with its policy) before any component starts.
        await ensure_topics(
            self.bootstrap,
            topics.pipeline_topics(prefix),
            kafka.partitions,
            kafka.replication_factor,
        )
        sites, _ = await apply_sites(
            self.bootstrap,
            SitesFile(sites=self.settings.sites, clients=self.settings.clients),
            sites_topic=topics.topic(topics.SITES, prefix),
            clients_topic=topics.topic(topics.CLIENTS, prefix),
            partitions=self.settings.kafka.partitions,
            replication_factor=self.settings.kafka.replication_factor,
            prune=True,
        )
        self.say(
            f"sites published: {len(self.settings.sites)} ({len(sites.added)} new, "
            f"{len(sites.changed)} changed, {len(sites.removed)} removed)"
        )
        components: list[tuple[str, Awaitable[None]]] = [
            ("web", self._web()),
            ("sink", self._sink()),
            ("stream", self._stream()),
            ("alerts", self._alerts()),
            ("notify", self._notify()),
            ("summary", self._summaries()),
            ("admin", self._admin()),
        ]
        if self.settings.run.demo_target:
            components.append(("demo", self._demo()))
        probe_tasks = self._probe_tasks()
        components += [
            (f"probe {worker.spec.region}", task)
            for worker, task in zip(self.probe_workers, probe_tasks, strict=True)
        ]
        components.append(("metrics", self._metrics()))
        await _supervise(components, self.stop)


async def _until_stopped(
    work: Awaitable[None], ask_to_stop: Callable[[], None], stop: asyncio.Event
) -> None:
    """Run ``work``; when ``stop`` is set, call ``ask_to_stop`` and let it finish."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            ask_to_stop()
        await task
    finally:
        waiter.cancel()


async def _supervise(components: list[tuple[str, Awaitable[None]]], stop: asyncio.Event) -> None:
    """Run every component; the first one that fails stops the others (and is re-raised)."""
    tasks = {asyncio.ensure_future(work): name for name, work in components}
    failure: BaseException | None = None
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.cancelled() or task.exception() is None:
                continue
            if failure is None:
                failure = task.exception()
                log.error("%s failed: %s", tasks[task], failure, exc_info=failure)
            stop.set()
    if failure is not None:
        raise failure
