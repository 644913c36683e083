"""The end-to-end run: a generated fleet through probes → Kafka → stream → ClickHouse.

Run as ``python -m benchmarks.pipeline.orchestrate --out FILE [options]`` (``bench_pipeline``
does): a child process of its own, because the sink opens the embedded ClickHouse here and
chDB allows one engine per process. Processes:

* a local Kafka broker (``slawatch.kafka_local``, free ports, under a temporary folder);
* the target server (``benchmarks.pipeline.targets``): site ``n`` is ``/s/<n>`` on one of a
  few ports, and a switch makes a chosen subset answer 503 from a known instant;
* probe workers: ``slawatch probe --region R`` subprocesses, three regions;
* stream workers: ``slawatch stream`` subprocesses (one by default, same group);
* this process: the sink (``sinks.service.run_sink`` on ``chdb://<tmp>/clickhouse``), the
  alert engine, and the observers (offsets every 2 s, outages and alerts as they come).

Timeline: warm-up until one full round of results is on Kafka plus one interval; then the
measuring window (``--seconds``); ``--down-after`` seconds into it the chosen sites go down;
after the window the run waits (at most grace + 6 intervals + 60 s) for each of them to
reach ``outages`` and ``alerts``; then the probes stop, the sink drains, everything stops
(by PID) and the stored rows are counted against what the probes published.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.pipeline.figures import lag_series, latencies, stage_rates
from benchmarks.pipeline.observe import EventWatcher, OffsetSampler
from benchmarks.pipeline.procs import ProcessUsage, read_usage
from benchmarks.pipeline.targets import TargetServer
from slawatch import topics

REGIONS = ("eu-west", "us-east", "ap-south")
STAGES = ("stream", "sink")
REPO = Path(__file__).resolve().parents[2]
log = logging.getLogger("bench.pipeline")


@dataclass(frozen=True)
class Options:
    """The size and shape of one run."""

    sites: int = 1000
    interval_s: float = 10.0
    seconds: float = 75.0  # the measuring window
    grace_s: float = 60.0  # the stream worker's reordering grace (its default)
    stream_workers: int = 1
    probe_workers: int = 1  # per region
    down_fraction: float = 0.02
    down_after_s: float = 10.0
    target_ports: int = 4
    bootstrap: str | None = None  # an existing broker instead of a local one
    alerts: bool = True  # run the alert engine (off: no alert latency is measured)

    @property
    def down_count(self) -> int:
        """How many sites go down (at least 1, at most all)."""
        return max(1, min(self.sites, round(self.sites * self.down_fraction)))


@dataclass
class Children:
    """Every subprocess of the run, by component name; stopped by PID."""

    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], log_path: Path) -> None:
        """Start ``argv`` as component ``name``, output to ``log_path``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLAWATCH_")}
        with log_path.open("wb") as out:
            self.procs[name] = subprocess.Popen(
                argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.logs[name] = log_path

    def check_alive(self) -> None:
        """Raise with the log's tail if a component exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = self.logs[name].read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self, names: list[str], timeout_s: float = 20.0) -> None:
        """SIGTERM each of ``names`` by PID, then SIGKILL those still there after the timeout."""
        for name in names:
            proc = self.procs[name]
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for name in names:
            proc = self.procs[name]
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s: SIGKILL", name, timeout_s)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()


def write_config(
    path: Path, workdir: Path, prefix: str, targets: TargetServer, opts: Options
) -> None:
    """The slawatch.yaml every component of the run reads."""
    sites = [
        {
            "id": f"s{n:06d}",
            "client": f"c{n % 100:03d}",
            "kind": "http",
            "target": targets.url(n),
            "interval_s": opts.interval_s,
            "timeout_s": min(5.0, opts.interval_s),
        }
        for n in range(opts.sites)
    ]
    config = {
        "data_dir": str(workdir / "data"),
        "kafka": {"topic_prefix": prefix, "partitions": 6},
        "clickhouse": {"dsn": f"chdb://{workdir / 'clickhouse'}", "database": "bench"},
        "sink": {"group_id": f"{prefix}sink"},
        "regions": [{"name": r} for r in REGIONS],
        "clients": [{"id": f"c{c:03d}"} for c in range(min(100, opts.sites))],
        "sites": sites,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False, width=200))


def site_number(site_id: str) -> int:
    """``s000042`` → 42."""
    return int(site_id[1:])


class PipelineRun:
    """One run of the benchmark (see the module's docstring)."""

    def __init__(self, opts: Options, workdir: Path) -> None:
        self.opts = opts
        self.workdir = workdir
        self.prefix = f"bench{uuid.uuid4().hex[:8]}."
        self.children = Children()
        self.stop = asyncio.Event()
        self.marks: dict[str, float] = {}
        self.usage_start: dict[str, ProcessUsage | None] = {}
        self.usage_end: dict[str, ProcessUsage | None] = {}

    # -------------------------------------------------------------- components

    def _pids(self, broker_pids: list[int], target_pid: int) -> dict[str, int]:
        pids = {name: p.pid for name, p in self.children.procs.items()}
        pids["target server"] = target_pid
        pids["bench process: sink + alert engine + embedded ClickHouse"] = os.getpid()
        for i, pid in enumerate(broker_pids):
            pids[f"kafka broker {i + 1} (JVM)"] = pid
        return pids

    def _snapshot(self, pids: dict[str, int]) -> dict[str, ProcessUsage | None]:
        return {name: read_usage(pid) for name, pid in pids.items()}

    def _start_probes(self, config: Path, bootstrap: str) -> None:
        for region in REGIONS:
            for k in range(self.opts.probe_workers):
                name = f"probe {region}" + (f" #{k + 1}" if self.opts.probe_workers > 1 else "")
                argv = [sys.executable, "-m", "slawatch", "probe", "--region", region,
                        "--config", str(config), "--bootstrap", bootstrap,
                        "--worker-id", f"{region}-{k + 1}", "--loglevel", "warning"]  # fmt: skip
                self.children.start(name, argv, self.workdir / f"{name.replace(' ', '-')}.log")

    def _start_stream(self, config: Path, bootstrap: str) -> None:
        for k in range(self.opts.stream_workers):
            name = "stream worker" + (f" #{k + 1}" if self.opts.stream_workers > 1 else "")
            argv = [sys.executable, "-m", "slawatch", "stream", "--config", str(config),
                    "--bootstrap", bootstrap, "--data-dir", str(self.workdir / f"stream-{k}"),
                    "--grace", str(self.opts.grace_s), "--loglevel", "info"]  # fmt: skip
            self.children.start(name, argv, self.workdir / f"stream-{k}.log")

    # -------------------------------------------------------------- the run

    async def run(
        self, bootstrap: str, targets: TargetServer, broker_pids: list[int]
    ) -> dict[str, Any]:
        """Start everything, measure, stop; the figures."""
        from probes.site_topic import apply_sites
        from probes.sites_file import SitesFile
        from sinks.service import run_sink
        from slawatch.alerting.engine import AlertEngine
        from slawatch.config import load_settings
        from slawatch.runtime import ensure_schema

        opts = self.opts
        config = self.workdir / "slawatch.yaml"
        write_config(config, self.workdir, self.prefix, targets, opts)
        started = time.perf_counter()
        settings = load_settings(config, env={})
        self.marks["config_load_s"] = time.perf_counter() - started
        store = await asyncio.to_thread(ensure_schema, settings)
        started = time.perf_counter()
        await apply_sites(
            bootstrap,
            SitesFile(sites=settings.sites, clients=settings.clients),
            sites_topic=topics.topic(topics.SITES, self.prefix),
            clients_topic=topics.topic(topics.CLIENTS, self.prefix),
            partitions=settings.kafka.partitions,
        )
        self.marks["sites_publish_s"] = time.perf_counter() - started
        results_topic = topics.topic(topics.PROBE_RESULTS, self.prefix)
        sampler = OffsetSampler(
            bootstrap,
            results_topic,
            {"stream": f"{self.prefix}slawatch-stream", "sink": settings.sink.group_id},
        )
        watcher = EventWatcher(
            bootstrap,
            topics.topic(topics.OUTAGES, self.prefix),
            topics.topic(topics.ALERTS, self.prefix),
        )
        engine = AlertEngine(
            bootstrap,
            settings.contract,
            settings.alerting,
            site_clients={s.id: s.client for s in settings.sites},
            topic_prefix=self.prefix,
            partitions=settings.kafka.partitions,
        )
        self._start_stream(config, bootstrap)
        sink_stop = asyncio.Event()
        tasks = [
            asyncio.create_task(run_sink(settings, bootstrap, store, sink_stop), name="sink"),
            asyncio.create_task(sampler.run(self.stop), name="offsets"),
            asyncio.create_task(watcher.run(self.stop), name="events"),
        ]
        if opts.alerts:
            tasks.append(asyncio.create_task(engine.run(), name="alert engine"))
        try:
            self._start_probes(config, bootstrap)
            self.marks["probes_started"] = time.time()
            pids = self._pids(broker_pids, targets.pid)
            down_sites, down_at = await self._measure(sampler, watcher, targets, pids, tasks)
            published = await self._drain(sampler, tasks)
            self.usage_end.update(
                {k: v for k, v in self._snapshot(pids).items() if k not in self.usage_end}
            )
            self.children.stop([n for n in self.children.procs if n.startswith("stream")])
        finally:
            self.children.stop(list(self.children.procs))
            engine.stop()
            sink_stop.set()
            self.stop.set()
            done, _ = await asyncio.wait(tasks, timeout=60)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("%s failed: %s", task.get_name(), task.exception())
        rows = await asyncio.to_thread(_count_rows, store)
        return self._figures(sampler, watcher, down_sites, down_at, published, rows)

    async def _measure(
        self,
        sampler: OffsetSampler,
        watcher: EventWatcher,
        targets: TargetServer,
        pids: dict[str, int],
        tasks: list[asyncio.Task[Any]],
    ) -> tuple[list[str], float]:
        opts = self.opts
        # Warm-up: one full round of results, or two intervals of results flowing when the
        # machine cannot deliver a full round (the overload is then what the window shows).
        round_size = opts.sites * len(REGIONS)
        no_results_deadline = time.time() + 120 + 3 * opts.interval_s
        first_results: float | None = None
        while True:
            self._check(tasks)
            produced = sampler.samples[-1].produced if sampler.samples else 0
            if produced and first_results is None:
                first_results = time.time()
            if produced >= round_size:
                await asyncio.sleep(opts.interval_s)
                break
            if first_results is not None and time.time() - first_results >= 2 * opts.interval_s:
                break
            if first_results is None and time.time() > no_results_deadline:
                raise RuntimeError("the probes published no result in time")
            await asyncio.sleep(1)
        self._check(tasks)
        self.marks["window_start"] = time.time()
        self.usage_start = self._snapshot(pids)
        await asyncio.sleep(opts.down_after_s)
        chosen = sorted(range(opts.sites), key=lambda n: (n * 7919) % opts.sites)
        down_numbers = sorted(chosen[: opts.down_count])
        down_at = await asyncio.to_thread(targets.take_down, down_numbers)
        down_sites = [f"s{n:06d}" for n in down_numbers]
        window_end = self.marks["window_start"] + opts.seconds
        while time.time() < window_end:
            self._check(tasks)
            await asyncio.sleep(1)
        self.marks["window_end"] = time.time()
        self.usage_end = self._snapshot(pids)
        deadline = down_at + opts.grace_s + 6 * opts.interval_s + 60
        while time.time() < deadline:
            self._check(tasks)
            alerted = watcher.first_alert if opts.alerts else watcher.first_outage
            if all(s in watcher.first_outage and s in alerted for s in down_sites):
                break
            await asyncio.sleep(1)
        return down_sites, down_at

    async def _drain(self, sampler: OffsetSampler, tasks: list[asyncio.Task[Any]]) -> int:
        """Stop the probes (they flush), wait until the sink committed all they published."""
        probes = [n for n in self.children.procs if n.startswith("probe")]
        await asyncio.to_thread(self.children.stop, probes, 30.0)
        deadline = time.time() + 120
        await asyncio.sleep(sampler.every_s * 1.5)
        while time.time() < deadline:
            self._check(tasks, children=False)
            last = sampler.samples[-1]
            if last.at > time.time() - 2 * sampler.every_s and last.lag("sink") == 0:
                break
            await asyncio.sleep(1)
        self.marks["drained"] = time.time()
        return sampler.samples[-1].produced

    def _check(self, tasks: list[asyncio.Task[Any]], children: bool = True) -> None:
        if children:
            self.children.check_alive()
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise RuntimeError(f"{task.get_name()} failed: {task.exception()}")

    # -------------------------------------------------------------- figures

    def _figures(
        self,
        sampler: OffsetSampler,
        watcher: EventWatcher,
        down_sites: list[str],
        down_at: float,
        published: int,
        rows: int,
    ) -> dict[str, Any]:
        opts, marks = self.opts, self.marks
        start, end = marks["window_start"], marks["window_end"]
        rates = stage_rates(sampler.samples, start, end, STAGES)
        in_window = [s for s in sampler.samples if start <= s.at <= end]
        series = lag_series(sampler.samples, marks["probes_started"], STAGES)
        return {
            "sites": opts.sites,
            "regions": len(REGIONS),
            "interval_s": opts.interval_s,
            "grace_s": opts.grace_s,
            "probe_workers": opts.probe_workers * len(REGIONS),
            "stream_workers": opts.stream_workers,
            "window_s": round(end - start, 1),
            "offered_checks_per_s": round(opts.sites * len(REGIONS) / opts.interval_s, 1),
            "rates_per_s": {k: None if v is None else round(v, 1) for k, v in rates.items()},
            "lag": {
                "stream_max": max((s.lag("stream") for s in in_window), default=None),
                "stream_end": in_window[-1].lag("stream") if in_window else None,
                "sink_max": max((s.lag("sink") for s in in_window), default=None),
                "sink_end": in_window[-1].lag("sink") if in_window else None,
                "series": series,
            },
            "latency_outage": latencies(down_at, watcher.first_outage, down_sites),
            "latency_alert": latencies(down_at, watcher.first_alert, down_sites),
            "confirmed_start_after_down": latencies(down_at, watcher.outage_start, down_sites),
            "outages_opened_for_other_sites": len(set(watcher.first_outage) - set(down_sites)),
            "store": {
                "probe_results_rows": rows,
                "published_total": published,
                "sink_drain_s": round(marks["drained"] - end, 1),
            },
            "processes": self._process_figures(rates),
            "setup": {
                "config_load_s": round(marks["config_load_s"], 2),
                "sites_publish_s": round(marks["sites_publish_s"], 2),
            },
        }

    def _process_figures(self, rates: dict[str, float | None]) -> dict[str, dict[str, Any]]:
        """Peak RSS; CPU share over the window and CPU ms per result the component handled.

        CPU per result does not depend on how much CPU a shared machine granted, so
        ``1000 / cpu_ms_per_result`` estimates what one free core would sustain.
        """
        seconds = self.marks["window_end"] - self.marks["window_start"]
        out: dict[str, dict[str, Any]] = {}
        for name, last in self.usage_end.items():
            first = self.usage_start.get(name)
            if last is None:
                continue
            busy = (last.cpu_s - first.cpu_s) if first is not None else None
            rate = rates.get(_results_basis(name))
            per_result = None
            if busy is not None and rate:
                per_result = round(1000 * busy / (rate * seconds), 2)
            out[name] = {
                "peak_rss_mib": round(last.peak_rss_mib, 1),
                "cpu_pct": None if busy is None else round(100 * busy / seconds, 1),
                "cpu_ms_per_result": per_result,
            }
        return out


def _results_basis(component: str) -> str:
    """Which stage's results a component's CPU is divided by."""
    if component.startswith("stream"):
        return "stream"
    if component.startswith("bench process"):
        return "sink"
    return "published"  # probes, target server, broker: every published result


def _count_rows(store: Any) -> int:
    return int(store.query("SELECT count() FROM probe_results FINAL").result_rows[0][0])


def main(argv: list[str] | None = None) -> int:
    """Run once and write the figures as JSON to ``--out``."""
    parser = argparse.ArgumentParser(description="end-to-end pipeline benchmark (one run)")
    defaults = Options()
    parser.add_argument("--out", type=Path, required=True, help="write the figures here (JSON)")
    parser.add_argument("--sites", type=int, default=defaults.sites)
    parser.add_argument("--interval", type=float, default=defaults.interval_s)
    parser.add_argument("--seconds", type=float, default=defaults.seconds)
    parser.add_argument("--grace", type=float, default=defaults.grace_s)
    parser.add_argument("--stream-workers", type=int, default=defaults.stream_workers)
    parser.add_argument("--probe-workers", type=int, default=defaults.probe_workers)
    parser.add_argument("--down-fraction", type=float, default=defaults.down_fraction)
    parser.add_argument("--bootstrap", default=None, help="use this broker, start none")
    parser.add_argument("--no-alerts", action="store_true", help="do not run the alert engine")
    parser.add_argument(
        "--keep", type=Path, default=None, help="work in this folder and keep it (logs, data)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    opts = Options(
        sites=args.sites, interval_s=args.interval, seconds=args.seconds, grace_s=args.grace,
        stream_workers=args.stream_workers, probe_workers=args.probe_workers,
        down_fraction=args.down_fraction, bootstrap=args.bootstrap, alerts=not args.no_alerts,
    )  # fmt: skip
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        figures = _run_with_services(opts, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
            figures = _run_with_services(opts, Path(tmp))
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def _run_with_services(opts: Options, workdir: Path) -> dict[str, Any]:
    from slawatch.kafka_local import LocalKafka

    cluster = None
    targets = TargetServer(opts.target_ports)
    try:
        if opts.bootstrap:
            bootstrap, broker_pids = opts.bootstrap, []
        else:
            cluster = LocalKafka(workdir / "kafka", brokers=1, port=None, partitions=6)
            bootstrap = cluster.start()
            broker_pids = list(cluster.running_pids().values())
        pipeline = PipelineRun(opts, workdir)
        figures = asyncio.run(pipeline.run(bootstrap, targets, broker_pids))
        figures["broker"] = "shared" if opts.bootstrap else "local (started for the run)"
        figures["target_requests_served"] = targets.requests_served()
        return figures
    finally:
        targets.stop()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
