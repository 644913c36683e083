"""The local Kafka broker: properties, state file, errors, and the real start/stop cycle."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from slawatch import kafka_local
from slawatch.errors import UserError
from slawatch.kafka_local import BrokerNode, ClusterState, LocalKafka


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def _state(count: int) -> ClusterState:
    nodes = [BrokerNode(i + 1, 9100 + i, 9200 + i) for i in range(count)]
    return ClusterState("abc", kafka_local.KAFKA_VERSION, 4, nodes)


def test_single_node_properties_follow_the_guide(tmp_path: Path) -> None:
    state = _state(1)
    props = _props(kafka_local.broker_properties(state, state.nodes[0], tmp_path))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9200"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9100,CONTROLLER://127.0.0.1:9200"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9100"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"
    assert props["num.partitions"] == "4"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["min.insync.replicas"] == "1"
    assert props["log.dirs"] == str(tmp_path / "node-1" / "kafka-logs")
    assert int(props["broker.session.timeout.ms"]) < 9000  # a killed broker restarts sooner


def test_three_node_properties_replicate_three_ways(tmp_path: Path) -> None:
    state = _state(3)
    props = _props(kafka_local.broker_properties(state, state.nodes[2], tmp_path))
    assert props["node.id"] == "3"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:9200,2@127.0.0.1:9201,3@127.0.0.1:9202"
    )
    assert props["default.replication.factor"] == "3"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert int(props["broker.session.timeout.ms"]) < 9000
    assert state.bootstrap_servers == "127.0.0.1:9100,127.0.0.1:9101,127.0.0.1:9102"


def test_cluster_id_is_kafka_shaped() -> None:
    ids = {kafka_local.new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", i) for i in ids)


def test_state_file_round_trips(tmp_path: Path) -> None:
    state = _state(3)
    state.nodes[1].pid = 4242
    state.save(tmp_path)
    assert ClusterState.load(tmp_path) == state
    assert ClusterState.load(tmp_path / "nothing-here") is None


def test_a_broken_state_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "cluster.json").write_text('{"cluster_id": "x"}')
    with pytest.raises(UserError, match=r"cluster\.json: not a slawatch Kafka state file"):
        ClusterState.load(tmp_path)


def test_a_recorded_cluster_of_another_size_is_refused(tmp_path: Path) -> None:
    _state(1).save(tmp_path)
    with pytest.raises(UserError) as err:
        LocalKafka(tmp_path, brokers=3)
    assert str(err.value) == (
        f"{tmp_path} holds a 1-broker cluster, not 3: use another --data-dir or delete that one"
    )


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UserError) as err:
            LocalKafka(tmp_path, port=port).start()
    assert str(err.value).startswith(f"port {port} on 127.0.0.1 is already in use")


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(UserError, match=r"^java not found on PATH .*Java 17 runtime"):
        kafka_local.java_executable()


def test_missing_maven_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLAWATCH_CACHE_DIR", str(tmp_path))  # nothing cached there
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(UserError, match=r"^mvn \(Apache Maven\) not found on PATH"):
        kafka_local.fetch_jars()


def test_a_broker_that_does_not_come_up_in_time_shows_its_log(tmp_path: Path) -> None:
    data = tmp_path / "k"
    result = _slawatch("start", "--port", "0", "--timeout", "0.1", "--data-dir", str(data))
    assert result.returncode == 1
    assert result.stderr.startswith(
        "slawatch: Kafka did not come up within 0 s (brokers answering: none, expected [1]); "
        "last lines of its log:\n"
    )
    # What the failed start launched was stopped again.
    state = ClusterState.load(data.resolve())
    assert state is not None and all(node.pid is None for node in state.nodes)
    assert LocalKafka(data).running_pids() == {}


QUICK_JVM = "-XX:TieredStopAtLevel=1"  # as the fixtures: less start-up CPU


def _slawatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slawatch", "kafka", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "SLAWATCH_KAFKA_JVM_OPTS": QUICK_JVM},
    )


async def _create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_cli_start_kill_restart_stop_ends_exactly_the_recorded_process(tmp_path: Path) -> None:
    data = str(tmp_path / "kafka")
    started = _slawatch("start", "--port", "0", "--data-dir", data)
    pid = None
    try:
        assert started.returncode == 0, started.stderr
        bootstrap = started.stdout.strip().splitlines()[-1]
        assert re.fullmatch(r"127\.0\.0\.1:\d+", bootstrap)
        state = ClusterState.load(Path(data))
        assert state is not None and state.bootstrap_servers == bootstrap
        pid = state.nodes[0].pid
        assert pid is not None and kafka_local.pid_is_running(pid)
        assert (Path(data) / "node-1" / "server.log").stat().st_size > 0
        assert QUICK_JVM.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        asyncio.run(_create_topic(bootstrap, "kept-across-restarts"))

        again = _slawatch("start", "--data-dir", data)
        assert again.returncode == 0 and "already running" in again.stdout

        os.kill(pid, signal.SIGKILL)  # a crash: the state file still names the dead pid
        while kafka_local.pid_is_running(pid):
            time.sleep(0.05)
        status = _slawatch("status", "--data-dir", data)
        assert status.returncode == 1 and "stopped" in status.stdout

        restarted = _slawatch("start", "--data-dir", data)
        assert restarted.returncode == 0, restarted.stderr
        assert restarted.stdout.strip().splitlines()[-1] == bootstrap  # same ports, same data
        assert "kept-across-restarts" in asyncio.run(_topics(bootstrap))
        status = _slawatch("status", "--data-dir", data)
        assert status.returncode == 0 and "answering" in status.stdout
        state = ClusterState.load(Path(data))
        assert state is not None
        pid = state.nodes[0].pid
    finally:
        stopped = _slawatch("stop", "--data-dir", data)
    assert stopped.returncode == 0, stopped.stderr
    assert f"pids {pid}" in stopped.stdout
    assert pid is not None and not kafka_local.pid_is_running(pid)


def test_cli_stop_without_a_cluster_names_the_folder(tmp_path: Path) -> None:
    result = _slawatch("stop", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert (
        result.stderr == f"slawatch: {tmp_path}: no local Kafka recorded here (no cluster.json)\n"
    )


def test_stop_never_signals_a_recorded_pid_that_runs_something_else(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "30"])  # stands in for a reused pid
    try:
        state = _state(1)
        state.nodes[0].pid = sleeper.pid
        state.save(tmp_path)
        cluster = LocalKafka(tmp_path)
        assert cluster.running_pids() == {}
        assert cluster.stop(timeout_s=1.0) == []
        assert sleeper.poll() is None, "stop() signalled a process that is not its broker"
        reloaded = ClusterState.load(tmp_path)
        assert reloaded is not None and reloaded.nodes[0].pid is None
    finally:
        sleeper.kill()
        sleeper.wait()
