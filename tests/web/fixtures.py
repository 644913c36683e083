"""Seeded store and configuration for the status-page tests.

One realistic month, pinned at ``NOW`` (2026-11-20 12:00 UTC, contract month 2026-11):

* ``shop`` (client acme, public): a 20-minute outage on 2026-11-18, a past maintenance
  window on 2026-11-15 and an upcoming scheduled one; up now.
* ``api`` (client acme, public): down now since 11:00 (an open outage, not segmented yet,
  whose last 10 minutes an exclusion covers), an earlier outage of which 10 minutes are
  excluded (client's ISP); an emergency window announced today.
* ``hostile`` (client globex, public): named ``<script>alert(1)</script>``; degraded.
* ``vault`` (client secretco, **private**, token ``VAULT_TOKEN``): in maintenance now.
* ``intranet`` (client acme, ``public: false``): only on acme's page with acme's token.

The ledger rows are what :func:`sla.availability.compute_site_month` gives for these events,
as the stream would have written them: without the open outage, which the page adds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client as ClickHouseClient
from pydantic import SecretStr

from probes.sites import Client, Site
from sla.availability import compute_site_month
from sla.contract import Contract
from slawatch.config import Settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MONTH = "2026-11"
VAULT_TOKEN = "s3cret-vault-token"
ACME_TOKEN = "acme-token"
HOSTILE_NAME = "<script>alert(1)</script>"


def t(text: str) -> datetime:
    """``"2026-11-18 10:00"`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def settings() -> Settings:
    """The configuration of the seeded clients and sites."""
    clients = [
        Client(id="acme", name="ACME Corp", token=SecretStr(ACME_TOKEN)),
        Client(id="globex", name="Globex"),
        Client(id="secretco", name="Secret Co", private=True, token=SecretStr(VAULT_TOKEN)),
    ]

    def site(id_: str, client: str, name: str, **extra: Any) -> Site:
        return Site(
            id=id_,
            client=client,
            name=name,
            kind="http",
            target=f"https://{id_}.example/health",
            **extra,
        )

    sites = [
        site("shop", "acme", "Web shop"),
        site("api", "acme", "Public API"),
        site("hostile", "globex", HOSTILE_NAME),
        site("vault", "secretco", "Vault"),
        site("intranet", "acme", "Intranet", public=False),
    ]
    return Settings(clients=clients, sites=sites)


# (id, site, state, start, end, classification, regions_down)
OUTAGES = [
    ("o-shop-1", "shop", "closed", t("2026-11-18 10:00"), t("2026-11-18 10:20"), ["eu-west"]),
    ("o-api-1", "api", "closed", t("2026-11-05 08:00"), t("2026-11-05 08:30"), ["eu-west"]),
    ("o-api-2", "api", "opened", t("2026-11-20 11:00"), None, ["eu-west", "us-east"]),
]

# (id, site, outage_id, label, reason, start, end)
SEGMENTS = [
    ("s1", "shop", "o-shop-1", "downtime", None, t("2026-11-18 10:00"), t("2026-11-18 10:20")),
    (
        "s2",
        "api",
        "o-api-1",
        "excluded",
        "client_isp",
        t("2026-11-05 08:00"),
        t("2026-11-05 08:10"),
    ),
    ("s3", "api", "o-api-1", "downtime", None, t("2026-11-05 08:10"), t("2026-11-05 08:30")),
]

# The stream segments an outage when it closes: the open o-api-2 has no segments yet, and
# the page classifies it itself: 11:00-11:50 downtime, 11:50-12:00 excluded by x1.
# (id, site, reason, start, end, note)
EXCLUSIONS = [
    ("x1", "api", "client_isp", t("2026-11-20 11:50"), t("2026-11-20 12:10"), "ISP outage"),
]

# (id, sites, start, end, announced_at, regular, cancelled, title, impact)
MAINTENANCE = [
    (
        "m0",
        ["shop"],
        t("2026-11-15 01:00"),
        t("2026-11-15 02:00"),
        t("2026-11-01 10:00"),
        False,
        False,
        "Database upgrade",
        "Checkout unavailable",
    ),
    (
        "m1",
        ["shop"],
        t("2026-11-23 02:00"),
        t("2026-11-23 04:00"),
        t("2026-11-10 10:00"),
        False,
        False,
        "Shop migration",
        "Read-only shop",
    ),
    (
        "m2",
        ["api"],
        t("2026-11-20 20:00"),
        t("2026-11-20 21:00"),
        t("2026-11-20 09:00"),
        False,
        False,
        "Emergency patch",
        "API unavailable",
    ),
    (
        "m3",
        ["vault"],
        t("2026-11-20 11:00"),
        t("2026-11-20 13:00"),
        t("2026-11-01 10:00"),
        False,
        False,
        "Vault upgrade",
        "Vault unavailable",
    ),
    (
        "m4",
        "*",
        t("2026-11-25 01:00"),
        t("2026-11-25 02:00"),
        t("2026-11-02 10:00"),
        True,
        False,
        "Weekly patching",
        "Short interruptions",
    ),
    (
        "m5",
        ["shop"],
        t("2026-11-21 01:00"),
        t("2026-11-21 02:00"),
        t("2026-11-01 10:00"),
        False,
        True,
        "Cancelled window",
        "",
    ),
]

STATES = {
    "shop": ("up", t("2026-11-18 10:20")),
    "api": ("down", t("2026-11-20 11:00")),
    "hostile": ("degraded", t("2026-11-20 09:00")),
    "vault": ("maintenance", t("2026-11-20 11:00")),
    "intranet": ("up", t("2026-11-01 00:00")),
}

REGIONS = ("eu-west", "us-east")
INTRANET_FIRST_CHECK = t("2026-11-18 08:00")  # added to monitoring two days ago


def ledger_rows(contract: Contract) -> list[dict[str, Any]]:
    """Each site's November figures as the stream writes them: closed outages only (an outage
    enters the ledger when it closes), maintenance begun by NOW."""
    rows = []
    for site in STATES:
        outages = [(o[3], o[4]) for o in OUTAGES if o[1] == site and o[4] is not None]
        windows = [
            (m[2], m[3])
            for m in MAINTENANCE
            if (m[1] == "*" or site in m[1]) and not m[6] and m[2] <= NOW
        ]
        exclusions = [(s[5], s[6]) for s in SEGMENTS if s[1] == site and s[3] == "excluded"]
        exclusions += [(x[3], x[4]) for x in EXCLUSIONS if x[1] == site]
        month = compute_site_month(contract, site, MONTH, outages, windows, exclusions)
        rows.append(
            {
                "site": site,
                "month": MONTH,
                "total_minutes": month.total_minutes,
                "maintenance_minutes": month.maintenance_minutes,
                "downtime_minutes": month.downtime_minutes,
                "excluded_minutes": month.excluded_minutes,
                "availability_pct": month.availability_float,
                "target_pct": float(contract.target_pct),
                "met": month.met,
                "budget_left_minutes": month.budget_left_minutes,
                "version": 3,
                "computed_at": NOW - timedelta(minutes=1),
            }
        )
    return rows


def _insert(client: ClickHouseClient, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    client.insert(table, [[row[c] for c in columns] for row in rows], column_names=columns)


def probe_rows() -> Iterator[dict[str, Any]]:
    """Checks every 5 minutes over the last 3 hours; one a day for 100 days before that,
    except ``intranet``, first checked at ``INTRANET_FIRST_CHECK``."""
    for site in STATES:
        for day in range(1, 101):
            at = NOW - timedelta(days=day, hours=4)
            if site != "intranet" or at >= INTRANET_FIRST_CHECK:
                yield _probe(site, "eu-west", at, "up", 150.0)
    for site in ("shop", "api", "vault"):
        for index, region in enumerate(REGIONS):
            for step in range(36):
                at = NOW - timedelta(minutes=5 * (36 - step))
                if site == "api" and at >= t("2026-11-20 11:00"):
                    yield _probe(site, region, at, "down", None, "connect")
                else:
                    yield _probe(site, region, at, "up", 120.0 * (index + 1) + step)


def _probe(
    site: str,
    region: str,
    at: datetime,
    outcome: str,
    total_ms: float | None,
    error: str | None = None,
) -> dict[str, Any]:
    client = {"shop": "acme", "api": "acme", "intranet": "acme", "hostile": "globex"}.get(
        site, "secretco"
    )
    return {
        "site": site,
        "client": client,
        "region": region,
        "worker": f"{region}-1",
        "scheduled_at": at,
        "started_at": at,
        "outcome": outcome,
        "error_kind": error,
        "total_ms": total_ms,
    }


def seed(client: ClickHouseClient, contract: Contract) -> None:
    """Write the month above into a migrated database, twice where the stream might."""
    _insert(client, "probe_results", list(probe_rows()))
    outages = [
        {
            "id": o[0],
            "site": o[1],
            "client": "acme",
            "state": o[2],
            "start": o[3],
            "end": o[4],
            "classification": "downtime",
            "regions_down": o[5],
            "version": 2,
        }
        for o in OUTAGES
    ]
    # An older version of the open outage, as the stream emitted it first: FINAL must hide it.
    stale = {**outages[2], "version": 1, "regions_down": ["eu-west"]}
    _insert(client, "outages", [*outages, stale])
    segments = [
        {
            "id": s[0],
            "site": s[1],
            "outage_id": s[2],
            "label": s[3],
            "reason": s[4],
            "maintenance_id": None,
            "start": s[5],
            "end": s[6],
            "version": 1,
            "deleted": 0,
        }
        for s in SEGMENTS
    ]
    # A segment that a re-classification deleted: it must not count.
    deleted = {
        **segments[0],
        "id": "s-del",
        "version": 2,
        "deleted": 1,
        "start": t("2026-11-10 10:00"),
        "end": t("2026-11-10 12:00"),
    }
    _insert(client, "segments", [*segments, deleted])
    _insert(
        client,
        "maintenance",
        [
            {
                "id": m[0],
                "sites": [] if m[1] == "*" else m[1],
                "all_sites": m[1] == "*",
                "start": m[2],
                "end": m[3],
                "announced_at": m[4],
                "regular": m[5],
                "cancelled": m[6],
                "title": m[7],
                "impact": m[8],
                "version": 1,
            }
            for m in MAINTENANCE
        ],
    )
    _insert(
        client,
        "exclusions",
        [
            {
                "id": x[0],
                "site": x[1],
                "reason": x[2],
                "start": x[3],
                "end": x[4],
                "note": x[5],
                "version": 1,
            }
            for x in EXCLUSIONS
        ],
    )
    _insert(client, "ledger", ledger_rows(contract))
    set_state(client, {site: state for site, state in STATES.items()}, version=5)
    # An older state of shop: the latest version (up) must win.
    set_state(client, {"shop": ("down", t("2026-11-18 10:00"))}, version=4)


def set_state(
    client: ClickHouseClient, states: dict[str, tuple[str, datetime]], version: int
) -> None:
    """Write site states with ``version`` (the stream's site-status messages)."""
    _insert(
        client,
        "site_status",
        [
            {"site": site, "state": state, "since": since, "version": version}
            for site, (state, since) in states.items()
        ],
    )
