"""The fixed check grid: a site is due at ``phase + k * interval`` (epoch seconds).

The phase is a stable hash of the site id, so every worker of every region computes the
same grid for a site: when a site moves to another worker its rhythm does not change, and
sites with the same interval are spread over the interval instead of firing together.
Pure functions, no clock.
"""

from __future__ import annotations

import hashlib
import math


def phase_s(site_id: str, interval_s: float) -> float:
    """The site's offset in its interval, in [0, interval_s), stable across processes."""
    digest = hashlib.blake2b(site_id.encode(), digest_size=8).digest()
    steps = max(1, round(interval_s * 1000))
    return (int.from_bytes(digest, "big") % steps) / 1000


def slot_time(index: int, phase: float, interval_s: float) -> float:
    """Epoch seconds of slot ``index``."""
    return phase + index * interval_s


def first_slot_at_or_after(now: float, phase: float, interval_s: float) -> int:
    """The index of the first slot not earlier than ``now``."""
    return math.ceil((now - phase) / interval_s - 1e-9)


def next_slot_index(current: int, now: float, phase: float, interval_s: float) -> int:
    """The slot after ``current`` that is still ahead of ``now`` (later ones are skipped)."""
    return max(current + 1, first_slot_at_or_after(now, phase, interval_s))
