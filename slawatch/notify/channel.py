"""The interface every channel implements (webhook, e-mail, ...)."""

from __future__ import annotations

from typing import Protocol

from slawatch.notify.notices import Notice


class DeliveryFailed(Exception):
    """One attempt to deliver failed; the notifier retries, then dead-letters."""


class Channel(Protocol):
    """A way to deliver notices.

    ``targets`` says to whom a notice goes on this channel (an empty list: not at all);
    each ``(channel name, target, notice key)`` is delivered once. ``send`` makes one
    attempt and raises :class:`DeliveryFailed` when it did not succeed.
    """

    name: str

    def targets(self, notice: Notice) -> list[str]: ...

    async def send(self, notice: Notice, target: str, delivery_key: str) -> None: ...
