"""Start-up helpers of long-running commands (``slawatch run``): Kafka and the store, ready.

``ensure_kafka(settings)`` returns the bootstrap servers to use: the configured ones, or those
of a local broker it starts under ``<data_dir>/kafka`` when none are configured.
``ensure_schema(settings)`` creates the configured database and applies pending migrations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from clickhouse_connect.driver.client import Client

from slawatch.config import Settings
from slawatch.errors import UserError
from slawatch.kafka_local import DEFAULT_START_TIMEOUT_S, LocalKafka
from slawatch.store import connect, create_database
from slawatch.store.migrations import REPO_MIGRATIONS, discover, migrate

log = logging.getLogger(__name__)

StopCallable = Callable[[], None]


def local_kafka_dir(settings: Settings) -> Path:
    """Where ``slawatch run`` keeps its own broker (``<data_dir>/kafka``)."""
    return settings.data_dir / "kafka"


def ensure_kafka(
    settings: Settings, *, timeout_s: float = DEFAULT_START_TIMEOUT_S
) -> tuple[str, StopCallable | None]:
    """``(bootstrap servers, stop)``; ``stop`` is None unless this call started a broker.

    With ``kafka.bootstrap_servers`` configured, nothing is started. Otherwise the local broker
    of ``<data_dir>/kafka`` is used: reused as it is when already running (then not ours to
    stop), else started on its recorded ports (free ones the first time, or when the recorded
    ones are taken) and returned with a callable that stops exactly its processes.
    """
    if settings.kafka.bootstrap_servers:
        return settings.kafka.bootstrap_servers, None
    cluster = LocalKafka(local_kafka_dir(settings), partitions=settings.kafka.partitions)
    if cluster.running_pids():
        log.info("reusing the local Kafka broker at %s", cluster.bootstrap_servers)
        cluster.wait_ready({n.node_id for n in cluster.state.nodes}, timeout_s)
        return cluster.bootstrap_servers, None
    try:
        try:
            bootstrap = cluster.start(timeout_s=timeout_s)
        except UserError as exc:
            if "already in use" not in str(exc):
                raise
            log.warning("%s; starting the local broker on other ports", exc)
            cluster.stop(timeout_s=5.0)
            cluster.use_free_ports()
            bootstrap = cluster.start(timeout_s=timeout_s)
    except BaseException:
        cluster.stop(timeout_s=5.0)  # never leave a half-started broker behind
        raise
    log.info("started a local Kafka broker at %s (data in %s)", bootstrap, cluster.data_dir)

    def stop() -> None:
        cluster.stop()

    return bootstrap, stop


def ensure_schema(settings: Settings, migrations: Path = REPO_MIGRATIONS) -> Client:
    """A client on the configured database, created and migrated if needed."""
    dsn = settings.clickhouse_dsn()
    database = settings.clickhouse.database
    create_database(connect(dsn), database)
    client = connect(dsn, database=database)
    applied = migrate(
        client,
        discover(migrations),
        {"results_ttl_days": str(settings.clickhouse.results_ttl_days)},
    )
    for migration in applied:
        log.info("applied migration %s", migration.label)
    return client
