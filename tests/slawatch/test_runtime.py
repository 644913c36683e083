"""``ensure_kafka`` / ``ensure_schema``: what ``slawatch run`` calls at start-up."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from slawatch import kafka_local
from slawatch.config import Settings, load_settings
from slawatch.kafka_local import BrokerNode, ClusterState
from slawatch.runtime import ensure_kafka, ensure_schema
from slawatch.store.migrations import REPO_MIGRATIONS, discover


def test_configured_bootstrap_servers_start_nothing(tmp_path: Path) -> None:
    settings = load_settings(
        None, env={"SLAWATCH_KAFKA_BOOTSTRAP": "10.0.0.5:9092", "SLAWATCH_DATA_DIR": str(tmp_path)}
    )
    assert ensure_kafka(settings) == ("10.0.0.5:9092", None)
    assert not (tmp_path / "kafka").exists()


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_without_bootstrap_servers_a_local_broker_is_started_and_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAWATCH_KAFKA_JVM_OPTS", "-XX:TieredStopAtLevel=1")
    settings = load_settings(None, env={"SLAWATCH_DATA_DIR": str(tmp_path)})
    # A broker ran here before, on a port something else holds now: it moves to free ports.
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    recorded = ClusterState("x" * 22, kafka_local.KAFKA_VERSION, 6, [BrokerNode(1, taken, taken)])
    (tmp_path / "kafka").mkdir()
    recorded.save(tmp_path / "kafka")
    try:
        bootstrap, stop = ensure_kafka(settings)
    finally:
        squatter.close()
    try:
        assert stop is not None
        assert bootstrap != f"127.0.0.1:{taken}"
        assert kafka_local.metadata_broker_ids(bootstrap) == {1}
        # A second caller (another command) reuses the running broker and may not stop it.
        assert ensure_kafka(settings) == (bootstrap, None)
    finally:
        if stop is not None:
            stop()
    state = ClusterState.load((tmp_path / "kafka").resolve())
    assert state is not None and state.bootstrap_servers == bootstrap
    assert all(node.pid is None for node in state.nodes)


@pytest.mark.integration
def test_ensure_schema_migrates_the_configured_database(
    clickhouse: Client, clickhouse_dsn: str
) -> None:
    settings = Settings.model_validate(
        {"clickhouse": {"dsn": clickhouse_dsn, "database": clickhouse.database}}
    )
    client = ensure_schema(settings)
    applied = client.query("SELECT version FROM schema_migrations FINAL ORDER BY version")
    assert [r[0] for r in applied.result_rows] == [m.version for m in discover(REPO_MIGRATIONS)]
