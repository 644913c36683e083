"""How figures read on the page: percentages, minutes, instants and links."""

from __future__ import annotations

import math
from datetime import datetime
from urllib.parse import quote, urlencode

from sla.model import SiteState

STATE_LABELS: dict[SiteState, str] = {
    SiteState.UP: "Up",
    SiteState.DEGRADED: "Degraded",
    SiteState.DOWN: "Down",
    SiteState.MAINTENANCE: "In maintenance",
    SiteState.UNKNOWN: "No data yet",
}


def pct(value: float | None, decimals: int = 3) -> str:
    """A percentage, truncated (never rounded up: 99.8996 must not read as 99.900 %)."""
    if value is None:
        return "—"
    scale = 10**decimals
    truncated = math.floor(value * scale + 1e-9) / scale
    return f"{truncated:.{decimals}f} %"


def met(value: bool | None) -> str:
    """``met``, ``missed`` or nothing (no figure yet)."""
    return "" if value is None else ("met" if value else "missed")


def target(value: float) -> str:
    """The contract target as written in the contract (99.9 %)."""
    return f"{value:g} %"


def minutes(value: float | None) -> str:
    """Minutes as ``12.5 min``, ``3 h 05 min`` above an hour."""
    if value is None:
        return "—"
    sign = "−" if value < 0 else ""
    value = abs(value)
    if value < 60:
        return f"{sign}{value:.1f} min"
    whole = round(value)
    return f"{sign}{whole // 60} h {whole % 60:02d} min"


def ledger_minutes(value: float | None) -> str:
    """Minutes as the ledger counts them: ``43,200.0 min`` (no conversion to hours)."""
    if value is None:
        return "—"
    return f"{value:,.1f} min".replace("-", "−")


def instant(value: datetime | None) -> str:
    """An instant as ``2026-11-26 05:00 UTC``."""
    if value is None:
        return "—"
    return f"{value:%Y-%m-%d %H:%M} UTC"


def link(path: str, token: str | None = None) -> str:
    """``path`` with the reader's token carried along (private pages link to private pages)."""
    if not token:
        return path
    return f"{path}?{urlencode({'token': token})}"


def path_id(value: str) -> str:
    """An id as a URL path segment."""
    return quote(value, safe="")
