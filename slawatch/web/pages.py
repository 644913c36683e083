"""The status pages, rendered on the server (they work without JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence

from probes.sites import Client
from slawatch.web import format as fmt
from slawatch.web.components import (
    day_bars,
    layout,
    maintenance_table,
    overall_banner,
    regions_table,
    response_chart,
    site_card,
    state_badge,
    when,
)
from slawatch.web.html import Html, html, join
from slawatch.web.service import MaintenanceView, OutageView, SiteDetail, SiteSummary


def overview_page(
    summaries: Sequence[SiteSummary],
    maintenance: Sequence[MaintenanceView],
    target_pct: float,
    live_interval_s: float = 30.0,
) -> Html:
    """The public overview: every public site's state, month and 90 days; maintenance."""
    cards = join(site_card(s, target_pct, None) for s in summaries)
    windows = Html("")
    if maintenance:
        windows = join(
            [
                html("<h2>Maintenance</h2>"),
                maintenance_table(maintenance, "Ongoing and upcoming maintenance"),
            ]
        )
    return layout(
        "Service status",
        join([overall_banner(summaries), cards, windows]),
        live_url="/api/v1/status",
        live_interval_s=live_interval_s,
    )


def client_page(
    client: Client,
    summaries: Sequence[SiteSummary],
    maintenance: Sequence[MaintenanceView],
    target_pct: float,
    token: str | None,
    live_interval_s: float = 30.0,
) -> Html:
    """A client's page: only that client's sites (all of them with the token)."""
    base = f"/clients/{fmt.path_id(client.id)}"
    cards = join(site_card(s, target_pct, token) for s in summaries)
    body = join(
        [
            overall_banner(summaries),
            cards,
            html("<h2>Maintenance</h2>"),
            maintenance_table(maintenance, "Ongoing and upcoming maintenance"),
        ]
    )
    return layout(
        f"Status for {client.name or client.id}",
        body,
        live_url=fmt.link(f"/api/v1{base}/status", token),
        live_interval_s=live_interval_s,
        feed_url=fmt.link(f"{base}/feed.atom", token),
    )


def _ledger_table(detail: SiteDetail) -> Html:
    ledger = detail.summary.ledger
    if ledger is None:
        return html('<p class="empty">No figures for {month} yet.</p>', month=detail.month)
    met = "—" if ledger.met is None else ("met" if ledger.met else "missed")
    rows = [
        ("T, minutes in the month", fmt.ledger_minutes(ledger.total_minutes)),
        ("M, maintenance", fmt.ledger_minutes(ledger.maintenance_minutes)),
        ("D, downtime", fmt.ledger_minutes(ledger.downtime_minutes)),
        ("Excluded (not the vendor's)", fmt.ledger_minutes(ledger.excluded_minutes)),
        ("A = (T − M − D) / (T − M)", fmt.pct(ledger.availability_pct)),
        ("Target", f"{fmt.target(ledger.target_pct)} ({met})"),
        ("Downtime budget left", fmt.ledger_minutes(ledger.budget_left_minutes)),
    ]
    month = detail.summary.month
    if month is not None and month.includes_ongoing:
        ongoing = detail.summary.ongoing_downtime_minutes
        rows += [
            ("Ongoing outage so far (not in the ledger yet)", fmt.ledger_minutes(ongoing)),
            ("A including it", f"{fmt.pct(month.availability_pct)} ({fmt.met(month.met)})"),
            ("Budget left including it", fmt.ledger_minutes(month.budget_left_minutes)),
        ]
    body = join(html('<tr><th scope="row">{k}</th><td>{v}</td></tr>', k=k, v=v) for k, v in rows)
    return html(
        '<table class="ledger"><caption>Ledger for {month} (computed {at})</caption>'
        "<tbody>{body}</tbody></table>",
        month=detail.month,
        at=fmt.instant(ledger.computed_at),
        body=body,
    )


def _outages_table(outages: Sequence[OutageView]) -> Html:
    if not outages:
        return Html('<p class="empty">No outages this month.</p>')

    def breakdown(view: OutageView) -> str:
        parts = [f"{label} {fmt.minutes(m)}" for label, m in sorted(view.minutes_by_label.items())]
        if view.exclusion_reasons:
            parts.append(
                "reason: " + ", ".join(r.replace("_", " ") for r in view.exclusion_reasons)
            )
        return "; ".join(parts) or "not classified yet"

    rows = join(
        html(
            "<tr><td>{start}</td><td>{end}</td><td>{duration}</td><td>{cls}</td>"
            "<td>{breakdown}</td><td>{regions}</td></tr>",
            start=when(v.outage.start),
            end=Html("ongoing") if v.outage.end is None else when(v.outage.end),
            duration=fmt.minutes(v.duration_minutes),
            cls=v.outage.classification.replace("_", " "),
            breakdown=breakdown(v),
            regions=", ".join(v.outage.regions_down) or "—",
        )
        for v in outages
    )
    return html(
        '<div class="table-wrap"><table><caption>Outages this month</caption><thead><tr>'
        '<th scope="col">Started</th><th scope="col">Ended</th><th scope="col">Duration</th>'
        '<th scope="col">Classification</th><th scope="col">Counted as</th>'
        '<th scope="col">Regions down</th></tr></thead><tbody>{rows}</tbody></table></div>',
        rows=rows,
    )


def site_page(detail: SiteDetail, token: str | None, live_interval_s: float = 30.0) -> Html:
    """A site's page: ledger, outages, response times, regions, maintenance, 90 days."""
    summary = detail.summary
    site = summary.site
    body = html(
        """<div class="site" data-site="{id}">
<p class="site-state">{badge} <span class="since">since {since}</span></p>
<p class="meta">Client <a href="{client_href}">{client}</a> ·
{kind} check of <code>{target}</code> every {interval:g} s</p>
{bars}
</div>
<h2>This month</h2>
{ledger}
<h2>Outages</h2>
{outages}
<h2>Response time, last 24 hours</h2>
{chart}
<h2>Regions</h2>
{regions}
<h2>Maintenance</h2>
{maintenance}""",
        id=site.id,
        badge=state_badge(summary.state),
        since=when(summary.since),
        client=site.client,
        client_href=fmt.link(f"/clients/{fmt.path_id(site.client)}", token),
        kind=site.kind.upper(),
        target=site.target,
        interval=site.interval_s,
        bars=day_bars(summary.days),
        ledger=_ledger_table(detail),
        outages=_outages_table(detail.outages),
        chart=response_chart(detail.response_times, detail.chart_start, detail.chart_end),
        regions=regions_table(detail.regions),
        maintenance=maintenance_table(detail.maintenance, "Ongoing and upcoming maintenance"),
    )
    return layout(
        site.name or site.id,
        body,
        live_url=fmt.link(f"/api/v1/sites/{fmt.path_id(site.id)}/status", token),
        live_interval_s=live_interval_s,
    )


def maintenance_page(views: Sequence[MaintenanceView]) -> Html:
    """Ongoing and upcoming maintenance on public sites."""
    ongoing = [v for v in views if v.ongoing]
    upcoming = [v for v in views if not v.ongoing]
    body = join(
        [
            html(
                '<p class="explain">Scheduled windows were announced with the contract\'s notice;'
                " emergency windows with less; regular windows are the recurring ones."
                " Maintenance time is not counted as downtime.</p>"
            ),
            html("<h2>Ongoing</h2>"),
            maintenance_table(ongoing, "Ongoing maintenance"),
            html("<h2>Upcoming</h2>"),
            maintenance_table(upcoming, "Upcoming maintenance"),
        ]
    )
    return layout("Maintenance", body)


def api_page() -> Html:
    """A short human index of the JSON API."""
    endpoints = [
        ("/api/v1/sites", "public sites: state, month's availability, 90 days"),
        ("/api/v1/sites/{id}", "one site: ledger, outages, regions, response times"),
        ("/api/v1/sites/{id}/status", "one site's live state (small, for polling)"),
        ("/api/v1/status", "every public site's live state (small, for polling)"),
        ("/api/v1/clients/{id}", "a client's sites (private clients: token)"),
        ("/api/v1/clients/{id}/status", "a client's live states"),
        ("/api/v1/maintenance", "ongoing and upcoming maintenance"),
        ("/api/openapi.json", "the OpenAPI 3 description of all of the above"),
    ]
    items = join(
        html("<li><code>GET {path}</code>: {text}</li>", path=p, text=t) for p, t in endpoints
    )
    body = html(
        "<p>Read-only JSON. Private data needs the client's token, as <code>?token=</code> or"
        " an <code>Authorization: Bearer</code> header.</p><ul>{items}</ul>"
        '<p><a href="/api/openapi.json">OpenAPI document</a></p>',
        items=items,
    )
    return layout("JSON API", body)


def error_page(status: int, title: str, text: str) -> Html:
    """A plain error page (no stack trace, no hint whether a private id exists)."""
    return layout(
        title,
        html('<p>{text}</p><p><a href="/">Back to the overview</a></p>', text=text),
    )
