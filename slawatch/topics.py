"""Kafka topic names, in one place. A deployment may add a prefix (config ``kafka.topic_prefix``)."""

from __future__ import annotations

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
