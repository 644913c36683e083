"""Notifier end to end: real Kafka, a real SMTP server (aiosmtpd), a local webhook receiver.

Messages arrive once per channel with the right recipients and content; a restarted
notifier (and a re-published alert) delivers nothing twice; a webhook that keeps failing
is retried and then dead-lettered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from probes.sites import Client, Site
from sla.contract import Contract
from sla.model import Alert, AlertSeverity, AlertState, MaintenanceEvent
from slawatch import topics
from slawatch.notify.service import Notifier
from slawatch.notify.settings import NotifySettings, SmtpSettings, WebhookSettings
from slawatch.notify.smtp import EmailChannel
from slawatch.notify.topics import NOTIFY_DEAD_LETTER
from slawatch.notify.webhook import WebhookChannel
from tests.alerting.fixtures import Hook, smtp_server, wait_until, webhook_server

pytestmark = pytest.mark.timeout(90)

START = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
CLIENTS = [
    Client(
        id="acme",
        name="ACME",
        contract_ref="C-42",
        support_contacts=["ops@acme.example", "cto@acme.example"],
        notify_outages=True,
    ),
    Client(id="globex", name="Globex", support_contacts=["noc@globex.example"]),
]
SITES = [
    Site(id="shop", client="acme", kind="http", target="https://shop.example"),
    Site(id="blog", client="globex", kind="http", target="https://blog.example"),
]


def site_down(state: AlertState, version: int) -> Alert:
    return Alert(
        id=f"site-down|shop|{START.isoformat()}",
        rule="site-down",
        severity=AlertSeverity.PAGE,
        state=state,
        site="shop",
        client="acme",
        summary="shop is down" if state is AlertState.FIRING else "resolved: shop is down",
        starts_at=START,
        ends_at=None if state is AlertState.FIRING else START + timedelta(minutes=7),
        version=version,
        emitted_at=START,
    )


SLOW_BURN = Alert(
    id=f"burn-rate-slow|blog|{START.isoformat()}",
    rule="burn-rate-slow",
    severity=AlertSeverity.TICKET,
    state=AlertState.FIRING,
    site="blog",
    client="globex",
    summary="blog burns its error budget at 1.3x over 3d",
    starts_at=START,
    version=1,
    emitted_at=START,
)
MAINTENANCE = MaintenanceEvent(
    id="m-2026-05-02",
    sites=["shop", "blog"],
    start=datetime(2026, 5, 2, 4, 0, tzinfo=UTC),  # Saturday 06:00 in Brussels
    end=datetime(2026, 5, 2, 6, 0, tzinfo=UTC),
    announced_at=datetime(2026, 4, 20, 9, 0, tzinfo=UTC),
    regular=True,
    title="Database upgrade",
    impact="the application is read-only for up to 20 minutes",
)


async def publish(bootstrap: str, prefix: str, alerts=(), maintenance=()) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for alert in alerts:
            await producer.send_and_wait(
                topics.topic(topics.ALERTS, prefix), alert.model_dump_json().encode()
            )
        for event in maintenance:
            await producer.send_and_wait(
                topics.topic(topics.MAINTENANCE, prefix), event.model_dump_json().encode()
            )
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, expected: int) -> list[dict]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[dict] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(found) < expected and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [json.loads(r.value) for r in records]
        await asyncio.sleep(0.3)  # and nothing more than expected
        for records in (await consumer.getmany(timeout_ms=300)).values():
            found += [json.loads(r.value) for r in records]
    finally:
        await consumer.stop()
    return found


async def run_notifier(bootstrap, prefix, settings, smtp_port, base_url, until) -> Notifier:
    """One notifier life: start, wait for ``until()``, stop cleanly."""
    async with aiohttp.ClientSession() as session:
        channels = [WebhookChannel(hook, session) for hook in settings.webhooks]
        smtp = settings.smtp
        assert smtp is not None
        channels.append(EmailChannel(smtp, Contract(), CLIENTS, SITES))
        notifier = Notifier(bootstrap, settings, channels, topic_prefix=prefix)
        task = asyncio.create_task(notifier.run())
        try:
            await wait_until(lambda: until() or task.done())
            await asyncio.sleep(0.5)  # let any duplicate show up before stopping
        finally:
            notifier.stop()
            await asyncio.wait_for(task, 15)
    return notifier


def make_settings(base_url: str, smtp_port: int, unique_name) -> NotifySettings:
    return NotifySettings(
        group_id=unique_name("notify"),
        max_attempts=3,
        retry_initial_seconds=0.01,
        retry_max_seconds=0.05,
        webhooks=[
            WebhookSettings(name="generic", url=f"{base_url}/generic", secret_env="T_HOOK_SECRET"),
            WebhookSettings(
                name="slack",
                url=f"{base_url}/slack",
                format="slack",
                min_severity="page",
                maintenance=False,
            ),
            WebhookSettings(name="flaky", url=f"{base_url}/flaky"),
            WebhookSettings(name="broken", url=f"{base_url}/broken"),
        ],
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=smtp_port,
            sender="slawatch@vendor.example",
            security="none",
            alert_recipients=["sre@vendor.example"],
        ),
    )


async def test_notices_arrive_once_per_channel_across_a_restart(
    kafka_bootstrap: str, topic_prefix: str, unique_name, monkeypatch
) -> None:
    monkeypatch.setenv("T_HOOK_SECRET", "s3cret")
    hooks = {
        "generic": Hook(),
        "slack": Hook(),
        "flaky": Hook(fail_first=2),
        "broken": Hook(fail_first=10_000),
    }
    with smtp_server() as (smtp_port, mailbox):
        async with webhook_server(hooks) as base_url:
            settings = make_settings(base_url, smtp_port, unique_name)
            firing = site_down(AlertState.FIRING, 1)
            await publish(
                kafka_bootstrap, topic_prefix, alerts=[firing, SLOW_BURN], maintenance=[MAINTENANCE]
            )
            first = await run_notifier(
                kafka_bootstrap,
                topic_prefix,
                settings,
                smtp_port,
                base_url,
                until=lambda: (
                    len(mailbox.received) >= 4
                    and len(hooks["generic"].bodies) >= 3
                    and hooks["broken"].calls >= 9
                ),
            )
            assert (first.delivered, first.dead_lettered) == (11, 3)

            # Restart: the same alert published again plus its resolution.
            resolved = site_down(AlertState.RESOLVED, 2)
            await publish(kafka_bootstrap, topic_prefix, alerts=[firing, resolved])
            second = await run_notifier(
                kafka_bootstrap,
                topic_prefix,
                settings,
                smtp_port,
                base_url,
                until=lambda: len(mailbox.received) >= 6 and len(hooks["slack"].bodies) >= 2,
            )
            assert (second.delivered, second.dead_lettered) == (5, 1)
            dead = await read_all(
                kafka_bootstrap, topics.topic(NOTIFY_DEAD_LETTER, topic_prefix), expected=4
            )

    # Webhooks: each notice once; the flaky hook got them on the third attempt.
    generic = hooks["generic"]
    assert sorted(b["key"] for b in generic.bodies) == sorted(
        [
            f"alert|{firing.id}|firing",
            f"alert|{SLOW_BURN.id}|firing",
            f"alert|{firing.id}|resolved",
            f"maintenance|{MAINTENANCE.id}|{MAINTENANCE.announced_at.isoformat()}|announced",
        ]
    )
    body = json.dumps(generic.bodies[0], sort_keys=True).encode()
    expected_sig = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert generic.headers[0]["X-Slawatch-Signature"] == expected_sig
    assert [b["text"].split("*")[1] for b in hooks["slack"].bodies] == [
        "[PAGE] FIRING",
        "[PAGE] RESOLVED",
    ]
    assert len(hooks["flaky"].bodies) == 4 and hooks["flaky"].calls == 6
    assert hooks["broken"].bodies == [] and hooks["broken"].calls == 4 * 3
    assert sorted(d["key"].split("|")[0] for d in dead) == ["webhook:broken"] * 4
    assert all(d["error"] == "HTTP 500 from broken" for d in dead)

    # E-mail: maintenance to each client's contacts (separately), outages to the opted-in
    # client and to the SRE team; nothing twice.
    # (a long Subject may be folded right after "Subject:"; unfolding leaves a leading space)
    by_subject = {msg["Subject"].strip(): (sorted(rcpt), msg) for rcpt, msg in mailbox.received}
    assert len(by_subject) == len(mailbox.received) == 6
    acme_notice = by_subject["[ACME] Regular maintenance on Saturday 02 May 2026: Database upgrade"]
    assert acme_notice[0] == ["cto@acme.example", "ops@acme.example"]
    text = acme_notice[1].get_content()
    for expected in (
        "Date:            Saturday 02 May 2026",
        "06:00 to 08:00 (Europe/Brussels)",
        "Expected impact: the application is read-only for up to 20 minutes",
        "Kind:            regular (8 business days of notice)",
        "service(s): shop.",
        "C-42",
    ):
        assert expected in text
    globex = by_subject["[Globex] Regular maintenance on Saturday 02 May 2026: Database upgrade"]
    assert globex[0] == ["noc@globex.example"] and "service(s): blog." in globex[1].get_content()
    assert by_subject["[ACME] Outage: shop is unreachable"][0] == [
        "cto@acme.example",
        "ops@acme.example",
    ]
    assert by_subject["[ACME] Resolved: shop is back up"][0][0] == "cto@acme.example"
    assert by_subject["[slawatch PAGE] FIRING: shop is down"][0] == ["sre@vendor.example"]
    assert "[slawatch PAGE] RESOLVED: resolved: shop is down" in by_subject
    assert not any("Globex" in s and "blog burns" in s for s in by_subject)
