"""E-mail channel over SMTP (aiosmtplib).

Recipients per notice:

* a maintenance announcement goes to the support contacts (at most two, per the contract)
  of every client with a site the window covers, one e-mail per client;
* a ``site-down`` alert (firing and resolved) goes to the client's contacts when the client
  opted in (``notify_outages: true``);
* any alert at or above ``alert_min_severity`` goes to ``alert_recipients`` (the SRE team).
"""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import aiosmtplib

from probes.sites import Client, Site
from sla.alerts import SITE_DOWN
from sla.calendar import BusinessCalendar
from sla.contract import Contract
from sla.maintenance import classify, notice_business_days
from sla.model import Alert, MaintenanceEvent
from slawatch.notify.channel import DeliveryFailed
from slawatch.notify.notices import Notice
from slawatch.notify.settings import SEVERITY_RANK, SmtpSettings
from slawatch.notify.templates import render

SRE = "sre"


class EmailChannel:
    """Sends notices by e-mail; targets are client ids (their contacts) or ``sre``."""

    name = "email"

    def __init__(
        self, settings: SmtpSettings, contract: Contract, clients: list[Client], sites: list[Site]
    ) -> None:
        self._settings = settings
        self._password = settings.password()
        self._contract = contract
        self._calendar = BusinessCalendar.from_contract(contract)
        self._zone = ZoneInfo(contract.timezone)
        self._clients = {c.id: c for c in clients if c.support_contacts}
        self._site_client = {s.id: s.client for s in sites}

    def targets(self, notice: Notice) -> list[str]:
        """Client ids (and ``sre``) that this notice must reach."""
        if notice.maintenance is not None:
            return self._maintenance_clients(notice.maintenance)
        alert = notice.alert
        assert alert is not None
        targets = []
        client = self._clients.get(alert.client or self._site_client.get(alert.site or "", ""))
        if alert.rule == SITE_DOWN and client is not None and client.notify_outages:
            targets.append(client.id)
        minimum = SEVERITY_RANK[self._settings.alert_min_severity]
        if self._settings.alert_recipients and SEVERITY_RANK[alert.severity] >= minimum:
            targets.append(SRE)
        return targets

    def _maintenance_clients(self, event: MaintenanceEvent) -> list[str]:
        if event.sites == "*":
            return sorted(self._clients)
        owners = {self._site_client.get(site) for site in event.sites}
        return sorted(c for c in owners if c in self._clients)

    def compose(self, notice: Notice, target: str, delivery_key: str) -> EmailMessage:
        """The e-mail for ``target`` (exposed for tests and previews)."""
        if target == SRE:
            assert notice.alert is not None
            subject, body = render("alert", self._alert_values(notice.alert))
            recipients = [str(r) for r in self._settings.alert_recipients]
        else:
            client = self._clients[target]
            subject, body = self._client_message(notice, client)
            recipients = [str(r) for r in client.support_contacts]
        message = EmailMessage()
        message["From"] = str(self._settings.sender)
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=str(self._settings.sender).rpartition("@")[2])
        message["X-Slawatch-Delivery"] = delivery_key
        message.set_content(body)
        return message

    async def send(self, notice: Notice, target: str, delivery_key: str) -> None:
        """One SMTP transaction; raises :class:`DeliveryFailed` on any SMTP or network error."""
        message = self.compose(notice, target, delivery_key)
        security = self._settings.security
        try:
            await aiosmtplib.send(
                message,
                hostname=self._settings.host,
                port=self._settings.port,
                username=self._settings.username,
                password=self._password.get_secret_value() if self._password else None,
                use_tls=security == "tls",
                start_tls=security == "starttls",
                timeout=self._settings.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            where = f"{self._settings.host}:{self._settings.port}"
            raise DeliveryFailed(f"SMTP {where}: {exc}") from exc

    def _client_message(self, notice: Notice, client: Client) -> tuple[str, str]:
        if notice.maintenance is not None:
            event = notice.maintenance
            name = "maintenance_cancelled" if event.cancelled else "maintenance"
            return render(name, self._maintenance_values(event, client))
        assert notice.alert is not None
        return render("outage", self._outage_values(notice.alert, client))

    def _maintenance_values(self, event: MaintenanceEvent, client: Client) -> dict[str, str]:
        notice_days = notice_business_days(self._calendar, event)
        kind = classify(notice_days, self._contract.notice_business_days, event.regular)
        start, end = event.start.astimezone(self._zone), event.end.astimezone(self._zone)
        mine = sorted(s for s, c in self._site_client.items() if c == client.id)
        sites = (
            ", ".join(mine)
            if event.sites == "*"
            else ", ".join(s for s in event.sites if self._site_client.get(s) == client.id)
        )
        return {
            "client_name": client.name or client.id,
            "contract_ref": client.contract_ref or client.id,
            "kind": str(kind),
            "kind_title": str(kind).capitalize(),
            "notice_days": str(notice_days),
            "sites": sites or "all your services",
            "title": event.title or "planned maintenance",
            "impact": event.impact or "not specified",
            "start_local_date": f"{start:%A %d %B %Y}",
            "start_local_time": f"{start:%H:%M}",
            "end_local_time": _end_time(start, end),
            "timezone": self._contract.timezone,
            "start_utc": f"{event.start:%Y-%m-%d %H:%M}",
            "end_utc": f"{event.end:%Y-%m-%d %H:%M}",
            "duration_minutes": f"{(event.end - event.start).total_seconds() / 60:.0f}",
            "maintenance_id": event.id,
            "announced_utc": f"{event.announced_at:%Y-%m-%d %H:%M}",
        }

    def _outage_values(self, alert: Alert, client: Client) -> dict[str, str]:
        firing = alert.state == "firing"
        start = alert.starts_at.astimezone(self._zone)
        end_line = (
            "Ended:    still ongoing"
            if firing or alert.ends_at is None
            else f"Ended:    {alert.ends_at.astimezone(self._zone):%Y-%m-%d %H:%M} "
            f"({self._contract.timezone})"
        )
        return {
            "client_name": client.name or client.id,
            "contract_ref": client.contract_ref or client.id,
            "state_title": "Outage" if firing else "Resolved",
            "state_word": "unreachable" if firing else "back up",
            "site": alert.site or "",
            "summary": alert.summary,
            "start_local": f"{start:%Y-%m-%d %H:%M}",
            "timezone": self._contract.timezone,
            "start_utc": f"{alert.starts_at:%Y-%m-%d %H:%M}",
            "end_line": end_line,
            "alert_id": alert.id,
        }

    @staticmethod
    def _alert_values(alert: Alert) -> dict[str, str]:
        return {
            "severity": alert.severity.upper(),
            "state": alert.state.upper(),
            "summary": alert.summary,
            "rule": alert.rule,
            "site": alert.site or "-",
            "client": alert.client or "-",
            "region": alert.region or "-",
            "start_utc": f"{alert.starts_at:%Y-%m-%d %H:%M}",
            "end_utc": f"{alert.ends_at:%Y-%m-%d %H:%M} UTC" if alert.ends_at else "-",
            "details": json.dumps(alert.details, indent=2, sort_keys=True),
            "alert_id": alert.id,
        }


def _end_time(start: datetime, end: datetime) -> str:
    """``HH:MM``, or with the date when the window ends on another day."""
    return f"{end:%H:%M}" if end.date() == start.date() else f"{end:%d %B %H:%M}"
