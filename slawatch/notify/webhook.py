"""Webhook channel: generic JSON or a Slack-compatible payload, optionally HMAC-signed."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re

import aiohttp
from yarl import URL

from slawatch.notify.channel import DeliveryFailed
from slawatch.notify.notices import Notice
from slawatch.notify.settings import SEVERITY_RANK, WebhookSettings


class WebhookChannel:
    """Posts each wanted notice to one URL; a non-2xx answer is a failed attempt."""

    def __init__(self, settings: WebhookSettings, session: aiohttp.ClientSession) -> None:
        self.name = f"webhook:{settings.name}"
        self._settings = settings
        self._session = session
        self._url = settings.endpoint()
        secret = settings.secret()
        self._secret = secret.get_secret_value().encode() if secret else None

    def targets(self, notice: Notice) -> list[str]:
        """One target (the URL) when the notice passes the channel's filters."""
        if notice.alert is not None:
            minimum = SEVERITY_RANK[self._settings.min_severity]
            wanted = SEVERITY_RANK[notice.alert.severity] >= minimum
            return ["url"] if wanted else []
        return ["url"] if self._settings.maintenance else []

    async def send(self, notice: Notice, target: str, delivery_key: str) -> None:
        """POST the payload; raises :class:`DeliveryFailed` on any error."""
        body = json.dumps(payload(notice, self._settings.format), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "X-Slawatch-Delivery": delivery_key}
        if self._secret is not None:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers["X-Slawatch-Signature"] = f"sha256={digest}"
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
        try:
            async with self._session.post(
                self._url, data=body, headers=headers, timeout=timeout
            ) as response:
                if response.status >= 300:
                    raise DeliveryFailed(f"HTTP {response.status} from {self._settings.name}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            # aiohttp names the URL in some errors; its path may be the hook's secret.
            detail = scrub_url(str(exc), self._url)
            raise DeliveryFailed(f"{type(exc).__name__}: {detail}") from exc


def redact_url(url: str) -> str:
    """Scheme and host of ``url`` only: a webhook's path or query is often its secret."""
    scheme, sep, rest = url.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    return f"{scheme}{sep}{authority}/***"


def scrub_url(text: str, url: str) -> str:
    """``text`` with ``url`` (or its path and query, in any spelling) shown as redacted."""
    text = text.replace(url, redact_url(url))
    secrets = {url.partition("://")[2].partition("/")[2]}
    with contextlib.suppress(ValueError, TypeError):
        parsed = URL(url)
        text = text.replace(str(parsed), redact_url(url))
        secrets |= {parsed.raw_path_qs.lstrip("/"), parsed.path_qs.lstrip("/")}
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def payload(notice: Notice, style: str) -> dict[str, object]:
    """The JSON body: the full message (``json``) or a Slack ``text`` (``slack``)."""
    if style == "slack":
        return {"text": slack_text(notice)}
    if notice.alert is not None:
        return {"type": "alert", "key": notice.key, "alert": notice.alert.model_dump(mode="json")}
    assert notice.maintenance is not None
    return {
        "type": "maintenance",
        "key": notice.key,
        "maintenance": notice.maintenance.model_dump(mode="json"),
    }


def slack_text(notice: Notice) -> str:
    """One Slack mrkdwn message."""
    if notice.alert is not None:
        alert = notice.alert
        head = f"*[{alert.severity.upper()}] {alert.state.upper()}* `{alert.rule}`"
        return f"{head}\n{alert.summary}\nid: `{alert.id}`"
    event = notice.maintenance
    assert event is not None
    sites = "all sites" if event.sites == "*" else ", ".join(event.sites)
    verb = "cancelled" if event.cancelled else "announced"
    return (
        f"*Maintenance {verb}* `{event.id}` on {sites}: {event.start:%Y-%m-%d %H:%M}–"
        f"{event.end:%H:%M} UTC. {event.title} {event.impact}".strip()
    )
