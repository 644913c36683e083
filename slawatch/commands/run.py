"""``slawatch run``: the whole pipeline in one process (what ``make run`` calls)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from slawatch.errors import UserError

if TYPE_CHECKING:
    from slawatch.run import Pipeline

DEFAULT_CONFIG = Path("slawatch.yaml")
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "slawatch.example.yaml"

_DESCRIPTION = """\
Run the whole pipeline in the foreground until Ctrl-C: a local Kafka broker when
kafka.bootstrap_servers is not set, the schema migrations, the sites published to Kafka,
probe workers for every configured region, the stream worker (a child process), the sink,
the alert engine, the notifiers (when configured), the status page and, with
run.demo_target, a bundled demo target whose /health fails on a schedule. Prints the
status page's address, each outage as it opens and closes, and a summary line every
run.summary_interval_s seconds (sites up/down, results/s, consumer lag, this month's
availability). While it runs, `slawatch status` and `slawatch sla report` read through it.

Without --config it uses ./slawatch.yaml, copying slawatch.example.yaml there first if
it does not exist.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch run``."""
    parser = subparsers.add_parser(
        "run",
        help="run the whole pipeline in one process (local Kafka, embedded ClickHouse)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="slawatch.yaml (default: $SLAWATCH_CONFIG, else ./slawatch.yaml)",
    )
    parser.add_argument("--web-port", type=int, default=None, help="override run.web_port")
    parser.add_argument(
        "--loglevel", default="warning", choices=["debug", "info", "warning", "error"]
    )
    parser.set_defaults(func=_run)


def resolve_config(explicit: Path | None) -> Path:
    """The configuration file to use; copies the example on first run."""
    from slawatch.config import settings_path

    path = settings_path(explicit)
    if path is not None:
        if not path.exists():
            raise UserError(f"{path}: no such configuration file", exit_status=2)
        return path
    if not DEFAULT_CONFIG.exists():
        if not EXAMPLE_CONFIG.exists():
            raise UserError(f"no {DEFAULT_CONFIG} here and no example at {EXAMPLE_CONFIG}")
        shutil.copyfile(EXAMPLE_CONFIG, DEFAULT_CONFIG)
        print(f"created {DEFAULT_CONFIG} from {EXAMPLE_CONFIG.name}; edit it to add your sites")
    return DEFAULT_CONFIG


def _run(args: argparse.Namespace) -> int:
    from sinks.embedded_lock import hold
    from sinks.service import prepare_store
    from slawatch import store
    from slawatch.config import load_settings
    from slawatch.observability import setup_logging
    from slawatch.run import Pipeline
    from slawatch.runtime import ensure_kafka, ensure_schema

    path = resolve_config(args.config)
    settings = load_settings(path)
    if args.web_port is not None:
        run = settings.run.model_copy(update={"web_port": args.web_port})
        settings = settings.model_copy(update={"run": run})
    setup_logging(settings.log_format, args.loglevel.upper())
    dsn = store.parse_dsn(settings.clickhouse_dsn())
    if dsn.embedded and dsn.path is not None:
        hold(dsn.path)  # fails at once, naming the holder, if another run has the store
    print("starting Kafka…" if not settings.kafka.bootstrap_servers else "", end="", flush=True)
    bootstrap, stop_kafka = ensure_kafka(settings)
    print(f"\rKafka: {bootstrap}", flush=True)
    try:
        client = ensure_schema(settings)
        prepare_store(client, settings)
        print(f"ClickHouse: {store.redact(settings.clickhouse_dsn())}", flush=True)
        asyncio.run(_main(Pipeline(settings, path, bootstrap, client)))
    finally:
        if stop_kafka is not None:
            print("stopping the local Kafka broker…", flush=True)
            stop_kafka()
    return 0


async def _main(pipeline: Pipeline) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, pipeline.stop.set)
    try:
        await pipeline.run()
    finally:
        print("stopped", file=sys.stderr)
