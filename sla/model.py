"""The contract's data: check results, outages, maintenance, exclusions, segments, ledger rows.

These pydantic models are both the domain model and the wire schema of the Kafka topics
(JSON, one object per message) and of the ``slawatch sla report --events`` file. Every
timestamp must carry an offset and is converted to UTC; naive timestamps are rejected.
Every message type that can be written twice has a deterministic ``id`` and a ``version``
so that stores can deduplicate it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("timestamp needs an offset (Z or ±hh:mm)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalised to UTC."""

SiteId = Annotated[str, Field(min_length=1, max_length=128)]

ExclusionReason = Literal[
    "client_isp",
    "force_majeure",
    "internet_systemic",
    "client_equipment",
    "client_bandwidth",
    "client_action",
    "third_party",
    "beyond_control",
]
EXCLUSION_REASONS: tuple[str, ...] = ExclusionReason.__args__  # type: ignore[attr-defined]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Interval(_Message):
    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _end_not_before_start(self) -> _Interval:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


# --- events of the contract (the events file and the maintenance/exclusions topics) ---


class OutageEvent(_Interval):
    """A confirmed interval during which the site was unreachable."""

    type: Literal["outage"] = "outage"
    site: SiteId


class MaintenanceEvent(_Interval):
    """A maintenance window announced at ``announced_at`` for some sites or ``"*"`` (all)."""

    type: Literal["maintenance"] = "maintenance"
    id: str = Field(min_length=1, max_length=128)
    sites: list[SiteId] | Literal["*"]
    announced_at: UtcDatetime
    regular: bool = False
    cancelled: bool = False
    title: str = ""
    impact: str = ""

    def covers(self, site: str) -> bool:
        """Whether this window applies to ``site``."""
        return self.sites == "*" or site in self.sites


class ExclusionEvent(_Interval):
    """Time for which downtime is not the vendor's (client's ISP, force majeure, ...)."""

    type: Literal["exclusion"] = "exclusion"
    site: SiteId  # "*" = every site
    reason: ExclusionReason
    id: str | None = None
    note: str = ""

    def covers(self, site: str) -> bool:
        """Whether this exclusion applies to ``site``."""
        return self.site in ("*", site)


ContractEvent = Annotated[
    OutageEvent | MaintenanceEvent | ExclusionEvent, Field(discriminator="type")
]


# --- probe results (topic probe-results) ---


class Outcome(StrEnum):
    """A single check's verdict."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


class Timings(_Message):
    """Phase durations of one check, in milliseconds (None: phase not reached / not applicable)."""

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    total_ms: float | None = None


class CheckResult(_Message):
    """One check of one site from one region (schema version 1)."""

    schema_version: Literal[1] = 1
    site: SiteId
    client: str
    region: str
    worker: str
    scheduled_at: UtcDatetime
    started_at: UtcDatetime
    outcome: Outcome
    error_kind: str | None = None  # dns, connect, tls, timeout, http_status, assertion, ...
    error_detail: str | None = Field(default=None, max_length=2000)
    status_code: int | None = None
    timings: Timings = Timings()
    reference_ok: bool | None = None  # None: the region has no reference targets

    @property
    def id(self) -> str:
        """Deterministic id: one result per site, region and scheduled slot."""
        return f"{self.site}|{self.region}|{self.scheduled_at.isoformat()}"


# --- stream outputs (topics outages, segments, ledger, site-status) ---

SegmentLabel = Literal["downtime", "maintenance", "excluded"]


class Segment(_Interval):
    """A disjoint piece of an outage interval with its classification (schema version 1).

    ``id`` is deterministic (site and start); a later maintenance window or exclusion
    re-emits the affected segments with a higher ``version``. ``deleted`` marks a
    segment that a re-classification removed.
    """

    schema_version: Literal[1] = 1
    id: str
    site: SiteId
    outage_id: str
    label: SegmentLabel
    reason: ExclusionReason | None = None
    maintenance_id: str | None = None
    version: int = Field(ge=0)
    deleted: bool = False


class OutageState(StrEnum):
    """Life cycle of a confirmed outage."""

    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"


class Outage(_Message):
    """A confirmed outage as the stream sees it (topic ``outages``, schema version 1)."""

    schema_version: Literal[1] = 1
    id: str  # deterministic: site and confirmed start
    site: SiteId
    client: str = ""
    state: OutageState
    start: UtcDatetime
    end: UtcDatetime | None = None
    classification: Literal["downtime", "internet_systemic"] = "downtime"
    regions_down: list[str] = Field(default_factory=list)
    version: int = Field(ge=0)


class SiteState(StrEnum):
    """What a status page shows for a site."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    MAINTENANCE = "maintenance"
    UNKNOWN = "unknown"


class SiteStatus(_Message):
    """A change of a site's state (topic ``site-status``, schema version 1)."""

    schema_version: Literal[1] = 1
    site: SiteId
    state: SiteState
    since: UtcDatetime
    version: int = Field(ge=0)


class LedgerRow(_Message):
    """The month's figures for one site (topic ``ledger``; the latest version wins)."""

    schema_version: Literal[1] = 1
    site: SiteId
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    total_minutes: float
    maintenance_minutes: float
    downtime_minutes: float
    excluded_minutes: float
    availability_pct: float | None
    target_pct: float
    met: bool | None
    budget_left_minutes: float | None
    version: int = Field(ge=0)
    computed_at: UtcDatetime


# --- alerting, support requests and backups (topics alerts, support, snapshots) ---


class AlertSeverity(StrEnum):
    """Who must act: ``page`` wakes someone, ``ticket`` waits for business hours."""

    PAGE = "page"
    TICKET = "ticket"
    INFO = "info"


class AlertState(StrEnum):
    """An alert fires once and is resolved once (same ``id``, higher ``version``)."""

    FIRING = "firing"
    RESOLVED = "resolved"


class Alert(_Message):
    """One alert (topic ``alerts``, schema version 1).

    ``id`` is deterministic: rule, subject and the start of the episode (or the window),
    so that a re-computation produces the same id and stores and notifiers deduplicate it.
    """

    schema_version: Literal[1] = 1
    id: str = Field(min_length=1, max_length=512)
    rule: str = Field(min_length=1, max_length=64)
    severity: AlertSeverity
    state: AlertState
    site: str | None = None
    client: str | None = None
    region: str | None = None
    summary: str = Field(max_length=500)
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    starts_at: UtcDatetime
    ends_at: UtcDatetime | None = None
    version: int = Field(ge=0)
    emitted_at: UtcDatetime


SupportPriority = Literal["high", "medium", "low"]
SupportStep = Literal["received", "acknowledged", "resolved"]


class SupportEvent(_Message):
    """One step of a support request (topic ``support``; contract art. 2.2, 3 and 4.2).

    ``request_id`` ties the steps of one request together; ``received`` carries the
    request's details, later steps may repeat or omit them.
    """

    type: Literal["support"] = "support"
    request_id: str = Field(min_length=1, max_length=128)
    step: SupportStep
    at: UtcDatetime
    priority: SupportPriority | None = None
    client: str = ""
    project_id: str = ""
    owner_email: str = ""
    form_name: str = ""
    impact: str = ""
    incident_at: UtcDatetime | None = None  # when the reported problem happened


class SnapshotEvent(_Message):
    """A backup snapshot attempt (topic ``snapshots``; contract art. 2.3)."""

    type: Literal["snapshot"] = "snapshot"
    id: str = Field(min_length=1, max_length=128)
    system: str = Field(default="primary", min_length=1, max_length=128)
    taken_at: UtcDatetime
    ok: bool
    size_bytes: int | None = Field(default=None, ge=0)
    detail: str = ""
