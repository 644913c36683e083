"""Settings of the probe workers (config section ``probes``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ProbeSettings(BaseModel):
    """How a region worker joins its group, buffers results and talks to Kafka."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # A dead worker's sites move after session_timeout + heartbeat + one interval.
    # Kafka brokers refuse session timeouts below group.min.session.timeout.ms (6 s default).
    session_timeout_ms: int = Field(default=6000, ge=1000)
    heartbeat_interval_ms: int = Field(default=1000, ge=100)
    buffer_size: int = Field(default=10_000, ge=1)  # results waiting for Kafka, at most
    # Checks in flight at most (open sockets). Past it, checks wait (lateness) instead of
    # all slowing down together until they time out, which is what an overloaded loop does.
    max_concurrent_checks: int = Field(default=256, ge=1)
    linger_ms: int = Field(default=20, ge=0)  # producer batching
    request_timeout_ms: int = Field(default=30_000, ge=1000)
    shutdown_flush_s: float = Field(default=10.0, ge=0)  # then what is left is shed
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
