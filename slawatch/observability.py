"""Logs (plain text or JSON, one flag) and Prometheus metrics for every component."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from slawatch.errors import InputError, UserError


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(log_format: str = "text", level: str | int = "INFO") -> None:
    """Configure the root logger once for a component process."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Kafka clients and Faust are chatty at INFO; their warnings still show.
    for noisy in ("aiokafka", "kafka", "faust", "mode", "chdb"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def metrics_handler(
    registry: CollectorRegistry = REGISTRY,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp handler serving ``registry`` in the Prometheus text format."""

    async def handle(_: web.Request) -> web.StreamResponse:
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle


async def serve_metrics(host: str, port: int) -> web.AppRunner:
    """Serve ``/metrics`` on its own port (components that have no web server of their own)."""
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


# --------------------------------------------------------------------------- serving

LOG_FORMATS = ("text", "json")
CONSUMER_LAG = Gauge(
    "slawatch_consumer_lag",
    "Messages a consumer group has not committed yet (end offsets minus committed offsets)",
    ["group"],
)
CONSUMER_LAG_UNKNOWN = Gauge(
    "slawatch_consumer_lag_unknown",
    "1 when the group's lag could not be read (no committed offsets yet, or Kafka away)",
    ["group"],
)


def add_metrics_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--metrics-port`` and ``--metrics-host`` for a long-running command."""
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help=f"serve Prometheus /metrics on this port ({what}); off by default",
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", help="address for /metrics (default %(default)s)"
    )


async def start_metrics(host: str, port: int | None) -> web.AppRunner | None:
    """:func:`serve_metrics` when ``port`` is set; a port in use is a one-line user error."""
    if port is None:
        return None
    _check_port(port)
    try:
        return await serve_metrics(host, port)
    except OSError as exc:
        raise UserError(f"cannot serve /metrics on {host}:{port}: {_reason(exc)}") from None


@contextlib.asynccontextmanager
async def metrics_endpoint(
    host: str, port: int | None, bootstrap: str, groups: Iterable[str] = ()
) -> AsyncIterator[None]:
    """``/metrics`` on ``port`` (if set) with the consumer lag of ``groups``, for a block."""
    metrics = await start_metrics(host, port)
    stopped = asyncio.Event()
    lag = None
    if metrics is not None and groups:
        lag = asyncio.create_task(lag_monitor(bootstrap, list(groups), stopped))
    try:
        yield
    finally:
        stopped.set()
        if lag is not None:
            await lag
        if metrics is not None:
            await metrics.cleanup()


def start_metrics_thread(host: str, port: int | None) -> None:
    """Serve the default registry from a daemon thread (for Faust, which owns the loop)."""
    if port is None:
        return
    _check_port(port)
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        raise UserError(f"cannot serve /metrics on {host}:{port}: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    # asyncio wraps bind errors in a long message; the errno's text is what matters.
    return os.strerror(exc.errno) if exc.errno else str(exc)


def _check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise InputError(f"--metrics-port {port}: must be between 1 and 65535")


async def refresh_lag(bootstrap: str, groups: Iterable[str]) -> dict[str, int | None]:
    """Read each group's consumer lag once and set ``slawatch_consumer_lag{group}``."""
    from slawatch.summary import consumer_lag

    lags: dict[str, int | None] = {}
    for group in groups:
        lag = lags[group] = await consumer_lag(bootstrap, group)
        CONSUMER_LAG_UNKNOWN.labels(group).set(1 if lag is None else 0)
        if lag is not None:
            CONSUMER_LAG.labels(group).set(lag)
    return lags


async def lag_monitor(
    bootstrap: str, groups: Iterable[str], stop: asyncio.Event, interval_s: float = 5.0
) -> None:
    """Refresh the consumer-lag gauges every ``interval_s`` until ``stop`` is set."""
    names = list(groups)
    while not stop.is_set():
        await refresh_lag(bootstrap, names)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


class RegionRelabeller(Collector):
    """Several registries with the same metric names as one, each sample labelled ``region``.

    ``slawatch run`` hosts one probe worker per region, each with a private registry
    (identical names): registered on the default registry, this collector exposes them all
    on the web app's ``/metrics`` with one family per name.
    """

    def __init__(self, registries: Mapping[str, CollectorRegistry], label: str = "region") -> None:
        self._registries = dict(registries)
        self._label = label

    def describe(self) -> list[Metric]:
        """Nothing up front: the families are only known when the workers have counted."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Merged families, every sample carrying its registry's label value."""
        merged: dict[str, Metric] = {}
        for label_value, registry in self._registries.items():
            for family in registry.collect():
                target = merged.get(family.name)
                if target is None:
                    target = merged[family.name] = Metric(
                        family.name, family.documentation, family.type, family.unit
                    )
                for sample in family.samples:
                    labels = {**sample.labels, self._label: label_value}
                    target.samples.append(sample._replace(labels=labels))
        yield from merged.values()
