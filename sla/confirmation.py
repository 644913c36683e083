"""Outage confirmation across probe regions, in event time (pure: no I/O, no clock).

The detector has the bytewax windower's shape: a :class:`ConfirmationConfig`, an explicit
:class:`DetectorState` per site, and pure functions :func:`step` (one check result in) and
:func:`flush` (processing time moved on) that return the new state and the events to emit.
The stream keeps one ``DetectorState`` per site in a changelog-backed table; tests build it
from plain data.

Rules (per site):

* A region **votes down** after ``down_after`` consecutive failed checks and **up** again
  after ``up_after`` consecutive successes (``degraded`` counts as a success: degraded time
  is never downtime).
* A region whose last result had ``reference_ok`` false is **unhealthy** (its own network
  is broken): its votes do not count.
* The site is **down** while at least a quorum (default: more than half) of its healthy
  regions vote down. If fewer than ``min_healthy_regions`` healthy regions remain, every
  region's vote counts instead and a confirmed interval is classified
  ``internet_systemic`` (excluded time, not downtime).
* **Event time**: an outage starts at the first failed check of the vote that completed the
  quorum (the quorum-th earliest start of the down votes) and ends at the first successful
  check of the vote that broke it.
* **Order**: results are buffered by event time and applied below a watermark (the latest
  event time seen minus ``grace``), so results reordered by less than the grace give exactly
  the intervals of the same results sorted by time. A result older than the watermark is
  reported as :class:`Late` (not applied); one stamped more than ``grace`` after the
  processing time is :class:`Rejected` (clock skew).

Internally instants are integer microseconds since the epoch (UTC): cheap to compare and
to serialise in the per-site state.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sla.model import CheckResult, Outage, OutageState, SiteState, SiteStatus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

QuorumRule = Literal["majority", "all", "any"]


def to_us(instant: datetime) -> int:
    """A tz-aware instant as integer microseconds since the Unix epoch."""
    return (instant - _EPOCH) // _US


def from_us(micros: int) -> datetime:
    """Integer microseconds since the Unix epoch as a UTC datetime."""
    return _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True)
class ConfirmationConfig:
    """How results become confirmed outages (per site; defaults are the contract's)."""

    down_after: int = 2
    up_after: int = 1
    quorum: QuorumRule = "majority"
    min_healthy_regions: int = 1
    grace: timedelta = timedelta(seconds=60)
    idle_flush: timedelta | None = None  # None: the grace
    # The regions expected to check the site; one that has not reported yet counts as a
    # healthy region voting up (so the first region to report cannot confirm alone).
    regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.down_after < 1 or self.up_after < 1:
            raise ValueError("down_after and up_after must be at least 1")
        if self.min_healthy_regions < 1:
            raise ValueError("min_healthy_regions must be at least 1")
        if self.grace < timedelta(0):
            raise ValueError("grace must not be negative")

    def needed(self, voters: int) -> int:
        """How many of ``voters`` regions must vote down for the site to be down."""
        if self.quorum == "all":
            return voters
        if self.quorum == "any":
            return 1
        return voters // 2 + 1


# --- state ---------------------------------------------------------------------------


@dataclass
class RegionVote:
    """One region's vote for one site."""

    healthy: bool = True
    down: bool = False
    streak_down: bool = False  # whether the current streak is of failures
    streak_len: int = 0
    streak_start: int = 0  # first check of the current streak (µs)
    vote_since: int = 0  # first check of the streak that flipped the vote (µs)
    degraded: bool = False  # the last result was degraded
    # Scheduled slot (µs) of the last applied check: a slot is one vote, even when a
    # rebalance between two workers of the region checked it twice.
    last_slot: int = -1

    def to_list(self) -> list[Any]:
        """Compact JSON form."""
        return [
            int(self.healthy),
            int(self.down),
            int(self.streak_down),
            self.streak_len,
            self.streak_start,
            self.vote_since,
            int(self.degraded),
            self.last_slot,
        ]

    @classmethod
    def from_list(cls, data: list[Any]) -> RegionVote:
        """Inverse of :meth:`to_list`."""
        h, d, sd, sl, ss, vs, dg, *rest = data
        return cls(bool(h), bool(d), bool(sd), sl, ss, vs, bool(dg), rest[0] if rest else -1)


@dataclass
class OpenOutage:
    """The site's currently confirmed outage."""

    start: int
    classification: str
    regions_down: list[str]
    version: int

    def to_list(self) -> list[Any]:
        """Compact JSON form."""
        return [self.start, self.classification, self.regions_down, self.version]

    @classmethod
    def from_list(cls, data: list[Any]) -> OpenOutage:
        """Inverse of :meth:`to_list`."""
        return cls(data[0], data[1], list(data[2]), data[3])


# A buffered check: (event time µs, region, outcome, reference_ok: 1/0/-1 for None,
# scheduled slot µs) — sortable, so equal results sort together and an exact redelivery
# is recognised.
Pending = tuple[int, str, str, int, int]


@dataclass
class DetectorState:
    """Everything the detector remembers about one site (JSON-serialisable)."""

    site: str
    client: str = ""
    regions: dict[str, RegionVote] = field(default_factory=dict)
    open: OpenOutage | None = None
    last_end: int | None = None  # end of the last closed outage (µs)
    status: str = SiteState.UNKNOWN.value
    status_version: int = 0
    buffer: list[Pending] = field(default_factory=list)
    max_seen: int | None = None
    watermark: int | None = None  # checks before this instant were applied (µs)
    last_arrival: int | None = None  # processing time of the last result (µs)
    late_count: int = 0
    rejected_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form (what the stream's table stores)."""
        return {
            "s": self.site,
            "c": self.client,
            "r": {name: vote.to_list() for name, vote in self.regions.items()},
            "o": None if self.open is None else self.open.to_list(),
            "le": self.last_end,
            "st": [self.status, self.status_version],
            "b": [list(p) for p in self.buffer],
            "w": [self.max_seen, self.watermark, self.last_arrival],
            "n": [self.late_count, self.rejected_count],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorState:
        """Inverse of :meth:`to_dict`."""
        return cls(
            site=data["s"],
            client=data["c"],
            regions={k: RegionVote.from_list(v) for k, v in data["r"].items()},
            open=None if data["o"] is None else OpenOutage.from_list(data["o"]),
            last_end=data["le"],
            status=data["st"][0],
            status_version=data["st"][1],
            buffer=[tuple(p) for p in data["b"]],
            max_seen=data["w"][0],
            watermark=data["w"][1],
            last_arrival=data["w"][2],
            late_count=data["n"][0],
            rejected_count=data["n"][1],
        )


# --- emitted events ------------------------------------------------------------------


@dataclass(frozen=True)
class Late:
    """A result older than the watermark: reported, counted, not applied."""

    result: CheckResult
    watermark: datetime
    reason: str


@dataclass(frozen=True)
class Rejected:
    """A result that cannot be applied (stamped too far in the future)."""

    result: CheckResult
    reason: str


Emitted = Outage | SiteStatus | Late | Rejected


def outage_id(site: str, start_us: int) -> str:
    """Deterministic outage id: the site and the confirmed start."""
    return f"{site}|{from_us(start_us).isoformat()}"


# --- the detector --------------------------------------------------------------------


def new_state(site: str) -> DetectorState:
    """The state of a site nothing is known about yet."""
    return DetectorState(site=site)


def step(
    state: DetectorState, result: CheckResult, now: datetime, config: ConfirmationConfig
) -> tuple[DetectorState, list[Emitted]]:
    """Take one check result (processing time ``now``); return the state and the events.

    The state object is updated in place (and returned) to keep the hot path cheap.
    """
    at = to_us(result.started_at)
    now_us = to_us(now)
    grace_us = config.grace // _US
    if at > now_us + grace_us:
        state.rejected_count += 1
        ahead = (at - now_us) / 1_000_000
        reason = (
            f"clock skew: started_at {result.started_at.isoformat()} is {ahead:.1f} s after "
            f"the processing time (more than the {grace_us / 1_000_000:g} s grace)"
        )
        return state, [Rejected(result, reason)]
    if state.watermark is not None and at < state.watermark:
        state.late_count += 1
        behind = (state.watermark - at) / 1_000_000
        reason = (
            f"late: started_at {result.started_at.isoformat()} is {behind:.1f} s before the "
            f"watermark {from_us(state.watermark).isoformat()}"
        )
        return state, [Late(result, from_us(state.watermark), reason)]
    state.client = result.client or state.client
    state.last_arrival = now_us
    ref = -1 if result.reference_ok is None else int(result.reference_ok)
    # Outcome is a StrEnum: the member is itself the string (cheaper than ``.value``).
    slot = to_us(result.scheduled_at)
    pending: Pending = (at, result.region, str.__str__(result.outcome), ref, slot)
    index = bisect.bisect_left(state.buffer, pending)
    if index == len(state.buffer) or state.buffer[index] != pending:
        state.buffer.insert(index, pending)  # an exact redelivery is dropped
    if state.max_seen is None or at > state.max_seen:
        state.max_seen = at
    return state, _release(state, state.max_seen - grace_us, config)


def flush(
    state: DetectorState, now: datetime, config: ConfirmationConfig
) -> tuple[DetectorState, list[Emitted]]:
    """Apply every buffered result if no result arrived for the idle time (default: grace).

    Called on a timer so that the last results of a site that went quiet are not held
    back forever. Afterwards, results older than the latest one seen are late.
    """
    idle = config.idle_flush if config.idle_flush is not None else config.grace
    if not state.buffer or state.last_arrival is None or state.max_seen is None:
        return state, []
    if to_us(now) - state.last_arrival < idle // _US:
        return state, []
    return state, _release(state, state.max_seen + 1, config)


def _release(state: DetectorState, watermark: int, config: ConfirmationConfig) -> list[Emitted]:
    if state.watermark is not None and watermark <= state.watermark:
        return []
    state.watermark = watermark
    cut = bisect.bisect_left(state.buffer, (watermark,))
    if cut == 0:
        return []
    ready, state.buffer = state.buffer[:cut], state.buffer[cut:]
    emitted: list[Emitted] = []
    for at, region, outcome, ref, *slot in ready:
        _apply(state, at, region, outcome, ref, slot[0] if slot else at, config, emitted)
    return emitted


def _vote(vote: RegionVote, at: int, failed: bool, config: ConfirmationConfig) -> bool:
    """Count one check into the region's streak; whether its vote flipped up."""
    if vote.streak_down != failed or vote.streak_len == 0:
        vote.streak_down = failed
        vote.streak_len = 0
        vote.streak_start = at
    vote.streak_len += 1
    if failed and not vote.down and vote.streak_len >= config.down_after:
        vote.down = True
        vote.vote_since = vote.streak_start
    elif not failed and vote.down and vote.streak_len >= config.up_after:
        vote.down = False
        vote.vote_since = vote.streak_start
        return True
    return False


def _apply(
    state: DetectorState,
    at: int,
    region: str,
    outcome: str,
    ref: int,
    slot: int,
    config: ConfirmationConfig,
    emitted: list[Emitted],
) -> None:
    vote = state.regions.get(region)
    if vote is None:
        vote = state.regions[region] = RegionVote()
        before: tuple[bool, bool, bool] | None = None
    else:
        if slot <= vote.last_slot:
            return  # this slot was already counted (checked twice across a rebalance)
        before = (vote.healthy, vote.down, vote.degraded)
    vote.last_slot = slot
    vote.healthy = ref != 0
    vote.degraded = outcome == "degraded"
    flipped_up = _vote(vote, at, outcome == "down", config)
    if before == (vote.healthy, vote.down, vote.degraded):
        return  # the site's verdict depends on nothing else: the common, fast case
    verdict = _verdict(state, config)
    _transition(state, at, verdict, vote.streak_start if flipped_up else at, emitted)
    _update_status(state, at, verdict, emitted)


@dataclass(frozen=True)
class _Verdict:
    down: bool
    degraded: bool
    classification: str
    regions_down: list[str]
    start: int  # only meaningful when down


_SILENT = RegionVote()


def _verdict(state: DetectorState, config: ConfirmationConfig) -> _Verdict:
    regions = state.regions
    if any(name not in regions for name in config.regions):
        regions = {name: _SILENT for name in config.regions} | regions
    healthy = {name: v for name, v in regions.items() if v.healthy}
    if len(healthy) >= config.min_healthy_regions:
        voters, classification = healthy, "downtime"
    else:
        voters, classification = regions, "internet_systemic"
    needed = config.needed(len(voters))
    downs = sorted(name for name, v in voters.items() if v.down)
    down = bool(voters) and len(downs) >= needed
    start = sorted(voters[name].vote_since for name in downs)[needed - 1] if down else 0
    degraded = not down and sum(v.degraded for v in voters.values()) >= max(needed, 1)
    return _Verdict(down, degraded, classification, downs, start)


def _transition(
    state: DetectorState, at: int, verdict: _Verdict, end_at: int, emitted: list[Emitted]
) -> None:
    current = state.open
    if current is None:
        if verdict.down:
            start = verdict.start if state.last_end is None else max(verdict.start, state.last_end)
            state.open = OpenOutage(start, verdict.classification, verdict.regions_down, 0)
            emitted.append(_outage(state, OutageState.OPENED, None))
        return
    if not verdict.down:
        _close(state, max(end_at, current.start), emitted)
        return
    if verdict.classification != current.classification:
        # The regions' own health changed mid-outage: split the interval at this check.
        _close(state, max(at, current.start), emitted)
        state.open = OpenOutage(
            max(at, current.start), verdict.classification, verdict.regions_down, 0
        )
        emitted.append(_outage(state, OutageState.OPENED, None))
    elif verdict.regions_down != current.regions_down:
        current.regions_down = verdict.regions_down
        current.version += 1
        emitted.append(_outage(state, OutageState.UPDATED, None))


def _close(state: DetectorState, end: int, emitted: list[Emitted]) -> None:
    assert state.open is not None
    state.open.version += 1
    emitted.append(_outage(state, OutageState.CLOSED, end))
    state.last_end = end
    state.open = None


def _outage(state: DetectorState, kind: OutageState, end: int | None) -> Outage:
    current = state.open
    assert current is not None
    return Outage(
        id=outage_id(state.site, current.start),
        site=state.site,
        client=state.client,
        state=kind,
        start=from_us(current.start),
        end=None if end is None else from_us(end),
        classification=current.classification,  # type: ignore[arg-type]
        regions_down=list(current.regions_down),
        version=current.version,
    )


def _update_status(
    state: DetectorState, at: int, verdict: _Verdict, emitted: list[Emitted]
) -> None:
    if verdict.down:
        new = SiteState.DOWN
    elif verdict.degraded:
        new = SiteState.DEGRADED
    else:
        new = SiteState.UP
    if new.value == state.status:
        return
    state.status = new.value
    state.status_version += 1
    since = state.open.start if verdict.down and state.open is not None else at
    emitted.append(
        SiteStatus(site=state.site, state=new, since=from_us(since), version=state.status_version)
    )
