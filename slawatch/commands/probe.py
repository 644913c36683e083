"""``slawatch probe --region NAME``: one probe worker of a region, in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from slawatch.commands.common import add_kafka_arguments, add_loglevel_argument, bootstrap_servers
from slawatch.errors import InputError

if TYPE_CHECKING:
    from probes.worker import ProbeWorker

log = logging.getLogger("slawatch.probe")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch probe``."""
    parser = subparsers.add_parser(
        "probe",
        help="run a probe worker of a region: check its share of the sites, publish results",
        description=(
            "Run one probe worker. Workers started with the same --region form the Kafka "
            "consumer group probes-<region> over the sites topic: each gets a share of its "
            "partitions and checks exactly those sites, each on a fixed grid (phase from the "
            "site id, no drift, never twice at once). A dead worker's sites move to the "
            "others within probes.session_timeout_ms + one heartbeat + one check interval. "
            "Results go to probe-results (keyed by site id) with an idempotent, acks=all "
            "producer; while Kafka is slow the bounded buffer (probes.buffer_size) fills and "
            "the checks slow down. Stop with SIGTERM or Ctrl-C: the worker leaves the group "
            "and flushes what it buffered (probes.shutdown_flush_s)."
        ),
    )
    parser.add_argument("--region", required=True, help="the region (one of config regions[])")
    add_kafka_arguments(parser)
    parser.add_argument(
        "--worker-id", default=None, help="name in results (default: <region>-<host>-<pid>)"
    )
    parser.add_argument(
        "--session-timeout-ms", type=int, default=None, help="override probes.session_timeout_ms"
    )
    parser.add_argument(
        "--metrics-port", type=int, default=None, help="serve /metrics here (probes.metrics_port)"
    )
    add_loglevel_argument(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from prometheus_client import REGISTRY

    from probes.reference import check_reference_target
    from probes.stats import ProbeStats
    from probes.worker import ProbeWorker, WorkerSpec, default_worker_id, group_id
    from slawatch import topics
    from slawatch.config import load_settings, settings_path
    from slawatch.observability import setup_logging

    settings = load_settings(settings_path(args.config))
    setup_logging(settings.log_format, args.loglevel.upper())
    regions = {r.name: r for r in settings.regions}
    if args.region not in regions:
        raise InputError(
            f"--region {args.region!r} is not configured (regions: {', '.join(regions)})"
        )
    region = regions[args.region]
    for target in region.reference_targets:
        try:
            check_reference_target(target)
        except ValueError as exc:
            raise InputError(f"regions[{args.region}].reference_targets: {exc}") from None
    bootstrap = bootstrap_servers(args, settings)
    prefix = settings.kafka.topic_prefix if args.topic_prefix is None else args.topic_prefix
    probe_settings = settings.probes
    overrides = {"session_timeout_ms": args.session_timeout_ms, "metrics_port": args.metrics_port}
    probe_settings = probe_settings.model_copy(
        update={k: v for k, v in overrides.items() if v is not None}
    )
    spec = WorkerSpec(
        bootstrap=bootstrap,
        region=region.name,
        sites_topic=topics.topic(topics.SITES, prefix),
        results_topic=topics.topic(topics.PROBE_RESULTS, prefix),
        dead_letter_topic=topics.topic(topics.DEAD_LETTER, prefix),
        worker_id=args.worker_id or default_worker_id(region.name),
        group_id=group_id(region.name, prefix),
        reference_targets=tuple(region.reference_targets),
        reference_interval_s=region.reference_interval_s,
        partitions=settings.kafka.partitions,
        replication_factor=settings.kafka.replication_factor,
    )
    worker = ProbeWorker(spec, probe_settings, ProbeStats(REGISTRY))
    asyncio.run(_serve(worker, probe_settings.metrics_port))
    return 0


async def _serve(worker: ProbeWorker, metrics_port: int | None) -> None:
    from slawatch.observability import serve_metrics

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    metrics = await serve_metrics("127.0.0.1", metrics_port) if metrics_port else None
    log.info("worker %s of region %s starting", worker.spec.worker_id, worker.spec.region)
    try:
        await worker.run(stop)
    finally:
        if metrics is not None:
            await metrics.cleanup()
