"""Configuration of the alert engine (``alerting:`` in ``slawatch.yaml``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AlertingSettings(BaseModel):
    """Hold-down, thresholds and the engine's rhythm."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hold_down_seconds: float = Field(default=300.0, ge=0)  # before resolve (and re-fire)
    region_failures: int = Field(default=3, ge=1)  # consecutive reference failures
    tick_seconds: float = Field(default=15.0, gt=0)  # evaluation without new input
    snapshot_seconds: float = Field(default=10.0, gt=0)  # state snapshot at most this often
    state_key: str = Field(default="engine", min_length=1)  # one engine per key
