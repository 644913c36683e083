"""``slawatch stream``: run the Faust worker that confirms outages and keeps the ledger."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from slawatch.commands.common import add_kafka_arguments, add_loglevel_argument, bootstrap_servers
from slawatch.errors import InputError
from slawatch.observability import add_metrics_arguments

if TYPE_CHECKING:
    from slawatch.config import Settings
    from stream.app import StreamSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch stream``."""
    parser = subparsers.add_parser(
        "stream",
        help="run the stream worker: check results in; outages, segments, ledger out",
        description=(
            "Run one Faust worker in the foreground (stop it with SIGTERM or Ctrl-C). It reads "
            "probe-results, confirms outages across regions in event time (a region votes down "
            "after down_after failures, up after up_after successes; the site is down while "
            "more than half of its healthy regions vote down), splits each outage into "
            "downtime / maintenance / excluded segments using the maintenance and exclusions "
            "topics, and keeps each site's monthly ledger. It writes the topics outages, "
            "segments, ledger, site-status, late-results and dead-letter, creating missing "
            "topics first. State lives in a changelog-backed table: a killed worker restarts "
            "where it stopped. Start more workers with the same --topic-prefix to share the "
            "partitions."
        ),
    )
    add_kafka_arguments(parser)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="worker files (default: <data_dir>/stream)"
    )
    parser.add_argument(
        "--web-port", type=int, default=None, help="serve Faust's web views on this port (off)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="results per batch (stream.batch_size: 5000)"
    )
    parser.add_argument(
        "--grace", type=float, default=None, help="reordering grace in seconds (stream.grace_s: 60)"
    )
    parser.add_argument(
        "--idle-flush",
        type=float,
        default=None,
        help="apply a quiet site's buffered results after this many seconds "
        "(stream.idle_flush_s, default: the grace)",
    )
    parser.add_argument(
        "--tick", type=float, default=None, help="timer interval in seconds (stream.tick_s: 1)"
    )
    parser.add_argument(
        "--session-timeout",
        type=float,
        default=None,
        help="seconds before a dead worker's partitions move to the others "
        "(stream.session_timeout_s: 10)",
    )
    add_loglevel_argument(parser, default="warning")
    add_metrics_arguments(
        parser,
        "slawatch_stream_*: results, batches and batch size, processing latency, late "
        "results, dead letters, outages by state; slawatch_consumer_lag{group}",
    )
    parser.add_argument(
        "--lag-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often /metrics refreshes the group's consumer lag (default 5; 0: not at "
        "all, as under `slawatch run`, whose own /metrics reports every group's lag)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from slawatch.config import load_settings, settings_path
    from stream.app import run_worker

    settings = load_settings(settings_path(args.config))
    bootstrap = bootstrap_servers(args, settings)
    _fill_from_config(args, settings)
    for name in ("batch_size", "grace", "tick", "session_timeout"):
        if getattr(args, name) <= 0 and not (name == "grace" and args.grace == 0):
            raise InputError(f"--{name.replace('_', '-')} {getattr(args, name)}: must be positive")
    if args.idle_flush is not None and args.idle_flush <= 0:
        raise InputError(f"--idle-flush {args.idle_flush}: must be positive")
    if args.lag_interval < 0:
        raise InputError(f"--lag-interval {args.lag_interval}: must be 0 (off) or positive")
    return run_worker(
        build_stream_settings(settings, args, bootstrap),
        loglevel=args.loglevel,
        log_format=settings.log_format,
        metrics_host=args.metrics_host,
        metrics_port=args.metrics_port,
        lag_interval_s=args.lag_interval,
    )


def _fill_from_config(args: argparse.Namespace, settings: Settings) -> None:
    """Options not given on the command line take the configuration's ``stream:`` values."""
    configured = settings.stream
    defaults = {
        "batch_size": configured.batch_size,
        "grace": configured.grace_s,
        "idle_flush": configured.idle_flush_s,
        "tick": configured.tick_s,
        "session_timeout": configured.session_timeout_s,
    }
    for name, value in defaults.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)


def build_stream_settings(
    settings: Settings, args: argparse.Namespace, bootstrap: str
) -> StreamSettings:
    """The worker's settings from the configuration and the command line."""
    from sla.confirmation import ConfirmationConfig
    from stream.app import StreamSettings

    grace = timedelta(seconds=args.grace)
    idle = None if args.idle_flush is None else timedelta(seconds=args.idle_flush)
    all_regions = tuple(r.name for r in settings.regions)
    per_site = {
        site.id: ConfirmationConfig(
            down_after=site.confirmation.down_after,
            up_after=site.confirmation.up_after,
            grace=grace,
            idle_flush=idle,
            regions=tuple(site.regions) if site.regions else all_regions,
        )
        for site in settings.sites
    }
    prefix = settings.kafka.topic_prefix if args.topic_prefix is None else args.topic_prefix
    return StreamSettings(
        bootstrap=bootstrap,
        data_dir=args.data_dir or settings.data_dir / "stream",
        topic_prefix=prefix,
        partitions=settings.kafka.partitions,
        replication_factor=settings.kafka.replication_factor,
        web_port=args.web_port,
        batch_size=args.batch_size,
        tick_interval_s=args.tick,
        session_timeout_s=args.session_timeout,
        contract=settings.contract,
        confirmation=ConfirmationConfig(grace=grace, idle_flush=idle),
        site_confirmation=per_site,
    )
