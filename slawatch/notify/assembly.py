"""The configured delivery channels, built once for `slawatch notify` and `slawatch run`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from slawatch.notify.channel import Channel
from slawatch.notify.smtp import EmailChannel
from slawatch.notify.webhook import WebhookChannel

if TYPE_CHECKING:
    from slawatch.config import Settings


def build_channels(settings: Settings, session: aiohttp.ClientSession) -> list[Channel]:
    """One channel per configured webhook, plus e-mail when ``notify.smtp`` is set."""
    channels: list[Channel] = [WebhookChannel(h, session) for h in settings.notify.webhooks]
    smtp = settings.notify.smtp
    if smtp is not None:
        channels.append(EmailChannel(smtp, settings.contract, settings.clients, settings.sites))
    return channels
