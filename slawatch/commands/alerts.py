"""``slawatch alerts``: run the alert engine (stream outputs in, topic ``alerts`` out)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from slawatch.commands.common import add_kafka_arguments, add_loglevel_argument, bootstrap_servers
from slawatch.observability import add_metrics_arguments


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch alerts``."""
    parser = subparsers.add_parser(
        "alerts",
        help="run the alert engine: site down, error-budget burn, maintenance, regions, "
        "backups, support",
        description=(
            "Run the alert engine in the foreground (SIGTERM or Ctrl-C writes a last state "
            "snapshot, then stops). It reads outages, ledger, maintenance, probe-results "
            "(reference checks), snapshots and support, and publishes typed alerts with "
            "deterministic ids to the alerts topic: site-down (page; resolves after "
            "alerting.hold_down_seconds without an open outage), burn-rate-fast/medium "
            "(page: 2 %% of the month's budget in 1 h and 5 min, 5 %% in 6 h and 30 min), "
            "burn-rate-slow (ticket: 10 %% in 3 d and 6 h), month-projected-miss (ticket), "
            "maintenance-emergency / -business-hours / -too-frequent (ticket, once), "
            "region-impaired (ticket, alerting.region_failures reference failures in a "
            "row), backup-stale (page, newest good snapshot older than "
            "contract.max_data_loss_hours), support-response-breach / "
            "-resolution-breach / -late-report. Its state is snapshotted with the input "
            "offsets to the compacted alert-engine-state topic: run one engine per "
            "alerting.state_key."
        ),
    )
    add_kafka_arguments(parser)
    add_loglevel_argument(parser)
    add_metrics_arguments(
        parser,
        "slawatch_alerts_*: alerts published by rule/severity/state, inputs rejected, "
        "evaluation latency",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from slawatch.alerting.engine import AlertEngine
    from slawatch.config import load_settings, settings_path
    from slawatch.observability import setup_logging, start_metrics

    settings = load_settings(settings_path(args.config))
    setup_logging(settings.log_format, args.loglevel.upper())
    bootstrap = bootstrap_servers(args, settings)
    prefix = settings.kafka.topic_prefix if args.topic_prefix is None else args.topic_prefix
    engine = AlertEngine(
        bootstrap,
        settings.contract,
        settings.alerting,
        site_clients={site.id: site.client for site in settings.sites},
        topic_prefix=prefix,
        partitions=settings.kafka.partitions,
        replication=settings.kafka.replication_factor,
    )

    async def serve() -> None:
        metrics = await start_metrics(args.metrics_host, args.metrics_port)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, engine.stop)
        try:
            await engine.run()
        finally:
            if metrics is not None:
                await metrics.cleanup()

    asyncio.run(serve())
    return 0
