"""Shared fixtures: a real Kafka broker, the embedded ClickHouse engine, unique names.

Kafka
    ``kafka_bootstrap`` (session): bootstrap servers of a real broker. Uses the broker named in
    ``SLAWATCH_TEST_KAFKA_BOOTSTRAP`` when set (development: a broker everyone shares), else
    starts its own on free ports in a temporary folder and stops it (by pid) at session end.
    Share it with unique topic names: ``topic_prefix`` / ``unique_name``.
    ``kafka_broker`` (function): a broker of the test's own, a ``LocalKafka`` handle the test may
    ``kill()``, ``stop()``, ``start()`` again.
    ``three_brokers`` (function): a three-node cluster (RF 3, min ISR 2); tests using it are
    marked ``three_brokers`` automatically (``-m "not three_brokers"`` leaves them out).

ClickHouse
    ``clickhouse_dsn`` (session): ``$SLAWATCH_TEST_CLICKHOUSE_DSN`` (a server) or one embedded
    chDB engine in a temporary folder, shared by every test of the process.
    ``clickhouse`` (function): a client bound to a fresh database ``t_<id>``, dropped afterwards.
    ``migrated_clickhouse`` (function): the same with deploy/clickhouse/migrations applied.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from slawatch import store
from slawatch.errors import UserError
from slawatch.kafka_local import LocalKafka
from slawatch.store.migrations import REPO_MIGRATIONS, discover, migrate

KAFKA_ENV = "SLAWATCH_TEST_KAFKA_BOOTSTRAP"
# Test brokers live seconds to minutes: the C1 compiler alone halves their start-up CPU
# (measured 9 s -> 5 s per broker) on machines shared by many test runs.
TEST_BROKER_JVM = ("-XX:TieredStopAtLevel=1",)
KAFKA_FIXTURES = {"kafka_bootstrap", "kafka_broker", "three_brokers"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow-faults",
        action="store_true",
        default=False,
        help="also run the slow fault-injection tests (make test-faults)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow_faults: a long fault-injection test (also marked faults), skipped unless "
        "--run-slow-faults is given (make test-faults)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by the real services they use, so ``-m`` can select or leave them out.

    Tests marked ``slow_faults`` are skipped (with the reason) unless ``--run-slow-faults``.
    """
    run_slow = config.getoption("--run-slow-faults")
    skip_slow = pytest.mark.skip(
        reason="slow fault test: run with --run-slow-faults (make test-faults)"
    )
    for item in items:
        if "slow_faults" in item.keywords:
            item.add_marker(pytest.mark.faults)
            if not run_slow:
                item.add_marker(skip_slow)
        used = set(getattr(item, "fixturenames", ()))
        if used & (KAFKA_FIXTURES | CLICKHOUSE_FIXTURES):
            item.add_marker(pytest.mark.integration)
        if "three_brokers" in used:
            item.add_marker(pytest.mark.three_brokers)


# --------------------------------------------------------------------------- names


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """``unique_name("orders")`` → ``orders-1a2b3c4d5e``: topics and groups on a shared broker."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def topic_prefix() -> str:
    """A prefix unique to this test for every topic it creates (``kafka.topic_prefix``)."""
    return f"t{uuid.uuid4().hex[:10]}."


# --------------------------------------------------------------------------- Kafka


@contextmanager
def running_kafka(data_dir: Path, brokers: int = 1) -> Iterator[LocalKafka]:
    """A started local cluster on free ports, stopped (by pid) on exit, even after a failure."""
    last_error: UserError | None = None
    for attempt in range(2):  # free ports are picked before binding: retry a lost race once
        cluster = LocalKafka(
            data_dir / f"try{attempt}", brokers=brokers, port=None, jvm_options=TEST_BROKER_JVM
        )
        try:
            cluster.start()
        except UserError as exc:
            cluster.stop(timeout_s=5.0)
            last_error = exc
            if "already in use" not in str(exc):
                raise
            continue
        try:
            yield cluster
        finally:
            # Throw-away data: no clean shutdown needed (saves seconds per cluster).
            cluster.stop(timeout_s=0.0)
        return
    assert last_error is not None
    raise last_error


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of the session's broker (``$SLAWATCH_TEST_KAFKA_BOOTSTRAP`` or our own)."""
    shared = os.environ.get(KAFKA_ENV)
    if shared:
        yield shared
        return
    with running_kafka(tmp_path_factory.mktemp("kafka")) as cluster:
        yield cluster.bootstrap_servers


@pytest.fixture
def kafka_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    """A single broker of this test's own, to kill, stop and restart."""
    with running_kafka(tmp_path / "kafka") as cluster:
        yield cluster


@pytest.fixture
def three_brokers(tmp_path: Path) -> Iterator[LocalKafka]:
    """A three-node cluster of this test's own (replication factor 3, min ISR 2)."""
    with running_kafka(tmp_path / "kafka3", brokers=3) as cluster:
        yield cluster


# --------------------------------------------------------------------------- ClickHouse

CLICKHOUSE_ENV = "SLAWATCH_TEST_CLICKHOUSE_DSN"
CLICKHOUSE_FIXTURES = {"clickhouse_dsn", "clickhouse", "migrated_clickhouse"}


@pytest.fixture(scope="session")
def clickhouse_dsn(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session's ClickHouse: ``$SLAWATCH_TEST_CLICKHOUSE_DSN`` or an embedded engine.

    chDB runs one engine per process on one path: every test in this process shares this one
    and isolates itself with a database of its own (the ``clickhouse`` fixture). Never open
    another ``chdb://`` path in tests.
    """
    shared = os.environ.get(CLICKHOUSE_ENV)
    if shared:
        return shared
    return f"chdb://{tmp_path_factory.mktemp('clickhouse').resolve()}"


@contextmanager
def fresh_database(dsn: str, migrations: Path | None = None) -> Iterator[Client]:
    """A client bound to a new database ``t_<id>`` (migrated if asked), dropped afterwards."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    admin = store.connect(dsn)
    store.create_database(admin, database)
    try:
        client = store.connect(dsn, database=database)
        if migrations is not None:
            migrate(client, discover(migrations))
        yield client
    finally:
        store.drop_database(admin, database)


@pytest.fixture
def clickhouse(clickhouse_dsn: str) -> Iterator[Client]:
    """A clickhouse-connect client on an empty database of this test (``client.database``)."""
    with fresh_database(clickhouse_dsn) as client:
        yield client


@pytest.fixture
def migrated_clickhouse(clickhouse_dsn: str) -> Iterator[Client]:
    """Like ``clickhouse``, with every migration of deploy/clickhouse/migrations applied."""
    with fresh_database(clickhouse_dsn, REPO_MIGRATIONS) as client:
        yield client
