"""Reusable pieces of the pages: layout, state badges, uptime bars, tables, the chart.

All markup goes through :func:`slawatch.web.html.html`, which escapes every value.
No inline scripts or ``style`` attributes: the Content-Security-Policy forbids them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sla.model import SiteState
from slawatch.web import format as fmt
from slawatch.web.html import Html, escape, html, join
from slawatch.web.repository import RegionCheck, ResponsePoint
from slawatch.web.service import DayBar, MaintenanceView, SiteSummary

NAV = (("/", "Overview"), ("/maintenance", "Maintenance"), ("/feed.atom", "Feed"), ("/api", "API"))


def layout(
    title: str,
    body: Html,
    *,
    live_url: str | None = None,
    live_interval_s: float = 30.0,
    feed_url: str = "/feed.atom",
) -> Html:
    """A whole page: head, navigation, ``body`` in ``<main>``, footer.

    ``live_url`` is the JSON the page's script polls every ``live_interval_s`` seconds.
    """
    nav = join(
        html('<li><a href="{href}">{label}</a></li>', href=href, label=label) for href, label in NAV
    )
    live = Html("")
    if live_url:
        live = html(
            ' data-live="{url}" data-live-interval="{s:g}"', url=live_url, s=live_interval_s
        )
    return html(
        """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · slawatch status</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="alternate" type="application/atom+xml" title="Incidents and maintenance" href="{feed}">
<script src="/static/app.js" defer></script>
</head>
<body{live}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><p class="brand"><a href="/">slawatch status</a></p>
<nav aria-label="Main"><ul>{nav}</ul></nav></header>
<main id="main" tabindex="-1">
<h1>{title}</h1>
{body}
</main>
<footer><p>Times are UTC. <span class="live-note" id="live-status" role="status"
aria-live="polite">Figures as of page load.</span></p></footer>
</body>
</html>
""",
        title=title,
        feed=feed_url,
        live=live,
        nav=nav,
        body=body,
    )


def when(instant: datetime | None) -> Html:
    """An instant as a ``<time>`` element; it may wrap between the date and the time only."""
    if instant is None:
        return Html("—")
    return html(
        '<time datetime="{iso}"><span class="nw">{day}</span> <span class="nw">{hm} UTC</span>'
        "</time>",
        iso=instant.isoformat().replace("+00:00", "Z"),
        day=f"{instant:%Y-%m-%d}",
        hm=f"{instant:%H:%M}",
    )


def state_badge(state: SiteState) -> Html:
    """The state as a coloured badge with its word (colour is never the only cue)."""
    return html(
        '<span class="state state-{state}" data-field="state">{label}</span>',
        state=state.value,
        label=fmt.STATE_LABELS[state],
    )


def _bar_class(bar: DayBar) -> str:
    value = bar.availability_pct
    if value is None:
        return "none"
    if value >= 100:
        return "full"
    if value >= 99.9:
        return "high"
    if value >= 99:
        return "mid"
    return "low"


def day_bars(days: Sequence[DayBar]) -> Html:
    """The 90-day uptime bars; each day is focusable and its tooltip says what happened."""
    if not days:
        return Html("")
    items = []
    for bar in days:
        if bar.availability_pct is None:
            text = f"{bar.day.isoformat()}: no data"
        else:
            text = (
                f"{bar.day.isoformat()}: {fmt.pct(bar.availability_pct)}, "
                f"{fmt.minutes(bar.downtime_minutes)} down, "
                f"{fmt.minutes(bar.maintenance_minutes)} in maintenance"
            )
        # 90 bars per site: a plain f-string (still escaped) keeps big overviews fast.
        items.append(
            f'<li class="bar bar-{_bar_class(bar)}" tabindex="0">'
            f'<span class="tip">{escape(text)}</span></li>'
        )
    first, last = days[0].day, days[-1].day
    return html(
        '<div class="bars-wrap"><ol class="bars" aria-label="Uptime per day, {first} to {last}">'
        '{items}</ol><p class="bars-legend"><span>{days} days ago</span><span>today</span></p>'
        "</div>",
        first=f"{first:%Y-%m-%d}",
        last=f"{last:%Y-%m-%d}",
        items=Html("".join(items)),
        days=len(days),
    )


def site_card(summary: SiteSummary, target_pct: float, token: str | None) -> Html:
    """One site on an overview or client page."""
    site = summary.site
    month = summary.month
    availability = month.availability_pct if month else None
    met = fmt.met(month.met if month else None)
    ongoing = month is not None and month.includes_ongoing
    return html(
        """<section class="site" data-site="{id}" aria-labelledby="site-{id}">
<div class="site-head"><h2 id="site-{id}"><a href="{href}">{name}</a></h2>{badge}</div>
<p class="figures">This month: <strong data-field="availability">{availability}</strong>
<span class="target">target {target}</span> <span class="met met-{met}"
data-field="met">{met}</span> <span class="ongoing" data-field="ongoing">{ongoing}</span></p>
{bars}
</section>""",
        id=site.id,
        href=fmt.link(f"/sites/{fmt.path_id(site.id)}", token),
        name=site.name or site.id,
        badge=state_badge(summary.state),
        availability=fmt.pct(availability),
        target=fmt.target(target_pct),
        met=met,
        ongoing="(so far, with the ongoing outage)" if ongoing else "",
        bars=day_bars(summary.days),
    )


def overall_banner(summaries: Sequence[SiteSummary]) -> Html:
    """One sentence about all sites together."""
    down = sum(1 for s in summaries if s.state is SiteState.DOWN)
    degraded = sum(1 for s in summaries if s.state is SiteState.DEGRADED)
    maintenance = sum(1 for s in summaries if s.state is SiteState.MAINTENANCE)
    if not summaries:
        text, cls = "No sites to show.", "unknown"
    elif down:
        text, cls = f"{down} of {len(summaries)} sites down.", "down"
    elif degraded:
        text, cls = f"{degraded} of {len(summaries)} sites degraded.", "degraded"
    elif maintenance:
        text, cls = f"{maintenance} of {len(summaries)} sites in maintenance.", "maintenance"
    else:
        text, cls = "All sites operational.", "up"
    return html('<p class="banner banner-{cls}" data-field="banner">{text}</p>', cls=cls, text=text)


def maintenance_table(views: Sequence[MaintenanceView], caption: str) -> Html:
    """Maintenance windows with kind, times, sites and notice."""
    if not views:
        return html('<p class="empty">{caption}: none.</p>', caption=caption)
    rows = join(
        html(
            "<tr><td>{title}</td><td><span class='kind kind-{kind}'>{kind}</span></td>"
            "<td>{start}</td><td>{end}</td><td>{sites}</td><td>{announced}<br>"
            '<span class="notice">{notice}</span></td><td>{impact}</td></tr>',
            notice=_notice(v.notice_business_days),
            title=v.event.title or v.event.id,
            kind=v.kind.value,
            start=when(v.event.start),
            end=when(v.event.end),
            sites=", ".join(site.name or site.id for site in v.sites),
            announced=when(v.event.announced_at),
            impact=v.event.impact or "—",
        )
        for v in views
    )
    return html(
        '<div class="table-wrap"><table><caption>{caption}</caption><thead><tr>'
        '<th scope="col">Window</th><th scope="col">Kind</th><th scope="col">Starts</th>'
        '<th scope="col">Ends</th><th scope="col">Sites</th><th scope="col">Announced</th>'
        '<th scope="col">Impact</th></tr></thead><tbody>{rows}</tbody></table></div>',
        caption=caption,
        rows=rows,
    )


def _notice(days: int) -> str:
    return f"{days} business day{'s' if days != 1 else ''} of notice"


def regions_table(regions: Sequence[RegionCheck]) -> Html:
    """The latest check from each region."""
    if not regions:
        return Html('<p class="empty">No checks in the last day.</p>')
    rows = join(
        html(
            '<tr data-region="{region}"><th scope="row">{region}</th>'
            '<td><span class="state state-{outcome}" data-field="outcome">{outcome}</span></td>'
            "<td>{error}</td><td>{ms}</td><td>{at}</td></tr>",
            region=r.region,
            outcome=r.outcome.value,
            error=r.error_kind or "—",
            ms="—" if r.total_ms is None else f"{r.total_ms:.0f} ms",
            at=when(r.started_at),
        )
        for r in regions
    )
    return html(
        '<div class="table-wrap"><table><caption>Latest check per region</caption><thead><tr>'
        '<th scope="col">Region</th><th scope="col">Result</th><th scope="col">Error</th>'
        '<th scope="col">Response time</th><th scope="col">Checked</th></tr></thead>'
        "<tbody>{rows}</tbody></table></div>",
        rows=rows,
    )


CHART_W, CHART_H, PAD_L, PAD_B = 640, 220, 48, 24


def response_chart(points: Sequence[ResponsePoint], start: datetime, end: datetime) -> Html:
    """Median response time per region over ``[start, end)`` as an inline SVG line chart.

    A table with the same numbers follows in a ``<details>`` element (screen readers, no SVG).
    """
    if not points:
        return Html('<p class="empty">No response times in the last 24 hours.</p>')
    start_label, end_label = fmt.instant(start), fmt.instant(end)
    span = max((end - start).total_seconds(), 1.0)
    top = max(p.p50_ms for p in points) * 1.1 or 1.0
    regions = sorted({p.region for p in points})
    lines = []
    for index, region in enumerate(regions):
        width = CHART_W - PAD_L - 8
        coords = " ".join(
            f"{PAD_L + (p.bucket_start - start).total_seconds() / span * width:.1f},"
            f"{(CHART_H - PAD_B) * (1 - p.p50_ms / top) + 4:.1f}"
            for p in points
            if p.region == region
        )
        lines.append(
            html(
                '<polyline class="series series-{i}" points="{coords}"><title>{region}</title>'
                "</polyline>",
                i=index % 6,
                coords=coords,
                region=region,
            )
        )
    legend = join(
        html('<li><span class="swatch series-{i}"></span>{region}</li>', i=i % 6, region=region)
        for i, region in enumerate(regions)
    )
    rows = join(
        html(
            "<tr><td>{at}</td><td>{region}</td><td>{p50:.0f} ms</td><td>{p95:.0f} ms</td>"
            "<td>{n}</td></tr>",
            at=when(p.bucket_start),
            region=p.region,
            p50=p.p50_ms,
            p95=p.p95_ms,
            n=p.checks,
        )
        for p in points
    )
    return html(
        """<figure class="chart">
<svg viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title">
<title id="chart-title">Median response time per region, {start} to {end},
up to {top:.0f} ms</title>
<line class="axis" x1="{pl}" y1="4" x2="{pl}" y2="{base}"></line>
<line class="axis" x1="{pl}" y1="{base}" x2="{w}" y2="{base}"></line>
<text class="tick" x="{tx}" y="14" text-anchor="end">{top:.0f} ms</text>
<text class="tick" x="{tx}" y="{base}" text-anchor="end">0</text>
<text class="tick" x="{pl}" y="{label_y}">{start}</text>
<text class="tick" x="{w}" y="{label_y}" text-anchor="end">{end}</text>
{lines}
</svg>
<figcaption><ul class="legend">{legend}</ul></figcaption>
</figure>
<details><summary>Response times as a table</summary><div class="table-wrap"><table>
<thead><tr><th scope="col">From</th><th scope="col">Region</th><th scope="col">Median</th>
<th scope="col">95th percentile</th><th scope="col">Checks</th></tr></thead>
<tbody>{rows}</tbody></table></div></details>""",
        w=CHART_W,
        h=CHART_H,
        pl=PAD_L,
        tx=PAD_L - 4,
        label_y=CHART_H - 6,
        base=CHART_H - PAD_B + 4,
        top=top,
        start=start_label,
        end=end_label,
        lines=join(lines),
        legend=legend,
        rows=rows,
    )
