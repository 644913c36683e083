"""Kafka topic names and how each is created. A deployment may add a prefix (kafka.topic_prefix)."""

from __future__ import annotations

from dataclasses import dataclass

SITES = "sites"  # compacted, keyed by site id; tombstone = site removed
CLIENTS = "clients"  # compacted, keyed by client id (probes.sites.Client JSON, no token)
PROBE_RESULTS = "probe-results"  # keyed by site id
LATE_RESULTS = "late-results"
DEAD_LETTER = "dead-letter"
MAINTENANCE = "maintenance"
EXCLUSIONS = "exclusions"
OUTAGES = "outages"
SEGMENTS = "segments"
LEDGER = "ledger"
SITE_STATUS = "site-status"
ALERTS = "alerts"
SUPPORT = "support"
SNAPSHOTS = "snapshots"


def topic(name: str, prefix: str = "") -> str:
    """The full topic name for ``name`` under a deployment's prefix."""
    return f"{prefix}{name}"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: compacted (latest value per key) and/or one partition."""

    compacted: bool = False
    single_partition: bool = False


_COMPACTED = TopicSpec(compacted=True)
# maintenance and exclusions: small, and one partition keeps an add and its cancel in order
_CALENDAR = TopicSpec(compacted=True, single_partition=True)

PIPELINE_TOPICS: dict[str, TopicSpec] = {
    SITES: _COMPACTED,
    CLIENTS: _COMPACTED,
    PROBE_RESULTS: TopicSpec(),
    LATE_RESULTS: TopicSpec(),
    DEAD_LETTER: TopicSpec(),
    MAINTENANCE: _CALENDAR,
    EXCLUSIONS: _CALENDAR,
    OUTAGES: TopicSpec(),
    SEGMENTS: _COMPACTED,
    LEDGER: _COMPACTED,
    SITE_STATUS: TopicSpec(),
    ALERTS: TopicSpec(),
    SUPPORT: TopicSpec(),
    SNAPSHOTS: TopicSpec(),
}
"""Every topic the pipeline's components share, with how it is created."""


def pipeline_topics(prefix: str = "") -> dict[str, TopicSpec]:
    """``PIPELINE_TOPICS`` under a deployment's prefix."""
    return {topic(name, prefix): spec for name, spec in PIPELINE_TOPICS.items()}
