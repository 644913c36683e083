"""What the notifiers deliver: an alert or a maintenance announcement, with a stable key.

The key identifies one notice across restarts and redeliveries: an alert's id and state
(firing and resolved are two notices), a maintenance window's id, announcement time and
cancellation (a re-announced or cancelled window is news again).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from sla.model import Alert, MaintenanceEvent


@dataclass(frozen=True)
class Notice:
    """One message to deliver."""

    key: str
    alert: Alert | None = None
    maintenance: MaintenanceEvent | None = None

    @classmethod
    def of_alert(cls, alert: Alert) -> Notice:
        """The notice of an alert's state."""
        return cls(key=f"alert|{alert.id}|{alert.state}", alert=alert)

    @classmethod
    def of_maintenance(cls, event: MaintenanceEvent) -> Notice:
        """The notice of a maintenance announcement (or its cancellation)."""
        what = "cancelled" if event.cancelled else "announced"
        return cls(
            key=f"maintenance|{event.id}|{event.announced_at.isoformat()}|{what}",
            maintenance=event,
        )


class BadNotice(ValueError):
    """A message on a notified topic that is not a valid alert / maintenance event."""


def decode(kind: str, raw: bytes | None) -> Notice:
    """The notice in a record of the ``alerts`` (kind ``alert``) or ``maintenance`` topic."""
    if raw is None:
        raise BadNotice("empty record (tombstone)")
    try:
        if kind == "alert":
            return Notice.of_alert(Alert.model_validate_json(raw))
        return Notice.of_maintenance(MaintenanceEvent.model_validate_json(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(message)"
        raise BadNotice(f"invalid {kind}: {where}: {first['msg']}") from exc
