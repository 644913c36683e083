"""One site's processing, without Faust: detector → segments → ledger (no I/O, no clock).

The Faust agent keeps one :class:`SiteRecord` per site in a changelog-backed table and
calls :meth:`SiteProcessor.process` once per batch of that site's results (and
:meth:`SiteProcessor.tick` on a timer). Everything the record holds is compact JSON, so a
batch costs one table write per site, not one per result. Every output is collected in an
:class:`Outputs` as ready-to-send ``(key, value)`` pairs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sla.calendar import month_interval, months_touching
from sla.confirmation import (
    ConfirmationConfig,
    DetectorState,
    Late,
    Rejected,
    flush,
    from_us,
    new_state,
    step,
    to_us,
)
from sla.contract import Contract
from sla.model import (
    CheckResult,
    ExclusionEvent,
    MaintenanceEvent,
    Outage,
    OutageState,
    Segment,
    SiteStatus,
)
from sla.segmentation import ClosedOutage, ledger_row, reconcile, relevant, segment
from stream.messages import DeadLetter, LateResult

Pair = tuple[bytes, bytes]

# How long a closed outage stays in a site's state: the current month and the two before
# it can still be recomputed when maintenance or an exclusion is recorded late.
STATE_RETENTION = timedelta(days=100)


@dataclass
class Outputs:
    """Messages to produce, per output topic, as ``(key, value)`` bytes."""

    outages: list[Pair] = field(default_factory=list)
    segments: list[Pair] = field(default_factory=list)
    ledger: list[Pair] = field(default_factory=list)
    status: list[Pair] = field(default_factory=list)
    late: list[Pair] = field(default_factory=list)
    dead: list[Pair] = field(default_factory=list)

    def count(self) -> int:
        """How many messages in total."""
        return sum(len(v) for v in vars(self).values())


@dataclass
class Calendar:
    """The maintenance windows and exclusions every worker reads (latest version per id)."""

    maintenance: dict[str, MaintenanceEvent] = field(default_factory=dict)
    exclusions: dict[str, ExclusionEvent] = field(default_factory=dict)
    generation: int = 0  # bumped on every change, so unchanged calendars are not re-checked

    def put_maintenance(self, event: MaintenanceEvent) -> None:
        """Record (or replace, or cancel) a maintenance window."""
        self.maintenance[event.id] = event
        self.generation += 1

    def put_exclusion(self, event: ExclusionEvent) -> None:
        """Record (or replace) an exclusion."""
        self.exclusions[exclusion_id(event)] = event
        self.generation += 1

    def for_site(self, site: str) -> tuple[list[MaintenanceEvent], list[ExclusionEvent]]:
        """The non-cancelled windows and exclusions that cover ``site``."""
        return relevant(site, self.maintenance.values(), self.exclusions.values())


def exclusion_id(event: ExclusionEvent) -> str:
    """The exclusion's id, or a deterministic one from its content."""
    if event.id:
        return event.id
    return f"{event.site}|{event.reason}|{event.start.isoformat()}|{event.end.isoformat()}"


@dataclass
class SiteRecord:
    """Everything the stream keeps per site (one table value)."""

    detector: DetectorState
    offsets: dict[str, int] = field(default_factory=dict)  # partition → last applied offset
    partition: int | None = None  # the state's changelog partition
    closed: list[ClosedOutage] = field(default_factory=list)
    segments: dict[str, dict[str, Segment]] = field(default_factory=dict)  # by outage id
    calendar: dict[str, list[int]] = field(default_factory=dict)  # signature → [start, end]
    ledger_versions: dict[str, int] = field(default_factory=dict)  # month → last version

    def to_bytes(self) -> bytes:
        """Compact JSON of the record."""
        data: dict[str, Any] = {
            "d": self.detector.to_dict(),
            "o": self.offsets,
            "p": self.partition,
            "c": [[o.id, to_us(o.start), to_us(o.end), o.classification] for o in self.closed],
            "g": {
                oid: [s.model_dump(mode="json") for s in segs.values()]
                for oid, segs in self.segments.items()
            },
            "k": self.calendar,
            "l": self.ledger_versions,
        }
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes | dict[str, Any]) -> SiteRecord:
        """Inverse of :meth:`to_bytes` (also accepts the already decoded JSON object).

        Faust's table recovery decodes changelog values as JSON itself, so after a restart
        the table holds the decoded object rather than the bytes written.
        """
        data = raw if isinstance(raw, dict) else json.loads(raw)
        detector = DetectorState.from_dict(data["d"])
        return cls(
            detector=detector,
            offsets=data["o"],
            partition=data["p"],
            closed=[
                ClosedOutage(oid, detector.site, from_us(s), from_us(e), cls_)
                for oid, s, e, cls_ in data["c"]
            ],
            segments={
                oid: {s["id"]: Segment.model_validate(s) for s in segs}
                for oid, segs in data["g"].items()
            },
            calendar=data["k"],
            ledger_versions=data["l"],
        )


def new_record(site: str) -> SiteRecord:
    """The record of a site nothing is known about yet."""
    return SiteRecord(detector=new_state(site))


def _key(text: str) -> bytes:
    return text.encode()


def _json(model: Any) -> bytes:
    return model.model_dump_json().encode()


class SiteProcessor:
    """Applies batches of one site's results and calendar changes to its record."""

    def __init__(
        self,
        contract: Contract,
        config_for: Callable[[str], ConfirmationConfig],
        source_topic: str = "probe-results",
    ) -> None:
        self.contract = contract
        self.config_for = config_for
        self.source_topic = source_topic
        # site → calendar generation last compared (a cache: rebuilt after a restart)
        self._checked: dict[str, int] = {}

    def process(
        self,
        record: SiteRecord,
        results: Iterable[tuple[CheckResult, str, int]],
        now: datetime,
        calendar: Calendar,
        out: Outputs,
    ) -> None:
        """Apply ``(result, partition, offset)`` triples in arrival order.

        A result at or below the record's last applied offset for its partition was applied
        before a crash and is skipped, so a replay after recovery emits nothing twice.
        """
        config = self.config_for(record.detector.site)
        dirty: set[str] = set()
        for result, partition, offset in results:
            if offset <= record.offsets.get(partition, -1):
                continue
            record.offsets[partition] = offset
            _, events = step(record.detector, result, now, config)
            source = f"{self.source_topic}/{partition}/{offset}"
            self._route(record, events, now, calendar, out, dirty, source)
        last = record.detector.max_seen
        if last is not None:
            for month in months_touching(from_us(last), from_us(last), self.contract.timezone):
                if month not in record.ledger_versions:
                    dirty.add(month)
        self._check_calendar(record, calendar, dirty, out)
        self._emit_ledger(record, calendar, dirty, now, out)
        self._prune(record)

    def tick(self, record: SiteRecord, now: datetime, calendar: Calendar, out: Outputs) -> bool:
        """Flush an idle site's buffer and apply calendar changes; whether anything changed."""
        before = out.count()
        dirty: set[str] = set()
        _, events = flush(record.detector, now, self.config_for(record.detector.site))
        self._route(record, events, now, calendar, out, dirty, self.source_topic)
        self._check_calendar(record, calendar, dirty, out)
        self._emit_ledger(record, calendar, dirty, now, out)
        return bool(events) or out.count() > before

    # --- internals ---------------------------------------------------------------------

    def _horizon(self, record: SiteRecord) -> datetime | None:
        """Outages that ended before this instant are forgotten (None: keep everything)."""
        if record.detector.max_seen is None:
            return None
        return from_us(record.detector.max_seen) - STATE_RETENTION

    def _prune(self, record: SiteRecord) -> None:
        """Forget outages (and their segments) older than the retention: the state stays small."""
        horizon = self._horizon(record)
        if horizon is None or not record.closed or record.closed[0].end >= horizon:
            return
        keep = [o for o in record.closed if o.end >= horizon]
        for outage in record.closed[: len(record.closed) - len(keep)]:
            record.segments.pop(outage.id, None)
        record.closed = keep
        first_kept = months_touching(horizon, horizon, self.contract.timezone)[0]
        record.ledger_versions = {
            m: v for m, v in record.ledger_versions.items() if m >= first_kept
        }

    def _route(
        self,
        record: SiteRecord,
        events: list[Any],
        now: datetime,
        calendar: Calendar,
        out: Outputs,
        dirty: set[str],
        source: str,
    ) -> None:
        site = record.detector.site
        for event in events:
            if isinstance(event, Outage):
                out.outages.append((_key(site), _json(event)))
                if event.state is OutageState.CLOSED and event.end is not None:
                    closed = ClosedOutage(
                        event.id, site, event.start, event.end, event.classification
                    )
                    record.closed.append(closed)
                    self._segment(record, closed, calendar, out, dirty)
            elif isinstance(event, SiteStatus):
                out.status.append((_key(site), _json(event)))
            elif isinstance(event, Late):
                late = LateResult(
                    id=event.result.id,
                    site=site,
                    result=event.result,
                    watermark=event.watermark,
                    reason=event.reason,
                    received_at=now,
                )
                out.late.append((_key(site), _json(late)))
            elif isinstance(event, Rejected):
                out.dead.append((_key(site), _rejected(event, now, source)))

    def _segment(
        self,
        record: SiteRecord,
        outage: ClosedOutage,
        calendar: Calendar,
        out: Outputs,
        dirty: set[str],
    ) -> None:
        windows, exclusions = calendar.for_site(outage.site)
        previous = record.segments.get(outage.id, {})
        current, emit = reconcile(outage, previous, segment(outage, windows, exclusions))
        record.segments[outage.id] = current
        for seg in emit:
            out.segments.append((_key(seg.id), _json(seg)))
        if emit or not previous:
            dirty.update(months_touching(outage.start, outage.end, self.contract.timezone))

    def _check_calendar(
        self, record: SiteRecord, calendar: Calendar, dirty: set[str], out: Outputs
    ) -> None:
        """Re-segment and mark months dirty when the site's maintenance/exclusions changed."""
        site = record.detector.site
        if self._checked.get(site) == calendar.generation:
            return
        self._checked[site] = calendar.generation
        windows, exclusions = calendar.for_site(record.detector.site)
        signatures = {_signature(item): [to_us(item.start), to_us(item.end)] for item in windows}
        signatures |= {
            _signature(item): [to_us(item.start), to_us(item.end)] for item in exclusions
        }
        if signatures == record.calendar:
            return
        changed = set(signatures) ^ set(record.calendar)
        spans = [signatures.get(s) or record.calendar[s] for s in changed]
        record.calendar = signatures
        for start, end in spans:
            dirty.update(months_touching(from_us(start), from_us(end), self.contract.timezone))
        # Only outages that overlap a changed window can change; re-segmenting is cheap.
        for outage in record.closed:
            o_start, o_end = to_us(outage.start), to_us(outage.end)
            if any(start < o_end and o_start < end for start, end in spans):
                self._segment(record, outage, calendar, out, dirty)

    def _emit_ledger(
        self,
        record: SiteRecord,
        calendar: Calendar,
        dirty: set[str],
        now: datetime,
        out: Outputs,
    ) -> None:
        if not dirty:
            return
        site = record.detector.site
        windows, exclusions = calendar.for_site(site)
        horizon = self._horizon(record)
        if horizon is not None:
            # The horizon's month (and those before) may have lost outages: never recompute.
            zone = self.contract.timezone
            current = months_touching(horizon, horizon, zone)[0]
            after = month_interval(current, zone).end
            oldest = months_touching(after, after, zone)[0]
            dirty = {m for m in dirty if m >= oldest}
        # The version is the processing time in ms (or one more than the last): it grows
        # across restarts and re-computations, so "the latest version wins" holds even when
        # a crash replays a batch.
        now_ms = to_us(now) // 1000
        for month in sorted(dirty):
            version = max(record.ledger_versions.get(month, 0) + 1, now_ms)
            record.ledger_versions[month] = version
            row = ledger_row(
                self.contract, site, month, record.closed, windows, exclusions, version, now
            )
            out.ledger.append((_key(f"{site}|{month}"), _json(row)))


def _signature(item: MaintenanceEvent | ExclusionEvent) -> str:
    """What identifies a calendar item's effect on segments (id, bounds, reason)."""
    if isinstance(item, MaintenanceEvent):
        return f"m|{item.id}|{item.start.isoformat()}|{item.end.isoformat()}"
    return f"x|{exclusion_id(item)}|{item.reason}|{item.start.isoformat()}|{item.end.isoformat()}"


def _rejected(event: Rejected, now: datetime, source: str) -> bytes:
    letter = DeadLetter(
        source=source,
        key=event.result.site,
        reason=event.reason,
        value=event.result.model_dump_json(),
        received_at=now,
    )
    return _json(letter)
