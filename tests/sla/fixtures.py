"""Helpers for the sla/ tests: short constructors for UTC instants and intervals."""

from __future__ import annotations

from datetime import UTC, datetime

from sla.contract import Contract
from sla.intervals import Interval


def utc(text: str) -> datetime:
    """``"2026-01-31T23:00"`` (or with seconds) as a UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def span(start: str, end: str) -> Interval:
    """An interval between two UTC instants written as in :func:`utc`."""
    return Interval(utc(start), utc(end))


CONTRACT = Contract()
"""The contract's defaults: Europe/Brussels months, 99.9 %, 09:00-17:30 EST, BE, 5 days."""
