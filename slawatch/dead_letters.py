"""Dead letters of the plain-consumer components (sink, alert engine, probe workers).

One JSON object per bad message on the ``dead-letter`` topic: where it was
(``source_topic``, ``partition``, ``offset``), why (``reason``), which component refused it,
and the start of its bytes as text. The quote is bounded: a bad message close to Kafka's
1 MB limit, escaped as JSON, would otherwise grow past it and could never be published.
The original stays in its topic at ``offset``.
"""

from __future__ import annotations

import json
from datetime import datetime

VALUE_CHARS = 10_000  # of the bad value, quoted in the dead letter
KEY_CHARS = 1_000


def quote(raw: bytes | None, limit: int = VALUE_CHARS) -> str | None:
    """The start of ``raw`` as text (invalid UTF-8 replaced), at most ``limit`` characters."""
    if raw is None:
        return None
    # A UTF-8 character is at most 4 bytes: decode only what can be quoted.
    return raw[: limit * 4].decode("utf-8", "replace")[:limit]


def dead_letter_json(
    *,
    component: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    reason: str,
    at: datetime,
) -> bytes:
    """The dead-letter message for one refused record."""
    body = {
        "source_topic": topic,
        "partition": partition,
        "offset": offset,
        "reason": reason,
        "key": quote(key, KEY_CHARS),
        "value": quote(value),
        "value_bytes": None if value is None else len(value),
        "failed_at": at.isoformat(),
        "component": component,
    }
    return json.dumps(body).encode()
