"""``slawatch kafka fetch|start|stop|status``: a real local Kafka broker without Docker."""

from __future__ import annotations

import argparse
from pathlib import Path

from slawatch import kafka_local
from slawatch.errors import UserError

DEFAULT_DATA_DIR = Path(".slawatch") / "kafka"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch kafka …``."""
    kafka = subparsers.add_parser(
        "kafka",
        help="run a local Apache Kafka broker (KRaft) from jars on Maven Central",
        description=(
            "Run a real Apache Kafka "
            f"{kafka_local.KAFKA_VERSION} broker (KRaft mode, no ZooKeeper, no Docker) on "
            "127.0.0.1 as a plain Java process. `fetch` downloads its jars once with Maven into "
            f"{kafka_local.cache_dir()}/libs (SLAWATCH_CACHE_DIR overrides the cache folder); "
            "`start` and `stop` are offline afterwards. Needs Java 17 (and Maven for `fetch`)."
        ),
    )
    sub = kafka.add_subparsers(dest="kafka_command", metavar="ACTION", required=True)

    fetch = sub.add_parser("fetch", help="download the broker's jars once (Maven Central)")
    fetch.add_argument("--verbose", action="store_true", help="show Maven's output")
    fetch.set_defaults(func=_fetch)

    start = sub.add_parser(
        "start",
        help="start the broker(s); prints the bootstrap servers on the last line",
        description=(
            "Format the KRaft storage (first time only) and start one broker, or a three-node "
            "cluster (replication factor 3, min in-sync replicas 2) for failover tests. Returns "
            "once every broker answers a metadata request and prints the bootstrap servers on its "
            "last line, e.g. `export SLAWATCH_KAFKA_BOOTSTRAP=$(slawatch kafka start | tail -1)`. "
            "Process ids, ports and the cluster id are recorded in DATA_DIR/cluster.json; the "
            "broker's log is DATA_DIR/node-N/server.log. Starting an existing data folder again "
            "restarts the recorded cluster on its recorded ports with its data."
        ),
    )
    start.add_argument(
        "--brokers", type=int, choices=(1, 3), default=None, help="1 (default) or 3 nodes"
    )
    start.add_argument(
        "--port",
        type=int,
        default=None,
        help=(
            f"client port of the first broker (default {kafka_local.DEFAULT_PORT}, or the recorded "
            "one); brokers listen on PORT..PORT+n-1, controllers on the next n ports; 0 picks "
            "free ports"
        ),
    )
    _data_dir_argument(start)
    start.add_argument(
        "--partitions", type=int, default=6, help="partitions of auto-created topics (default 6)"
    )
    start.add_argument(
        "--timeout",
        type=float,
        default=kafka_local.DEFAULT_START_TIMEOUT_S,
        help="seconds to wait for the brokers to answer (default %(default).0f)",
    )
    start.set_defaults(func=_start)

    stop = sub.add_parser(
        "stop",
        help="stop exactly the brokers recorded in the data folder",
        description=(
            "Send SIGTERM to the broker processes recorded in DATA_DIR/cluster.json (and SIGKILL "
            "to any still alive after --timeout seconds). The data is kept: `start` resumes it."
        ),
    )
    _data_dir_argument(stop)
    stop.add_argument(
        "--timeout",
        type=float,
        default=kafka_local.DEFAULT_STOP_TIMEOUT_S,
        help="seconds to wait for a clean shutdown before SIGKILL (default %(default).0f)",
    )
    stop.set_defaults(func=_stop)

    status = sub.add_parser(
        "status", help="show the recorded brokers; exit 0 only if every broker answers"
    )
    _data_dir_argument(status)
    status.set_defaults(func=_status)


def _data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="folder of the cluster's data, logs and state file (default %(default)s)",
    )


def _fetch(args: argparse.Namespace) -> int:
    already = kafka_local.jars_present()
    libs = kafka_local.fetch_jars(quiet=not args.verbose)
    verb = "already in" if already else "fetched into"
    print(f"Kafka {kafka_local.KAFKA_VERSION} jars {verb} {libs}")
    return 0


def _start(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    recorded = kafka_local.ClusterState.load(data_dir.resolve())
    port = args.port
    if port is None and recorded is None:
        port = kafka_local.DEFAULT_PORT
    cluster = kafka_local.LocalKafka(
        data_dir, brokers=args.brokers, port=port or None, partitions=args.partitions
    )
    running = cluster.running_pids()
    if running and len(running) == len(cluster.state.nodes):
        pids = " ".join(str(p) for p in running.values())
        print(f"Kafka already running in {cluster.data_dir} (pids {pids})")
        print(cluster.bootstrap_servers)
        return 0
    try:
        bootstrap = cluster.start(timeout_s=args.timeout)
    except BaseException:
        # Nothing half-started is left behind: the user gets the error, not stray brokers.
        cluster.stop(timeout_s=5.0)
        raise
    pids = " ".join(str(p) for p in cluster.running_pids().values())
    print(f"Kafka {kafka_local.KAFKA_VERSION} started in {cluster.data_dir} (pids {pids})")
    print(f"logs: {cluster.data_dir}/node-*/server.log")
    print(f"stop with: slawatch kafka stop --data-dir {data_dir}")
    print(bootstrap)
    return 0


def _load(data_dir: Path) -> kafka_local.LocalKafka:
    if kafka_local.ClusterState.load(data_dir.resolve()) is None:
        raise UserError(f"{data_dir}: no local Kafka recorded here (no {kafka_local.STATE_FILE})")
    return kafka_local.LocalKafka(data_dir)


def _stop(args: argparse.Namespace) -> int:
    cluster = _load(args.data_dir)
    stopped = cluster.stop(timeout_s=args.timeout)
    if stopped:
        print(f"stopped Kafka in {cluster.data_dir} (pids {' '.join(map(str, stopped))})")
    else:
        print(f"Kafka in {cluster.data_dir} was not running")
    return 0


def _status(args: argparse.Namespace) -> int:
    cluster = _load(args.data_dir)
    running = cluster.running_pids()
    answering: set[int] = set()
    if running:
        try:
            answering = kafka_local.metadata_broker_ids(cluster.bootstrap_servers, timeout_s=5.0)
        except Exception:  # any failure means "not answering"
            answering = set()
    for node in cluster.state.nodes:
        pid = running.get(node.node_id)
        state = "answering" if node.node_id in answering else ("starting?" if pid else "stopped")
        print(f"node {node.node_id}: 127.0.0.1:{node.port} pid {pid if pid else '-'} {state}")
    print(cluster.bootstrap_servers)
    return 0 if answering >= {n.node_id for n in cluster.state.nodes} else 1
