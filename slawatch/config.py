"""One typed configuration for every component (``slawatch.yaml``).

Loaded once, validated at load: a bad file fails at start-up with the file name
and the dotted path of the field. Environment variables override file values
(see ``ENV_OVERRIDES``); secrets are only ever read from the environment or files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from probes.settings import ProbeSettings
from probes.sites import Client, Site
from sla.contract import Contract


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    """Where Kafka is. No bootstrap servers: ``slawatch run`` starts a local broker."""

    bootstrap_servers: str | None = None
    topic_prefix: str = ""
    replication_factor: int = Field(default=1, ge=1)
    partitions: int = Field(default=6, ge=1)


class ClickHouseSettings(_Section):
    """The store. ``chdb://`` is the embedded engine; ``http(s)://`` a server."""

    dsn: str | None = None  # None: chdb://<data_dir>/clickhouse
    database: str = "slawatch"
    results_ttl_days: int = Field(default=400, ge=1)


class SinkSettings(_Section):
    """The ClickHouse sink: batching, retries while the store is away, the consumer group."""

    group_id: str = Field(default="slawatch-sink", min_length=1)
    batch_max_rows: int = Field(default=5000, ge=1)
    batch_max_seconds: float = Field(default=1.0, gt=0)
    retry_initial_seconds: float = Field(default=0.5, gt=0)
    retry_max_seconds: float = Field(default=30.0, gt=0)


class RegionSettings(_Section):
    """A probe region and the reference targets that tell its own network is fine."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    reference_targets: list[str] = Field(default_factory=list)
    reference_interval_s: float = Field(default=30.0, ge=1.0)  # how often they are checked


class Settings(_Section):
    """The whole configuration tree."""

    data_dir: Path = Path(".slawatch")
    log_format: Literal["text", "json"] = "text"
    kafka: KafkaSettings = KafkaSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    sink: SinkSettings = SinkSettings()
    probes: ProbeSettings = ProbeSettings()
    contract: Contract = Contract()
    regions: list[RegionSettings] = Field(default_factory=lambda: [RegionSettings(name="local")])
    clients: list[Client] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)

    def clickhouse_dsn(self) -> str:
        """The DSN to connect with (the embedded engine under ``data_dir`` by default)."""
        if self.clickhouse.dsn:
            return self.clickhouse.dsn
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"
