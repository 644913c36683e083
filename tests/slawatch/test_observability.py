"""Observability of slawatch itself: each component's /metrics after real traffic, JSON logs.

Every test scrapes a real HTTP ``/metrics`` endpoint (in-process for the notifier, as a
``slawatch`` subprocess for the alert engine and the stream worker) on the shared broker,
with a unique topic prefix, and parses the exposition with prometheus-client's parser.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiokafka import AIOKafkaProducer
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.parser import text_string_to_metric_families

from probes.stats import ProbeStats
from sla.model import Alert, AlertSeverity, AlertState, CheckResult, Outage, OutageState
from slawatch import topics
from slawatch.child_metrics import merge_expositions, merged_metrics_handler
from slawatch.notify.channel import DeliveryFailed
from slawatch.notify.notices import Notice
from slawatch.notify.service import Notifier
from slawatch.notify.settings import NotifySettings
from slawatch.observability import RegionRelabeller, refresh_lag, start_metrics
from tests.stream.fixtures import minute_floor, produce, result, results_messages

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def parse(text: str) -> Samples:
    """Every sample of an exposition, keyed by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def scrape(port: int) -> Samples:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return parse(await response.text())


async def scrape_until(
    port: int, done: Callable[[Samples], bool], timeout_s: float = 60.0
) -> Samples:
    """Scrape until ``done`` holds (the endpoint may not be up yet at first)."""
    deadline = time.monotonic() + timeout_s
    samples: Samples = {}
    while time.monotonic() < deadline:
        try:
            samples = await scrape(port)
        except aiohttp.ClientConnectionError:
            samples = {}
        if samples and done(samples):
            return samples
        await asyncio.sleep(0.3)
    raise AssertionError(f"metrics never got there: {sorted(samples)[:80]}")


def start_slawatch(*args: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SLAWATCH_CONFIG", None)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "slawatch", *args], cwd=REPO, stdout=out, stderr=out, env=env
        )


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def json_log_lines(log: Path) -> list[dict[str, str]]:
    """Every line of ``log`` parsed as JSON (any line that is not JSON fails the test)."""
    entries = []
    for line in log.read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            assert {"time", "level", "logger", "message"} <= set(entry), entry
            datetime.fromisoformat(entry["time"])
            entries.append(entry)
    return entries


# --------------------------------------------------------------------------- alert engine


async def test_alert_engine_metrics_and_json_logs(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "alerts.log"
    engine = start_slawatch(
        "--log-format", "json", "alerts", "--bootstrap", kafka_bootstrap,
        "--topic-prefix", topic_prefix, "--metrics-port", str(port), log=log,
    )  # fmt: skip
    try:
        # Up and ticking before the inputs arrive.
        await scrape_until(
            port, lambda s: (value(s, "slawatch_alerts_evaluation_seconds_count") or 0) > 0
        )
        now = datetime.now(UTC)
        opened = Outage(
            id="shop|o1", site="shop", client="acme", state=OutageState.OPENED,
            start=now - timedelta(minutes=2), end=None, regions_down=["eu", "us"], version=1,
        )  # fmt: skip
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            outages = topics.topic(topics.OUTAGES, topic_prefix)
            await producer.send_and_wait(outages, b"{not json")
            await producer.send_and_wait(outages, opened.model_dump_json().encode())
        finally:
            await producer.stop()
        site_down = {"rule": "site-down", "severity": "page", "state": "firing"}
        samples = await scrape_until(
            port, lambda s: value(s, "slawatch_alerts_published_total", **site_down) == 1
        )
        assert value(samples, "slawatch_alerts_inputs_rejected_total", input="outage") == 1
        assert value(samples, "slawatch_alerts_inputs_total", input="outage") == 1
        assert (value(samples, "slawatch_alerts_snapshots_total") or 0) >= 1
        evaluations = value(samples, "slawatch_alerts_evaluation_seconds_count") or 0
        assert 0 < (value(samples, "slawatch_alerts_evaluation_seconds_sum") or 0) < evaluations
    finally:
        assert stop(engine) == 0, log.read_text()[-3000:]
    entries = json_log_lines(log)
    dead = [e for e in entries if "dead-lettered" in e["message"]]
    assert len(dead) == 1, entries
    assert dead[0]["level"] == "warning"
    assert dead[0]["logger"] == "slawatch.alerting.engine"


# --------------------------------------------------------------------------- notifier


class FlakyChannel:
    """Fails the first ``failures`` attempts of every delivery, then succeeds."""

    def __init__(self, name: str, failures: int) -> None:
        self.name = name
        self.failures = failures
        self.attempts: dict[str, int] = {}

    def targets(self, notice: Notice) -> list[str]:
        return ["ops"]

    async def send(self, notice: Notice, target: str, delivery_key: str) -> None:
        self.attempts[delivery_key] = self.attempts.get(delivery_key, 0) + 1
        if self.attempts[delivery_key] <= self.failures:
            raise DeliveryFailed("HTTP 503")


def alert(n: int) -> Alert:
    now = datetime.now(UTC)
    return Alert(
        id=f"site-down|s{n}", rule="site-down", severity=AlertSeverity.PAGE,
        state=AlertState.FIRING, site=f"s{n}", summary="down", starts_at=now, version=1,
        emitted_at=now,
    )  # fmt: skip


async def test_notifier_metrics_by_channel_and_consumer_lag(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    group = f"{topic_prefix}notify"
    settings = NotifySettings(
        group_id=group, max_attempts=2, retry_initial_seconds=0.01, retry_max_seconds=0.01
    )
    # "hook" needs its one retry; "pager" fails both attempts and dead-letters each notice.
    hook, pager = FlakyChannel(f"{topic_prefix}hook", 1), FlakyChannel(f"{topic_prefix}pg", 9)
    notifier = Notifier(kafka_bootstrap, settings, [hook, pager], topic_prefix=topic_prefix)
    port = free_port()
    metrics = await start_metrics("127.0.0.1", port)
    assert metrics is not None
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    ready = asyncio.Event()
    task = asyncio.create_task(notifier.run(ready))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        alerts = topics.topic(topics.ALERTS, topic_prefix)
        for n in range(3):
            await producer.send_and_wait(alerts, alert(n).model_dump_json().encode())
        await producer.send_and_wait(alerts, b'{"schema_version": 1}')
        delivered = {"channel": hook.name, "kind": "alert"}
        samples = await scrape_until(
            port,
            lambda s: (
                value(s, "slawatch_notify_delivered_total", **delivered) == 3
                and value(s, "slawatch_notify_dead_lettered_total", channel=pager.name) == 3
                and value(s, "slawatch_notify_bad_records_total", kind="alert") is not None
            ),
        )
        assert value(samples, "slawatch_notify_retried_total", channel=hook.name) == 3
        assert value(samples, "slawatch_notify_retried_total", channel=pager.name) == 3
        assert value(samples, "slawatch_notify_send_seconds_count", channel=pager.name) == 6
        assert value(samples, "slawatch_notify_delivered_total", channel=pager.name) is None

        # The group committed everything it read: its lag is 0 once the batch is done.
        deadline = time.monotonic() + 20
        while (await refresh_lag(kafka_bootstrap, [group]))[group] != 0:
            assert time.monotonic() < deadline, "the notifier never committed"
            await asyncio.sleep(0.3)
        samples = await scrape(port)
        assert value(samples, "slawatch_consumer_lag", group=group) == 0
        assert value(samples, "slawatch_consumer_lag_unknown", group=group) == 0
        unknown = f"{topic_prefix}no-such-group"
        await refresh_lag(kafka_bootstrap, [unknown])
        assert value(await scrape(port), "slawatch_consumer_lag_unknown", group=unknown) == 1
    finally:
        notifier.stop()
        await asyncio.wait_for(task, 30)
        await producer.stop()
        await metrics.cleanup()


async def test_metrics_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "slawatch", "alerts", "--bootstrap", "127.0.0.1:1",
             "--metrics-port", str(port)],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"slawatch: cannot serve /metrics on 127.0.0.1:{port}: Address already in use"
    ]


async def test_notify_command_serves_metrics_with_text_logs(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    """``slawatch notify --metrics-port``: deliveries by channel and its group's lag."""
    from aiohttp import web as aioweb

    received: list[bytes] = []

    async def hook(request: aioweb.Request) -> aioweb.Response:
        received.append(await request.read())
        return aioweb.Response(status=204)

    app = aioweb.Application()
    app.router.add_post("/hook", hook)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    hook_port = free_port()
    await aioweb.TCPSite(runner, "127.0.0.1", hook_port).start()
    group = f"{topic_prefix}notify"
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        f"notify:\n  group_id: {group}\n  webhooks:\n    - name: ops\n"
        f"      url: http://127.0.0.1:{hook_port}/hook\n"
    )
    port = free_port()
    log = tmp_path / "notify.log"
    notifier = start_slawatch(
        "notify", "--config", str(config), "--bootstrap", kafka_bootstrap,
        "--topic-prefix", topic_prefix, "--metrics-port", str(port), log=log,
    )  # fmt: skip
    try:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            alerts = topics.topic(topics.ALERTS, topic_prefix)
            await producer.send_and_wait(alerts, alert(7).model_dump_json().encode())
        finally:
            await producer.stop()
        delivered = {"channel": "webhook:ops", "kind": "alert"}
        samples = await scrape_until(
            port,
            lambda s: (
                value(s, "slawatch_notify_delivered_total", **delivered) == 1
                and value(s, "slawatch_consumer_lag", group=group) == 0
            ),
        )
        assert value(samples, "slawatch_notify_send_seconds_count", channel="webhook:ops") == 1
        assert len(received) == 1
    finally:
        assert stop(notifier) == 0, log.read_text()[-3000:]
        await runner.cleanup()
    lines = log.read_text().splitlines()
    assert any(" INFO    slawatch.notify.service: notifier: " in line for line in lines), lines
    assert not any(line.startswith("{") for line in lines)


# --------------------------------------------------------------------------- stream worker


async def test_stream_worker_metrics_lag_and_json_logs(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    p = topic_prefix
    port = free_port()
    log = tmp_path / "stream.log"
    env_format = {"SLAWATCH_LOG_FORMAT": "json"}
    os.environ.update(env_format)  # the environment route (the flag is tested above)
    try:
        worker = start_slawatch(
            "stream", "--bootstrap", kafka_bootstrap, "--topic-prefix", p,
            "--data-dir", str(tmp_path / "w"), "--loglevel", "info", "--idle-flush", "600",
            "--metrics-port", str(port), log=log,
        )  # fmt: skip
    finally:
        os.environ.pop("SLAWATCH_LOG_FORMAT")
    try:
        base = minute_floor()
        checks: list[CheckResult] = [
            result(base, 0, outcome="up"),
            result(base, 30),
            result(base, 60),
            result(base, 90, outcome="up"),
            result(base, 200, outcome="up"),
            result(base, 300, outcome="up"),
            result(base, 10),  # behind the watermark: late
            result(base, 3600 + 120 + 1800),  # far in the future: dead letter
        ]
        await scrape_until(port, lambda s: value(s, "slawatch_stream_results_total") == 0)
        await produce(
            kafka_bootstrap, f"{p}probe-results", [*results_messages(checks), (b"s1", b"{no")]
        )
        samples = await scrape_until(
            port,
            lambda s: (
                value(s, "slawatch_stream_results_total") == 9
                and value(s, "slawatch_stream_outages_total", state="closed") == 1
                and value(s, "slawatch_consumer_lag", group=f"{p}slawatch-stream") == 0
            ),
        )
        assert value(samples, "slawatch_stream_outages_total", state="opened") == 1
        assert value(samples, "slawatch_stream_late_results_total") == 1
        assert value(samples, "slawatch_stream_dead_letters_total") == 2
        batches = value(samples, "slawatch_stream_batches_total") or 0
        assert 1 <= batches <= 9
        assert value(samples, "slawatch_stream_batch_size_count") == batches
        assert value(samples, "slawatch_stream_batch_size_sum") == 9
        assert value(samples, "slawatch_stream_processing_seconds_count") == batches
        produced = value(samples, "slawatch_stream_messages_produced_total", topic="outages")
        assert produced == 2
    finally:
        assert stop(worker) == 0, log.read_text()[-3000:]
    entries = json_log_lines(log)
    assert any("calendar loaded" in e["message"] for e in entries), entries[-5:]
    assert any(e["message"].startswith("stream: processed results=9") for e in entries)


# --------------------------------------------------------------------------- slawatch run


def test_probe_registries_merge_with_a_region_label() -> None:
    """``slawatch run``'s probe workers (one private registry each) in one exposition."""
    eu, us = ProbeStats(), ProbeStats()
    base = minute_floor()
    for stats, outcomes in ((eu, ["up", "up", "down"]), (us, ["up"])):
        for n, outcome in enumerate(outcomes):
            stats.checked(result(base, n, region="x", outcome=outcome), lateness_s=0.002)
        stats.was_published(len(outcomes))
    eu.assigned_sites.set(7)
    registry = CollectorRegistry()
    registry.register(RegionRelabeller({"eu": eu.registry, "us": us.registry}))
    samples = parse(generate_latest(registry).decode())
    checks = "slawatch_probe_checks_total"
    assert value(samples, checks, region="eu", outcome="up") == 2
    assert value(samples, checks, region="eu", outcome="down") == 1
    assert value(samples, checks, region="us", outcome="up") == 1
    assert value(samples, "slawatch_probe_results_published_total", region="us") == 1
    assert value(samples, "slawatch_probe_assigned_sites", region="eu") == 7
    assert value(samples, "slawatch_probe_lateness_seconds_count", region="eu") == 3
    assert value(samples, "slawatch_probe_lateness_seconds_bucket", region="us", le="0.005") == 1
    # One family per name (two HELP/TYPE lines for one name would be an invalid exposition).
    text = generate_latest(registry).decode()
    assert text.count("# TYPE slawatch_probe_checks_total counter") == 1
    assert sum(1 for (name, _) in samples if name == checks) == 3


async def test_run_exposes_every_region_and_the_lag_of_every_group(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    """``Pipeline._metrics``: probe registries merged into the default one, lag refreshed."""
    from types import SimpleNamespace

    from prometheus_client import REGISTRY

    from slawatch.config import Settings
    from slawatch.run import Pipeline

    settings = Settings.model_validate(
        {
            "kafka": {"topic_prefix": topic_prefix},
            "sink": {"group_id": f"{topic_prefix}sink"},
            "regions": [{"name": "eu"}, {"name": "us"}],
            "run": {"summary_interval_s": 0.5},
        }
    )
    pipeline = Pipeline(settings, None, kafka_bootstrap, store=None)
    for region in ("eu", "us"):
        stats = ProbeStats()
        stats.checked(result(minute_floor(), 0, region=region, outcome="up"), lateness_s=0.001)
        pipeline.probe_workers.append(
            SimpleNamespace(spec=SimpleNamespace(region=region), stats=stats)
        )
    task = asyncio.create_task(pipeline._metrics())
    groups = pipeline.consumer_groups()
    assert groups == [
        f"{topic_prefix}slawatch-stream", f"{topic_prefix}sink",
        f"{topic_prefix}probes-eu", f"{topic_prefix}probes-us",
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            samples = parse(generate_latest(REGISTRY).decode())
            if all(value(samples, "slawatch_consumer_lag_unknown", group=g) == 1 for g in groups):
                break  # no group has committed anything on these fresh topics
            assert time.monotonic() < deadline, "lag never refreshed"
            await asyncio.sleep(0.2)
        for region in ("eu", "us"):
            checks = value(samples, "slawatch_probe_checks_total", region=region, outcome="up")
            assert checks == 1
    finally:
        pipeline.stop.set()
        await asyncio.wait_for(task, 30)
    samples = parse(generate_latest(REGISTRY).decode())
    assert value(samples, "slawatch_probe_checks_total", region="eu", outcome="up") is None


def _own_and_child_registries() -> tuple[CollectorRegistry, CollectorRegistry]:
    """Run's registry and its stream child's: both have the process/python collectors and
    ``slawatch_consumer_lag`` (one family each, as in the real processes)."""
    own, child = CollectorRegistry(), CollectorRegistry()
    for registry, group in ((own, "sink"), (child, "stream")):
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        Gauge("slawatch_consumer_lag", "lag", ["group"], registry=registry).labels(group).set(4)
    Counter("slawatch_sink_batches", "batches", registry=own).inc(2)
    Counter("slawatch_stream_results", "results", registry=child).inc(9)
    batch = Histogram("slawatch_stream_batch_size", "size", buckets=(1, 10), registry=child)
    batch.observe(5)
    return own, child


def _type_lines(text: str) -> list[str]:
    return [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]


def test_child_metrics_merge_without_the_families_run_already_has() -> None:
    """``slawatch run``'s /metrics: the stream child's families appended, duplicates dropped."""
    own, child = _own_and_child_registries()
    text = merge_expositions(
        generate_latest(own).decode(), generate_latest(child).decode(), up="child_up"
    )
    families = list(text_string_to_metric_families(text))
    names = [family.name for family in families]
    assert len(names) == len(set(names)), sorted(names)
    assert len(_type_lines(text)) == len(set(_type_lines(text)))
    samples = parse(text)
    assert value(samples, "child_up") == 1
    assert value(samples, "slawatch_sink_batches_total") == 2
    assert value(samples, "slawatch_stream_results_total") == 9
    assert value(samples, "slawatch_stream_batch_size_bucket", le="10.0") == 1
    assert value(samples, "slawatch_stream_batch_size_sum") == 5
    # Shared names keep run's samples only: run reports the stream group's lag itself.
    assert value(samples, "slawatch_consumer_lag", group="sink") == 4
    assert value(samples, "slawatch_consumer_lag", group="stream") is None
    assert sum(1 for (name, _) in samples if name == "process_start_time_seconds") == 1
    assert "python_info" in names


@pytest.mark.parametrize("child", [None, "<html>not metrics</html>\n", ""])
def test_child_metrics_merge_when_the_child_is_away_or_garbled(child: str | None) -> None:
    own, _ = _own_and_child_registries()
    own_text = generate_latest(own).decode()
    text = merge_expositions(own_text, child, up="child_up")
    samples = parse(text)
    assert value(samples, "child_up") == (1 if child == "" else 0)  # empty is a valid answer
    assert text.startswith(own_text)
    assert {name for (name, _) in samples} == {name for (name, _) in parse(own_text)} | {"child_up"}


async def _serve(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.AppRunner:
    app = web.Application()
    app.router.add_get("/metrics", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def _port(runner: web.AppRunner) -> int:
    port: int = runner.addresses[0][1]
    return port


async def test_merged_metrics_handler_scrapes_the_child_and_answers_without_it() -> None:
    """A real child endpoint, then a slow one and a closed port: run's part always answers."""
    own, child = _own_and_child_registries()
    slow, release = asyncio.Event(), asyncio.Event()

    async def child_metrics(_: web.Request) -> web.StreamResponse:
        if slow.is_set():
            await release.wait()  # held past run's timeout, let go before the test ends
        return web.Response(body=generate_latest(child), content_type="text/plain")

    target: dict[str, str | None] = {"url": None}
    handler = merged_metrics_handler(lambda: target["url"], up="child_up", registry=own)
    child_runner = await _serve(child_metrics)
    run_runner = await _serve(handler)
    try:
        samples = await scrape(_port(run_runner))
        assert value(samples, "child_up") == 0  # no child started yet
        target["url"] = f"http://127.0.0.1:{_port(child_runner)}/metrics"
        samples = await scrape(_port(run_runner))
        assert value(samples, "child_up") == 1
        assert value(samples, "slawatch_stream_results_total") == 9
        slow.set()
        started = time.monotonic()
        samples = await scrape(_port(run_runner))
        assert time.monotonic() - started < 5
        assert value(samples, "child_up") == 0
        assert value(samples, "slawatch_sink_batches_total") == 2
        target["url"] = f"http://127.0.0.1:{free_port()}/metrics"  # nothing listens
        samples = await scrape(_port(run_runner))
        assert value(samples, "child_up") == 0
        assert value(samples, "slawatch_stream_results_total") is None
    finally:
        release.set()
        await run_runner.cleanup()
        await child_runner.cleanup()


@pytest.mark.parametrize("configured", [0, 9555])
def test_run_starts_the_stream_child_with_its_metrics_on_loopback(configured: int) -> None:
    """``run.stream_metrics_port`` (0: a free port per start) in the child's command line."""
    from slawatch.cli import build_parser
    from slawatch.config import Settings
    from slawatch.run import Pipeline

    settings = Settings.model_validate({"run": {"stream_metrics_port": configured}})
    pipeline = Pipeline(settings, Path("slawatch.yaml"), "127.0.0.1:9092", store=None)
    argv = pipeline.stream_argv()
    assert argv[1:4] == ["-m", "slawatch", "stream"]
    args = build_parser().parse_args(argv[3:])
    assert args.metrics_host == "127.0.0.1"
    assert args.config == Path("slawatch.yaml")
    if configured:
        assert args.metrics_port == configured
    else:
        assert 0 < args.metrics_port < 65536
    assert pipeline.stream_metrics_url == f"http://127.0.0.1:{args.metrics_port}/metrics"
