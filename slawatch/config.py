"""One typed configuration for every component (``slawatch.yaml``).

Loaded once, validated at load: a bad file fails at start-up with the file name
and the dotted path of the field. Environment variables override file values
(see ``ENV_OVERRIDES``); secrets are only ever read from the environment or files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from probes.settings import ProbeSettings
from probes.sites import Client, Site
from sla.contract import Contract
from slawatch.alerting.settings import AlertingSettings
from slawatch.errors import InputError
from slawatch.notify.settings import NotifySettings


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    """Where Kafka is. No bootstrap servers: ``slawatch run`` starts a local broker."""

    bootstrap_servers: str | None = None
    topic_prefix: str = ""

    @field_validator("bootstrap_servers")
    @classmethod
    def _host_port_list(cls, value: str | None) -> str | None:
        if value is not None:
            for address in value.split(","):
                host, _, port = address.strip().rpartition(":")
                if not host or not port.isdigit() or not 0 < int(port) < 65536:
                    raise ValueError("expected host:port[,host:port...], e.g. 127.0.0.1:9092")
        return value

    replication_factor: int = Field(default=1, ge=1)
    partitions: int = Field(default=6, ge=1)


class ClickHouseSettings(_Section):
    """The store. ``chdb://`` is the embedded engine; ``http(s)://`` a server."""

    dsn: str | None = None  # None: chdb://<data_dir>/clickhouse

    @field_validator("dsn")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        # Only the scheme is named: the DSN may hold a password.
        if value is not None:
            scheme = value.split("://", 1)[0] if "://" in value else ""
            if scheme not in ("chdb", "http", "https"):
                raise ValueError(
                    f"unsupported scheme {scheme!r} "
                    "(use chdb:///abs/path or http(s)://user:pass@host:port/db)"
                )
            if scheme == "chdb" and not value.startswith("chdb:///"):
                raise ValueError("the chDB path must be absolute (chdb:///abs/path/to/data)")
        return value

    database: str = "slawatch"
    results_ttl_days: int = Field(default=400, ge=1)


class SinkSettings(_Section):
    """The ClickHouse sink: batching, retries while the store is away, the consumer group."""

    group_id: str = Field(default="slawatch-sink", min_length=1)
    batch_max_rows: int = Field(default=5000, ge=1)
    batch_max_seconds: float = Field(default=1.0, gt=0)
    retry_initial_seconds: float = Field(default=0.5, gt=0)
    retry_max_seconds: float = Field(default=30.0, gt=0)
    # How soon the group notices a dead sink and hands its partitions to another
    # (brokers accept 6000..1800000 ms by default).
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    shutdown_seconds: float = Field(default=30.0, gt=0)


class RegionSettings(_Section):
    """A probe region and the reference targets that tell its own network is fine."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    reference_targets: list[str] = Field(default_factory=list)
    reference_interval_s: float = Field(default=30.0, ge=1.0)  # how often they are checked


class StreamWorkerSettings(_Section):
    """``slawatch stream``: event-time grace, batching and group timing (CLI flags override)."""

    grace_s: float = Field(default=60.0, ge=0)  # results may arrive this late across regions
    idle_flush_s: float | None = Field(default=None, gt=0)  # None: the grace
    batch_size: int = Field(default=5000, ge=1)
    tick_s: float = Field(default=1.0, gt=0)
    session_timeout_s: float = Field(default=10.0, gt=0)


class RunSettings(_Section):
    """``slawatch run``: the status page's address, the demo target, the live summary.

    ``stream_metrics_port`` is here, not under ``stream:``: it is how run reaches the child
    it starts, while a stand-alone ``slawatch stream`` takes ``--metrics-port``.
    """

    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    demo_target: bool = False  # serve the bundled demo target (slawatch.example.yaml: true)
    demo_port: int = Field(default=8099, ge=1, le=65535)
    demo_maintenance: bool = True  # with the demo: announce a window over its 2nd failure
    demo_cycle_s: float = Field(default=600.0, gt=0)  # /health fails once per cycle …
    demo_fail_after_s: float = Field(default=90.0, ge=0)  # … this long into it …
    demo_fail_for_s: float = Field(default=120.0, gt=0)  # … for this long
    summary_interval_s: float = Field(default=10.0, gt=0)
    # The stream worker child's /metrics, on 127.0.0.1 only (the status page's /metrics
    # carries it); 0: a free port, picked again at every (re)start of the child.
    stream_metrics_port: int = Field(default=0, ge=0, le=65535)


class Settings(_Section):
    """The whole configuration tree."""

    data_dir: Path = Path(".slawatch")
    log_format: Literal["text", "json"] = "text"
    kafka: KafkaSettings = KafkaSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    sink: SinkSettings = SinkSettings()
    notify: NotifySettings = NotifySettings()
    alerting: AlertingSettings = AlertingSettings()
    probes: ProbeSettings = ProbeSettings()
    stream: StreamWorkerSettings = StreamWorkerSettings()
    run: RunSettings = RunSettings()
    contract: Contract = Contract()
    regions: list[RegionSettings] = Field(default_factory=lambda: [RegionSettings(name="local")])
    clients: list[Client] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)

    def clickhouse_dsn(self) -> str:
        """The DSN to connect with (the embedded engine under ``data_dir`` by default)."""
        if self.clickhouse.dsn:
            return self.clickhouse.dsn
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"


# --------------------------------------------------------------------------- loading

# Environment variable → dotted field path. An empty value counts as unset.
ENV_OVERRIDES: dict[str, str] = {
    "SLAWATCH_DATA_DIR": "data_dir",
    "SLAWATCH_LOG_FORMAT": "log_format",
    "SLAWATCH_KAFKA_BOOTSTRAP": "kafka.bootstrap_servers",
    "SLAWATCH_KAFKA_TOPIC_PREFIX": "kafka.topic_prefix",
    "SLAWATCH_KAFKA_REPLICATION_FACTOR": "kafka.replication_factor",
    "SLAWATCH_KAFKA_PARTITIONS": "kafka.partitions",
    "SLAWATCH_CLICKHOUSE_DSN": "clickhouse.dsn",
    "SLAWATCH_CLICKHOUSE_DATABASE": "clickhouse.database",
    "SLAWATCH_RESULTS_TTL_DAYS": "clickhouse.results_ttl_days",
}
CONFIG_ENV = "SLAWATCH_CONFIG"  # the configuration file when no --config is given


def load_settings(path: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """The settings of ``path`` (None: the defaults), with ``env`` overrides applied.

    ``env`` defaults to ``os.environ``. Every error is an :class:`InputError` whose message
    names the file, the line and the dotted field (``slawatch.yaml:12: sites.3.interval_s: …``),
    or the environment variable a bad value came from; values are never echoed (they may be
    secrets).
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    node: yaml.Node | None = None
    if path is not None:
        data, node = _read_yaml(path)
    overridden = _apply_env(data, env)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(err, path, node, overridden) for err in exc.errors()]
        raise InputError("\n".join(lines)) from None


def settings_path(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """``--config`` if given, else ``$SLAWATCH_CONFIG``, else None (the defaults)."""
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit
    value = env.get(CONFIG_ENV)
    return Path(value) if value else None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML keeps the last)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} given twice (first on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = line
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def _read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: the top level must be a mapping of settings, not a {type(data).__name__}"
        )
    return data, node


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """Write each set override into ``data``; returns field path → variable name."""
    applied: dict[tuple[str, ...], str] = {}
    for variable, dotted in ENV_OVERRIDES.items():
        value = env.get(variable)
        if not value:
            continue
        *sections, leaf = dotted.split(".")
        target = data
        for section in sections:
            existing = target.get(section)
            target[section] = dict(existing) if isinstance(existing, dict) else {}
            target = target[section]
        target[leaf] = value
        applied[tuple(dotted.split("."))] = variable
    return applied


def _describe(
    err: Any, path: Path | None, node: yaml.Node | None, overridden: dict[tuple[str, ...], str]
) -> str:
    loc = tuple(str(part) for part in err["loc"])
    dotted = ".".join(loc) or "(top level)"
    message = err["msg"]
    variable = overridden.get(loc)
    if variable is not None:
        return f"{variable} ({dotted}): {message}"
    if path is None:
        return f"{dotted}: {message}"
    line = _line_of(node, err["loc"])
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {dotted}: {message}"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest YAML node along ``loc`` (pydantic's error location)."""
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        node = _child(node, part)
    if node is not None and loc:
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(part):
                return value_node
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    return None
