"""The contract's parameters, as a frozen pydantic model (validated at load).

The defaults are the contract's own: 99.90 % per calendar month cut in
Europe/Brussels, business hours 09:00-17:30 EST on Belgian business days, and
five business days of notice before maintenance stops being an emergency.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


ZoneName = Annotated[str, AfterValidator(_check_zone)]


def _check_wall_time(value: Any) -> Any:
    # YAML 1.1 (PyYAML) reads an unquoted 17:30 as the base-60 number 17 * 60 + 30 = 1050,
    # which pydantic would take as 00:17:30 UTC. Read such a number back as the HH:MM it was
    # written as; anything else that is not text (17:30:00 = 63000, 9.5) is refused.
    if isinstance(value, time | str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    raise ValueError(f'expected a time as "HH:MM" (quote it in YAML), got {value!r}')


def _check_naive_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a wall-clock time without offset (the zone is business_hours.timezone)")
    return value


WallTime = Annotated[time, BeforeValidator(_check_wall_time), AfterValidator(_check_naive_time)]


def _check_country(code: str) -> str:
    if code not in holiday_tables.list_supported_countries():
        raise ValueError(f"unknown country code {code!r} for public holidays (e.g. BE)")
    return code


class BusinessHours(BaseModel):
    """Daily business hours, in their own time zone (the contract says EST)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: WallTime = time(9, 0)
    end: WallTime = time(17, 30)
    timezone: ZoneName = "EST"

    @model_validator(mode="after")
    def _end_after_start(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError("business hours must end after they start (end > start)")
        return self


class SupportTargets(BaseModel):
    """Response and resolution targets for one support priority, in business hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    response_hours: Decimal
    resolution_hours: Decimal | None = None


def _default_support() -> dict[str, SupportTargets]:
    return {
        "high": SupportTargets(response_hours=Decimal(1), resolution_hours=Decimal(8)),
        "medium": SupportTargets(response_hours=Decimal(4), resolution_hours=Decimal(24)),
        "low": SupportTargets(response_hours=Decimal(8), resolution_hours=Decimal(72)),
    }


class Contract(BaseModel):
    """Everything the availability computation needs to know about the contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: ZoneName = "Europe/Brussels"
    target_pct: Decimal = Field(default=Decimal("99.9"), gt=0, le=100)
    business_hours: BusinessHours = BusinessHours()
    holidays: Annotated[str, AfterValidator(_check_country)] = Field(
        default="BE", min_length=2, max_length=3
    )
    notice_business_days: int = Field(default=5, ge=0)
    support: dict[str, SupportTargets] = Field(default_factory=_default_support)
    max_data_loss_hours: Decimal = Field(default=Decimal(24), gt=0)
    late_report_days: int = Field(default=30, ge=0)
