"""Pure arithmetic on what the benchmark observed: rates, lag series, latency percentiles."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from benchmarks.pipeline.observe import OffsetSample


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (``pct`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _nearest(samples: Sequence[OffsetSample], at: float) -> OffsetSample:
    return min(samples, key=lambda s: abs(s.at - at))


def stage_rates(
    samples: Sequence[OffsetSample], start: float, end: float, stages: Sequence[str]
) -> dict[str, float | None]:
    """Results/s published and committed by each stage between the samples nearest to
    ``start`` and ``end`` (None with fewer than two distinct samples)."""
    if len(samples) < 2:
        return {"published": None, **dict.fromkeys(stages)}
    first, last = _nearest(samples, start), _nearest(samples, end)
    seconds = last.at - first.at
    if seconds <= 0:
        return {"published": None, **dict.fromkeys(stages)}
    rates: dict[str, float | None] = {"published": (last.produced - first.produced) / seconds}
    for stage in stages:
        done = last.committed.get(stage, 0) - first.committed.get(stage, 0)
        rates[stage] = done / seconds
    return rates


def lag_series(
    samples: Sequence[OffsetSample], origin: float, stages: Sequence[str]
) -> list[dict[str, float | int]]:
    """One point per sample: seconds since ``origin`` and each stage's lag (results)."""
    return [
        {"t_s": round(s.at - origin, 1), **{stage: s.lag(stage) for stage in stages}}
        for s in samples
    ]


def latencies(down_at: float, seen: Mapping[str, float], sites: Sequence[str]) -> dict[str, Any]:
    """Seconds from ``down_at`` to the event seen for each of ``sites``: p50/p95/max."""
    delays = [seen[site] - down_at for site in sites if site in seen]
    p50, p95 = percentile(delays, 50), percentile(delays, 95)
    return {
        "sites_down": len(sites),
        "sites_seen": len(delays),
        "p50_s": None if p50 is None else round(p50, 1),
        "p95_s": None if p95 is None else round(p95, 1),
        "max_s": round(max(delays), 1) if delays else None,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pair(figures: Mapping[str, Any], first: str, second: str) -> str:
    return f"{_cell(figures[first])} / {_cell(figures[second])}"


def _process_cell(proc: Mapping[str, Any]) -> str:
    cpu = "–" if proc.get("cpu_pct") is None else f"{proc['cpu_pct']:.0f} %"
    per_result = proc.get("cpu_ms_per_result")
    return f"{proc['peak_rss_mib']:.0f} MiB, {cpu}, {_cell(per_result)}"


def markdown_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """A README-ready table, one column per run (each a :func:`run` result)."""
    rows: list[tuple[str, Callable[[Mapping[str, Any]], Any]]] = [
        ("sites × regions", lambda r: f"{r['sites']:,} × {r['regions']}"),
        ("check interval / stream grace (s)", lambda r: f"{r['interval_s']:g} / {r['grace_s']:g}"),
        ("probe workers / stream workers", lambda r: _pair(r, "probe_workers", "stream_workers")),
        ("offered checks/s", lambda r: r["offered_checks_per_s"]),
        ("probes published results/s", lambda r: r["rates_per_s"]["published"]),
        ("stream consumed results/s", lambda r: r["rates_per_s"]["stream"]),
        ("sink wrote results/s", lambda r: r["rates_per_s"]["sink"]),
        ("stream lag max / end", lambda r: _pair(r["lag"], "stream_max", "stream_end")),
        ("sink lag max / end", lambda r: _pair(r["lag"], "sink_max", "sink_end")),
        ("down → `outages` p50 / p95 (s)", lambda r: _pair(r["latency_outage"], "p50_s", "p95_s")),
        ("down → `alerts` p50 / p95 (s)", lambda r: _pair(r["latency_alert"], "p50_s", "p95_s")),
        ("outages seen / sites down", lambda r: _pair(r["latency_outage"], "sites_seen", "sites_down")),  # noqa: E501
        ("false outages (sites not taken down)", lambda r: r["outages_opened_for_other_sites"]),
        ("rows stored / published", lambda r: _pair(r["store"], "probe_results_rows", "published_total")),  # noqa: E501
    ]  # fmt: skip
    components = sorted({name for r in runs for name in r["processes"]})
    header = "| | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |"
    lines = [header, "|---" * (len(runs) + 1) + "|"]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(_cell(get(r)) for r in runs) + " |")
    for name in components:
        cells = []
        for r in runs:
            proc = r["processes"].get(name)
            cells.append("–" if proc is None else _process_cell(proc))
        lines.append(f"| {name}: peak RSS, CPU share, CPU ms/result | " + " | ".join(cells) + " |")
    return "\n".join(lines)
