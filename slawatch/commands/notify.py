"""``slawatch notify``: deliver alerts and maintenance notices by webhook and e-mail."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

from slawatch.commands.common import add_kafka_arguments, add_loglevel_argument, bootstrap_servers
from slawatch.errors import UserError
from slawatch.observability import add_metrics_arguments

if TYPE_CHECKING:
    from slawatch.config import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch notify``."""
    parser = subparsers.add_parser(
        "notify",
        help="deliver alerts and maintenance notices to webhooks and by e-mail",
        description=(
            "Run the notifiers in the foreground (SIGTERM or Ctrl-C finishes the current "
            "batch, then stops). One consumer group (notify.group_id) reads the alerts and "
            "maintenance topics. Every notice goes to each webhook in notify.webhooks that "
            "wants it (min_severity; maintenance) and, when notify.smtp is set, by e-mail: "
            "maintenance announcements to the support contacts of every client with a "
            "covered site, site-down alerts to the contacts of clients with "
            "notify_outages: true, alerts to notify.smtp.alert_recipients. A failed send is "
            "retried with exponential backoff (notify.retry_initial_seconds doubling up to "
            "notify.retry_max_seconds) notify.max_attempts times, then published to the "
            "notify-dead-letter topic. Each delivery is recorded in the compacted "
            "deliveries topic before the offset is committed, so a restart never sends a "
            "notice twice on the same channel. Secrets come from the environment variables "
            "(or files) the configuration names, never from the file itself."
        ),
    )
    add_kafka_arguments(parser)
    parser.add_argument("--group-id", default=None, help="override notify.group_id")
    add_loglevel_argument(parser)
    add_metrics_arguments(
        parser,
        "slawatch_notify_*: notices delivered / retried / dead-lettered by channel; "
        "slawatch_consumer_lag{group}",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from slawatch.config import load_settings, settings_path
    from slawatch.observability import setup_logging

    settings = load_settings(settings_path(args.config))
    setup_logging(settings.log_format, args.loglevel.upper())
    notify = settings.notify
    if args.group_id:
        notify = notify.model_copy(update={"group_id": args.group_id})
    if not notify.webhooks and notify.smtp is None:
        raise UserError("nothing to notify: configure notify.webhooks and/or notify.smtp")
    bootstrap = bootstrap_servers(args, settings)
    prefix = settings.kafka.topic_prefix if args.topic_prefix is None else args.topic_prefix
    settings = settings.model_copy(update={"notify": notify})
    asyncio.run(_serve(settings, bootstrap, prefix, args.metrics_host, args.metrics_port))
    return 0


async def _serve(
    settings: Settings, bootstrap: str, prefix: str, metrics_host: str, metrics_port: int | None
) -> None:
    from slawatch.observability import metrics_endpoint

    async with metrics_endpoint(metrics_host, metrics_port, bootstrap, [settings.notify.group_id]):
        await _notify(settings, bootstrap, prefix)


async def _notify(settings: Settings, bootstrap: str, prefix: str) -> None:
    import aiohttp

    from slawatch.notify.assembly import build_channels
    from slawatch.notify.service import Notifier

    async with aiohttp.ClientSession() as session:
        notifier = Notifier(
            bootstrap,
            settings.notify,
            build_channels(settings, session),
            topic_prefix=prefix,
            partitions=settings.kafka.partitions,
            replication=settings.kafka.replication_factor,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, notifier.stop)
        await notifier.run()
