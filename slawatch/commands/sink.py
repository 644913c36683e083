"""``slawatch sink``: Kafka topics → ClickHouse tables, exactly once in what queries read."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from slawatch.commands.common import add_kafka_arguments, add_loglevel_argument, bootstrap_servers
from slawatch.errors import UserError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch sink``."""
    parser = subparsers.add_parser(
        "sink",
        help="write probe results, outages, segments, ledger, status, maintenance, "
        "exclusions, alerts, support requests and snapshots to ClickHouse",
        description=(
            "Run the ClickHouse sink in the foreground (stop it with SIGTERM or Ctrl-C: it "
            "stores what it buffered first). It consumes probe-results, outages, segments, "
            "ledger, site-status, maintenance, exclusions, alerts, support and snapshots as "
            "one consumer group, "
            "applies the pending migrations, writes batches (sink.batch_max_rows rows or "
            "sink.batch_max_seconds, whichever comes first) and commits Kafka offsets only "
            "after ClickHouse has the rows. While ClickHouse is unreachable it pauses "
            "consumption and retries the same batch with exponential backoff "
            "(sink.retry_initial_seconds doubling up to sink.retry_max_seconds). A message "
            "that does not validate goes to the dead-letter topic with the reason. Writes "
            "are idempotent, so a killed sink restarts where it committed without "
            "duplicating anything."
        ),
    )
    add_kafka_arguments(parser)
    parser.add_argument(
        "--dsn",
        default=None,
        help="ClickHouse DSN, chdb:///abs/path or http://user:pass@host:8123 "
        "(default: clickhouse.dsn, else the embedded engine under data_dir)",
    )
    parser.add_argument("--group-id", default=None, help="override sink.group_id")
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not apply pending migrations (fail if tables are missing)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus /metrics on this port (slawatch_sink_*: rows written per "
        "table, batches, flush failures, dead letters, buffered records, paused; "
        "slawatch_consumer_lag{group} of sink.group_id)",
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", help="address for /metrics (default %(default)s)"
    )
    add_loglevel_argument(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sinks.embedded_lock import hold
    from sinks.service import prepare_store
    from slawatch import store
    from slawatch.config import load_settings, settings_path
    from slawatch.observability import setup_logging
    from slawatch.store.migrations import migrate_database

    settings = load_settings(settings_path(args.config))
    setup_logging(settings.log_format, args.loglevel.upper())
    kafka = settings.kafka
    if args.topic_prefix is not None:
        kafka = kafka.model_copy(update={"topic_prefix": args.topic_prefix})
    sink = settings.sink
    if args.group_id:
        sink = sink.model_copy(update={"group_id": args.group_id})
    settings = settings.model_copy(update={"kafka": kafka, "sink": sink})
    bootstrap = bootstrap_servers(args, settings)
    dsn = args.dsn or settings.clickhouse_dsn()
    database = settings.clickhouse.database
    parsed = store.parse_dsn(dsn)
    if parsed.embedded and parsed.path is not None:
        hold(parsed.path)  # one writer per embedded store, named in others' errors
    if not args.no_migrate:
        migrate_database(dsn, database)
    client = store.connect(dsn, database=database)
    prepare_store(client, settings)
    asyncio.run(_serve(settings, bootstrap, client, args.metrics_host, args.metrics_port))
    return 0


async def _serve(
    settings: Any, bootstrap: str, client: Any, metrics_host: str, metrics_port: int | None
) -> None:
    from sinks.service import run_sink
    from slawatch.observability import metrics_endpoint

    # with /metrics: slawatch_consumer_lag{group} of the sink's own group too
    async with metrics_endpoint(metrics_host, metrics_port, bootstrap, [settings.sink.group_id]):
        await run_sink(settings, bootstrap, client)


def read_store_events(config: Path | None, dsn: str | None, site: str | None) -> list[Any]:
    """The contract's events from the store (``slawatch sla report`` without ``--events``).

    Errors say which process holds an embedded store, or that the tables are missing.
    """
    from datetime import UTC, datetime

    from clickhouse_connect.driver.exceptions import ClickHouseError

    from sinks.embedded_lock import ensure_free
    from sinks.store_events import read_events
    from slawatch import store
    from slawatch.config import load_settings, settings_path

    settings = load_settings(settings_path(config))
    dsn = dsn or settings.clickhouse_dsn()
    database = settings.clickhouse.database
    parsed = store.parse_dsn(dsn)
    if parsed.embedded and parsed.path is not None:
        ensure_free(parsed.path)
    client = store.connect(dsn, database=None)
    try:
        tables = {
            row[0]
            for row in client.query(
                "SELECT name FROM system.tables WHERE database = {db:String}",
                parameters={"db": database},
            ).result_rows
        }
        missing = {"outages", "maintenance", "exclusions"} - tables
        if missing:
            raise UserError(
                f"the store {store.redact(dsn)} has no {', '.join(sorted(missing))} table in "
                f"database {database!r}: run `slawatch sink` (it applies the migrations) or "
                "give --events FILE"
            )
        client = store.connect(dsn, database=database)
        return read_events(client, datetime.now(UTC), site)
    except ClickHouseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"reading the store {store.redact(dsn)} failed: {first}") from None
