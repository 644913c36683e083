"""Rendering a :class:`~sla.report.Report`: JSON for machines, a table for people.

Kept apart from the computation so that the report built from the events file and the
one built from the store print identically.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from sla.report import Report


def report_dict(report: Report) -> dict[str, Any]:
    """The report as the JSON object of ``--format json`` (keys in their documented order)."""
    return {
        "month": report.month,
        "sites": [
            {
                "site": s.site,
                "total_minutes": s.total_minutes,
                "maintenance_minutes": s.maintenance_minutes,
                "downtime_minutes": s.downtime_minutes,
                "excluded_minutes": s.excluded_minutes,
                "availability_pct": s.availability_float,
                "target_pct": float(s.target_pct),
                "met": s.met,
            }
            for s in report.sites
        ],
        "maintenance": [
            {
                "id": a.window.id,
                "kind": a.kind.value,
                "notice_business_days": a.notice_business_days,
                "compliant": a.compliant,
                "violations": list(a.violations),
            }
            for a in report.maintenance
        ],
    }


def render_json(report: Report) -> str:
    """One JSON object on one line (no trailing newline)."""
    return json.dumps(report_dict(report), ensure_ascii=False)


def _floor(value: Fraction, places: int) -> str:
    """``value`` cut (not rounded) to ``places`` decimals, so 99.8999 never shows as 99.90."""
    units = math.floor(value * 10**places)
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def _minutes(seconds: Fraction) -> str:
    return f"{float(seconds / 60):.2f}"


def _yes_no(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "NO")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _site_rows(report: Report) -> list[list[str]]:
    rows = []
    for s in report.sites:
        a, budget = s.availability, s.budget_left
        rows.append(
            [
                s.site,
                _minutes(s.total_seconds),
                _minutes(s.maintenance_seconds),
                _minutes(s.downtime_seconds),
                _minutes(s.excluded_seconds),
                "n/a" if a is None else f"{_floor(a, 5)} %",
                _yes_no(s.met),
                "n/a" if budget is None else _floor(budget / 60, 2),
            ]
        )
    return rows


def _maintenance_rows(report: Report) -> list[list[str]]:
    def when(a: Any) -> str:
        return f"{a:%Y-%m-%d %H:%M}"

    return [
        [
            a.window.id,
            a.kind.value,
            when(a.window.start),
            when(a.window.end),
            "*" if a.window.sites == "*" else ",".join(a.window.sites),
            str(a.notice_business_days),
            _yes_no(a.compliant),
            ", ".join(a.violations) or "-",
        ]
        for a in report.maintenance
    ]


def render_text(report: Report) -> str:
    """A readable report: one row per site (with the downtime budget left), then maintenance."""
    contract = report.contract
    lines = [
        f"SLA report {report.month} (month cut in {contract.timezone}, "
        f"target {contract.target_pct} %)",
        "",
    ]
    header = [
        "SITE",
        "T MIN",
        "MAINT MIN",
        "DOWN MIN",
        "EXCL MIN",
        "AVAILABILITY",
        "MET",
        "BUDGET LEFT MIN",
    ]
    rows = _site_rows(report)
    lines += _table(header, rows, right={1, 2, 3, 4, 5, 7}) if rows else ["(no site)"]
    lines += ["", f"Maintenance overlapping {report.month} (times UTC, notice in business days):"]
    maintenance = _maintenance_rows(report)
    header = ["ID", "KIND", "START", "END", "SITES", "NOTICE", "COMPLIANT", "VIOLATIONS"]
    lines += _table(header, maintenance, right={5}) if maintenance else ["(none)"]
    return "\n".join(lines)
