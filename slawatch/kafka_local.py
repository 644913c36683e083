"""A real Apache Kafka broker (KRaft) on 127.0.0.1, run from jars fetched from Maven Central.

No Docker needed: ``fetch_jars()`` copies the broker's jars (see ``deploy/kafka/pom.xml``) into
``~/.cache/slawatch/kafka-<version>/libs`` once; ``LocalKafka(data_dir).start()`` formats the
KRaft storage, starts one or three broker processes, and returns only when every broker answers
a metadata request. The process ids, ports and cluster id are recorded in
``<data_dir>/cluster.json`` so that another process (``slawatch kafka stop``) ends exactly
those processes, never anything found by name.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from slawatch.errors import UserError
from slawatch.processes import pid_is_running

KAFKA_VERSION = "3.9.1"
STATE_FILE = "cluster.json"
DEFAULT_PORT = 9092
DEFAULT_START_TIMEOUT_S = 120.0
DEFAULT_STOP_TIMEOUT_S = 30.0
LOG_TAIL_LINES = 25
REPO_ROOT = Path(__file__).resolve().parent.parent
POM_PATH = REPO_ROOT / "deploy" / "kafka" / "pom.xml"

_T = TypeVar("_T")


# --------------------------------------------------------------------------- jars


def cache_dir() -> Path:
    """Where the broker's jars are cached: ``$SLAWATCH_CACHE_DIR`` or ``~/.cache/slawatch``."""
    base = os.environ.get("SLAWATCH_CACHE_DIR") or str(Path.home() / ".cache" / "slawatch")
    return Path(base) / f"kafka-{KAFKA_VERSION}"


def libs_dir() -> Path:
    """The folder holding every jar of the broker's runtime class path."""
    return cache_dir() / "libs"


def jars_present(libs: Path | None = None) -> bool:
    """True when the cached class path holds the broker jar of the pinned version."""
    libs = libs or libs_dir()
    return (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file()


def fetch_jars(pom: Path = POM_PATH, *, quiet: bool = True) -> Path:
    """Copy the broker's runtime jars from Maven Central into the cache, once.

    The download goes to a temporary folder renamed into place at the end, so an interrupted
    download never leaves a half-filled class path that later looks cached. Offline afterwards.
    """
    libs = libs_dir()
    if jars_present(libs):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise UserError(
            "mvn (Apache Maven) not found on PATH: it is needed once to fetch the Kafka broker's "
            f"jars into {libs} (Debian: apt-get install maven)"
        )
    if not pom.is_file():
        raise UserError(f"{pom}: the Kafka broker's POM is missing (is this a slawatch checkout?)")
    partial = libs.with_name(f"libs.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        mvn,
        *(["-q"] if quiet else []),
        "-B",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={partial}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not jars_present(partial):
        shutil.rmtree(partial, ignore_errors=True)
        tail = _tail_text(proc.stdout + proc.stderr)
        raise UserError(
            f"fetching the Kafka jars with Maven failed (exit {proc.returncode}):\n{tail}"
        )
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)
    return libs


def java_executable() -> str:
    """The ``java`` to run the broker with (``$JAVA_HOME/bin/java`` first, then PATH)."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise UserError(
            "java not found on PATH (nor in $JAVA_HOME): the local Kafka broker needs a Java 17 "
            "runtime (Debian: apt-get install openjdk-17-jre-headless)"
        )
    return java


# --------------------------------------------------------------------------- ports


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free on 127.0.0.1 a moment ago."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


# --------------------------------------------------------------------------- state


@dataclass
class BrokerNode:
    """One broker process of a local cluster (broker and controller roles in one JVM)."""

    node_id: int
    port: int
    controller_port: int
    pid: int | None = None

    def directory(self, data_dir: Path) -> Path:
        """This node's folder: properties, log4j config, logs and the Kafka log dir."""
        return data_dir / f"node-{self.node_id}"


@dataclass
class ClusterState:
    """What ``cluster.json`` records: enough for another process to find and stop the brokers."""

    cluster_id: str
    kafka_version: str
    partitions: int
    nodes: list[BrokerNode] = field(default_factory=list)

    @property
    def bootstrap_servers(self) -> str:
        """The bootstrap string clients connect with."""
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def save(self, data_dir: Path) -> None:
        """Write the state file atomically."""
        tmp = data_dir / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        tmp.replace(data_dir / STATE_FILE)

    @classmethod
    def load(cls, data_dir: Path) -> ClusterState | None:
        """The recorded state, or None when ``data_dir`` holds no cluster."""
        path = data_dir / STATE_FILE
        if not path.is_file():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            nodes = [BrokerNode(**n) for n in raw.pop("nodes")]
            return cls(nodes=nodes, **raw)
        except (ValueError, TypeError, KeyError) as exc:
            raise UserError(f"{path}: not a slawatch Kafka state file ({exc})") from exc


def new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64 without padding (as StorageTool)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


# --------------------------------------------------------------------------- config files


def broker_properties(state: ClusterState, node: BrokerNode, data_dir: Path) -> str:
    """``server.properties`` of one node (see docs: kafka-local guide)."""
    count = len(state.nodes)
    voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in state.nodes)
    replication = 3 if count >= 3 else 1
    props = {
        "process.roles": "broker,controller",
        "node.id": node.node_id,
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": node.directory(data_dir) / "kafka-logs",
        "num.partitions": state.partitions,
        "auto.create.topics.enable": "true",
        "delete.topic.enable": "true",
        # Joins would otherwise wait 3 s for more members: every test and restart pays it.
        "group.initial.rebalance.delay.ms": 0,
        # Fewer internal partitions: the first consumer group creates them all at once.
        "offsets.topic.num.partitions": 10,
        "transaction.state.log.num.partitions": 10,
        "offsets.topic.replication.factor": replication,
        "transaction.state.log.replication.factor": replication,
        "transaction.state.log.min.isr": 2 if count >= 3 else 1,
        "default.replication.factor": replication,
        "min.insync.replicas": 2 if count >= 3 else 1,
        "unclean.leader.election.enable": "false",
        # A killed broker's registration must expire before it may register again on restart
        # (DUPLICATE_BROKER_REGISTRATION until then), and in a cluster its partitions move only
        # once it is fenced: 4 s instead of the default 9 s.
        "broker.session.timeout.ms": 4000,
        "broker.heartbeat.interval.ms": 1000,
    }
    if count >= 3:
        props |= {
            "replica.lag.time.max.ms": 8000,
            "controller.quorum.election.timeout.ms": 1000,
            "controller.quorum.fetch.timeout.ms": 2000,
        }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def log4j_properties(node_dir: Path) -> str:
    """Broker logging into ``server.log`` (and the controller's into ``controller.log``)."""
    return f"""log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File={node_dir / "server.log"}
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
"""


# --------------------------------------------------------------------------- processes


def pid_is_our_broker(pid: int, node_dir: Path) -> bool:
    """True when ``pid`` runs the broker of ``node_dir`` (guards against a recycled pid)."""
    if not pid_is_running(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (not Linux): trust the recorded pid
    return str(node_dir / "server.properties").encode() in cmdline


def _tail_text(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def tail_file(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return _tail_text(data, lines)


def _run_coroutine(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` to completion in a private event loop, even when called from async code."""
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="kafka-metadata", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


async def _broker_ids(bootstrap: str, timeout_s: float) -> set[int]:
    from aiokafka.client import AIOKafkaClient

    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(timeout_s * 1000),
        connections_max_idle_ms=10_000,
    )
    try:
        await asyncio.wait_for(client.bootstrap(), timeout_s)
        metadata = await asyncio.wait_for(client.fetch_all_metadata(), timeout_s)
        return {b.nodeId for b in metadata.brokers()}
    finally:
        await client.close()


async def _find_group_coordinator(bootstrap: str, timeout_s: float) -> bool:
    from aiokafka.client import AIOKafkaClient, CoordinationType
    from aiokafka.structs import TopicPartition as _TopicPartition

    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(client.bootstrap(), timeout_s)
        lookup = client.coordinator_lookup(CoordinationType.GROUP, "slawatch-readiness")
        await asyncio.wait_for(lookup, timeout_s)
        metadata = await asyncio.wait_for(client.fetch_all_metadata(), timeout_s)
        partitions = metadata.partitions_for_topic("__consumer_offsets") or set()
        leaders = [metadata.leader_for_partition(_TopicPartition("__consumer_offsets", p))
                   for p in partitions]  # fmt: skip
        return bool(partitions) and all(leader is not None and leader >= 0 for leader in leaders)
    finally:
        await client.close()


def group_coordinator_ready(bootstrap: str, timeout_s: float = 5.0) -> bool:
    """True once consumer groups can be coordinated (``__consumer_offsets`` exists and leads).

    The first lookup makes the broker create ``__consumer_offsets``; until its partitions have
    leaders every consumer group start logs GroupCoordinatorNotAvailable and retries.
    """
    try:
        return _run_coroutine(_find_group_coordinator(bootstrap, timeout_s))
    except Exception:  # any Kafka error here means "not yet"
        return False


def accepts_connections(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when at least one ``host:port`` of ``bootstrap`` accepts a TCP connection."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout_s):
            return True
    return False


def metadata_broker_ids(bootstrap: str, timeout_s: float = 5.0) -> set[int]:
    """Node ids of the brokers a metadata request reports; raises when nobody answers."""
    if not accepts_connections(bootstrap):
        # Checked first so that polling a starting broker does not fill stderr with
        # aiokafka's connection errors.
        raise ConnectionRefusedError(f"nothing listens on {bootstrap}")
    return _run_coroutine(_broker_ids(bootstrap, timeout_s))


# --------------------------------------------------------------------------- the cluster


class LocalKafka:
    """One or three local Kafka brokers sharing ``data_dir``; the handle tests and the CLI use.

    ``start()`` (re)starts every node not running, ``stop()`` ends them (SIGTERM, then SIGKILL
    after a timeout), ``kill(node_id)`` SIGKILLs one node to simulate a crash and
    ``start_node(node_id)`` brings it back on the same ports and data.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        brokers: int | None = None,
        port: int | None = None,
        partitions: int = 6,
        heap: str = "512m",
        jvm_options: tuple[str, ...] = (),
    ) -> None:
        """``brokers``/``port`` None: as recorded in ``data_dir``, else 1 broker on free ports.

        ``jvm_options`` are added to the broker's ``java`` command, after any in
        ``$SLAWATCH_KAFKA_JVM_OPTS`` (tests pass ``-XX:TieredStopAtLevel=1``: half the CPU at
        start-up for a broker that lives seconds, at the cost of peak throughput).
        """
        if brokers not in (None, 1, 3):
            raise UserError(f"--brokers must be 1 or 3, not {brokers}")
        self.data_dir = data_dir.resolve()
        self.brokers = brokers
        self.port = port
        self.partitions = partitions
        self.heap = heap
        self.jvm_options = (*os.environ.get("SLAWATCH_KAFKA_JVM_OPTS", "").split(), *jvm_options)
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self.state = self._initial_state()

    # ------------------------------------------------------------------ public

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:<port>[,...]`` of every node."""
        return self.state.bootstrap_servers

    def running_pids(self) -> dict[int, int]:
        """node id → pid of every node whose recorded process is alive."""
        return {
            n.node_id: n.pid
            for n in self.state.nodes
            if n.pid is not None and pid_is_our_broker(n.pid, n.directory(self.data_dir))
        }

    def start(self, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> str:
        """Start every node not running; return the bootstrap servers once all answer."""
        libs = fetch_jars()
        java = java_executable()
        running = self.running_pids()
        to_start = [n for n in self.state.nodes if n.node_id not in running]
        self._check_ports_free(to_start)
        self._write_configs()
        self._format_storage(java, libs, to_start)
        for node in to_start:
            self._launch(java, libs, node)
        self.state.save(self.data_dir)
        self.wait_ready({n.node_id for n in self.state.nodes}, timeout_s)
        return self.bootstrap_servers

    def start_node(self, node_id: int, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> None:
        """Restart one node (after ``kill``/``stop_node``) on its ports and data."""
        node = self._node(node_id)
        if node_id in self.running_pids():
            return
        self._check_ports_free([node])
        self._launch(java_executable(), fetch_jars(), node)
        self.state.save(self.data_dir)
        self.wait_ready({node_id}, timeout_s)

    def kill(self, node_id: int | None = None) -> None:
        """SIGKILL one node (the only one by default): a crash, no clean shutdown."""
        node = self._node(node_id if node_id is not None else self.state.nodes[0].node_id)
        self._signal_and_wait(node, signal.SIGKILL, timeout_s=10.0)

    def stop_node(self, node_id: int, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        """Stop one node cleanly (SIGTERM, SIGKILL after ``timeout_s``)."""
        node = self._node(node_id)
        if not self._signal_and_wait(node, signal.SIGTERM, timeout_s):
            self._signal_and_wait(node, signal.SIGKILL, timeout_s=10.0)

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> list[int]:
        """Stop every node: SIGTERM all at once, SIGKILL whoever is left after ``timeout_s``.

        Returns the pids that were stopped. The data folder is kept (restartable).
        """
        # Only processes still running this folder's broker are signalled: a recorded pid
        # that died (or was reused by another program) is forgotten, never killed.
        signalled = [node for node in self.state.nodes if self._send(node, signal.SIGTERM)]
        stopped = [node.pid for node in signalled if node.pid is not None]
        deadline = time.monotonic() + timeout_s
        for node in signalled:
            if not self._wait_gone(node, max(0.0, deadline - time.monotonic())):
                self._signal_and_wait(node, signal.SIGKILL, timeout_s=10.0)
        for node in self.state.nodes:
            node.pid = None
        if (self.data_dir / STATE_FILE).exists():
            self.state.save(self.data_dir)
        return stopped

    def use_free_ports(self) -> None:
        """Move every (stopped) node to ports free right now; the data is kept."""
        if self.running_pids():
            raise UserError(f"Kafka in {self.data_dir} is running: stop it before moving ports")
        self._assign_ports(self.state.nodes, None)

    def wait_ready(self, node_ids: set[int], timeout_s: float) -> None:
        """Block until a metadata request lists every node and a group coordinator answers."""
        deadline = time.monotonic() + timeout_s
        seen: set[int] = set()
        while True:
            self._raise_if_exited(node_ids)
            with contextlib.suppress(Exception):
                seen = metadata_broker_ids(self.bootstrap_servers, timeout_s=3.0)
                if node_ids <= seen and group_coordinator_ready(self.bootstrap_servers, 3.0):
                    return
            if time.monotonic() > deadline:
                raise UserError(
                    f"Kafka did not come up within {timeout_s:.0f} s "
                    f"(brokers answering: {sorted(seen) or 'none'}, expected {sorted(node_ids)}); "
                    f"last lines of its log:\n{self._log_tails(node_ids)}"
                )
            time.sleep(0.3)

    def log_file(self, node_id: int) -> Path:
        """The broker's log4j output of one node."""
        return self._node(node_id).directory(self.data_dir) / "server.log"

    # ------------------------------------------------------------------ internals

    def _initial_state(self) -> ClusterState:
        recorded = ClusterState.load(self.data_dir)
        if recorded is not None:
            if self.brokers is not None and len(recorded.nodes) != self.brokers:
                raise UserError(
                    f"{self.data_dir} holds a {len(recorded.nodes)}-broker cluster, not "
                    f"{self.brokers}: use another --data-dir or delete that one"
                )
            if self.port is not None and recorded.nodes[0].port != self.port:
                self._assign_ports(recorded.nodes, self.port)
            return recorded
        count = self.brokers or 1
        nodes = [BrokerNode(node_id=i + 1, port=0, controller_port=0) for i in range(count)]
        self._assign_ports(nodes, self.port)
        return ClusterState(new_cluster_id(), KAFKA_VERSION, self.partitions, nodes)

    @staticmethod
    def _assign_ports(nodes: list[BrokerNode], port: int | None) -> None:
        """Clients on ``port``, ``port+1``…; controllers right after. None: free ports."""
        count = len(nodes)
        ports = free_ports(2 * count) if port is None else list(range(port, port + 2 * count))
        for i, node in enumerate(nodes):
            node.port, node.controller_port = ports[i], ports[count + i]

    def _node(self, node_id: int) -> BrokerNode:
        for node in self.state.nodes:
            if node.node_id == node_id:
                return node
        raise UserError(f"no Kafka node {node_id} in {self.data_dir}")

    def _check_ports_free(self, nodes: list[BrokerNode]) -> None:
        for node in nodes:
            for port in (node.port, node.controller_port):
                if not port_is_free(port):
                    raise UserError(
                        f"port {port} on 127.0.0.1 is already in use (another Kafka broker?): "
                        "stop whatever listens there or pick other ports with --port"
                    )

    def _write_configs(self) -> None:
        for node in self.state.nodes:
            node_dir = node.directory(self.data_dir)
            node_dir.mkdir(parents=True, exist_ok=True)
            (node_dir / "server.properties").write_text(
                broker_properties(self.state, node, self.data_dir), encoding="utf-8"
            )
            (node_dir / "log4j.properties").write_text(log4j_properties(node_dir), encoding="utf-8")

    def _format_storage(self, java: str, libs: Path, nodes: list[BrokerNode]) -> None:
        """``StorageTool format`` on every node not formatted yet, in parallel (JVM start-up)."""
        pending = [
            n
            for n in nodes
            if not (n.directory(self.data_dir) / "kafka-logs" / "meta.properties").exists()
        ]
        procs = [
            (
                node,
                subprocess.Popen(
                    [
                        java,
                        "-Xmx256m",
                        "-XX:TieredStopAtLevel=1",  # a one-shot tool: JIT work is wasted CPU
                        *self._log4j_opts(node),
                        "-cp",
                        f"{libs}/*",
                        "kafka.tools.StorageTool",
                        "format",
                        "-t",
                        self.state.cluster_id,
                        "-c",
                        str(node.directory(self.data_dir) / "server.properties"),
                        "--ignore-formatted",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                ),
            )
            for node in pending
        ]
        for node, proc in procs:
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                text = _tail_text(out.decode("utf-8", errors="replace"))
                raise UserError(
                    f"formatting the KRaft storage of Kafka node {node.node_id} failed "
                    f"(exit {proc.returncode}):\n{text}"
                )

    def _log4j_opts(self, node: BrokerNode) -> list[str]:
        config = node.directory(self.data_dir) / "log4j.properties"
        return [f"-Dlog4j.configuration=file:{config}"]

    def _launch(self, java: str, libs: Path, node: BrokerNode) -> None:
        node_dir = node.directory(self.data_dir)
        heap = "384m" if len(self.state.nodes) > 1 else self.heap
        cmd = [
            java,
            "-Xms128m",
            f"-Xmx{heap}",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            *self.jvm_options,
            f"-Dkafka.logs.dir={node_dir}",
            *self._log4j_opts(node),
            "-cp",
            f"{libs}/*",
            "kafka.Kafka",
            str(node_dir / "server.properties"),
        ]
        with (node_dir / "stdout.log").open("ab") as out:
            # Own session: Ctrl-C in the terminal that ran `slawatch kafka start` leaves it alone.
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=node_dir,
            )  # fmt: skip
        self._children[node.node_id] = proc
        node.pid = proc.pid

    def _send(self, node: BrokerNode, sig: signal.Signals) -> bool:
        if node.pid is None or not pid_is_our_broker(node.pid, node.directory(self.data_dir)):
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(node.pid, sig)
        return True

    def _wait_gone(self, node: BrokerNode, timeout_s: float) -> bool:
        if node.pid is None:
            return True
        child = self._children.get(node.node_id)
        deadline = time.monotonic() + timeout_s
        while True:
            if child is not None and child.poll() is not None:
                return True  # reaped: no zombie left behind
            if child is None and not pid_is_running(node.pid):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)

    def _signal_and_wait(self, node: BrokerNode, sig: signal.Signals, timeout_s: float) -> bool:
        self._send(node, sig)
        gone = self._wait_gone(node, timeout_s)
        if gone:
            self._children.pop(node.node_id, None)
            node.pid = None
            if (self.data_dir / STATE_FILE).exists():
                self.state.save(self.data_dir)
        return gone

    def _raise_if_exited(self, node_ids: set[int]) -> None:
        for node_id in node_ids:
            child = self._children.get(node_id)
            if child is not None and child.poll() is not None:
                raise UserError(
                    f"Kafka node {node_id} exited with status {child.returncode} during start-up; "
                    f"last lines of its log:\n{self._log_tails({node_id})}"
                )

    def _log_tails(self, node_ids: set[int]) -> str:
        parts = []
        for node_id in sorted(node_ids):
            node_dir = self._node(node_id).directory(self.data_dir)
            for name in ("server.log", "stdout.log"):
                tail = tail_file(node_dir / name)
                if tail:
                    parts.append(f"--- {node_dir / name}\n{tail}")
        return "\n".join(parts) or "(no log written)"


def iter_recorded_pids(data_dir: Path) -> Iterator[tuple[int, int]]:
    """(node id, pid) of every recorded broker of ``data_dir`` that is still alive."""
    state = ClusterState.load(data_dir.resolve())
    if state is None:
        return
    for node in state.nodes:
        if node.pid is not None and pid_is_our_broker(node.pid, node.directory(data_dir.resolve())):
            yield node.node_id, node.pid
