"""Outage on Kafka → alert engine → alerts topic → notifier → webhook and client e-mail."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from probes.sites import Client, Site
from sla.contract import Contract
from sla.model import Outage, OutageState
from slawatch import topics
from slawatch.alerting.engine import AlertEngine
from slawatch.alerting.settings import AlertingSettings
from slawatch.notify.service import Notifier
from slawatch.notify.settings import NotifySettings, SmtpSettings, WebhookSettings
from slawatch.notify.smtp import EmailChannel
from slawatch.notify.webhook import WebhookChannel
from tests.alerting.fixtures import Hook, smtp_server, wait_until, webhook_server

pytestmark = pytest.mark.timeout(90)


async def test_an_outage_reaches_the_on_call_webhook_and_the_client(
    kafka_bootstrap: str, topic_prefix: str, unique_name
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    outage = Outage(
        id="shop|o1",
        site="shop",
        client="acme",
        state=OutageState.OPENED,
        start=now - timedelta(minutes=3),
        regions_down=["eu", "us"],
        version=1,
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.topic(topics.OUTAGES, topic_prefix), outage.model_dump_json().encode()
        )
    finally:
        await producer.stop()

    hook = Hook()
    client = Client(
        id="acme", name="ACME", support_contacts=["ops@acme.example"], notify_outages=True
    )
    site = Site(id="shop", client="acme", kind="http", target="https://shop.example")
    with smtp_server() as (port, mailbox):
        async with webhook_server({"oncall": hook}) as base, aiohttp.ClientSession() as session:
            settings = NotifySettings(
                group_id=unique_name("notify"),
                webhooks=[
                    WebhookSettings(
                        name="oncall", url=f"{base}/oncall", format="slack", min_severity="page"
                    )
                ],
                smtp=SmtpSettings(
                    host="127.0.0.1", port=port, sender="sla@vendor.example", security="none"
                ),
            )
            channels = [
                WebhookChannel(settings.webhooks[0], session),
                EmailChannel(settings.smtp, Contract(), [client], [site]),
            ]
            engine = AlertEngine(
                kafka_bootstrap,
                Contract(),
                AlertingSettings(tick_seconds=0.2),
                site_clients={"shop": "acme"},
                topic_prefix=topic_prefix,
                partitions=2,
            )
            notifier = Notifier(
                kafka_bootstrap, settings, channels, topic_prefix=topic_prefix, partitions=2
            )
            tasks = [asyncio.create_task(engine.run()), asyncio.create_task(notifier.run())]
            try:
                await wait_until(
                    lambda: (
                        (len(hook.bodies) >= 3 and len(mailbox.received) >= 1)
                        or any(t.done() for t in tasks)
                    ),
                    timeout=40,
                )
            finally:
                engine.stop()
                notifier.stop()
                await asyncio.wait_for(asyncio.gather(*tasks), 20)

    texts = sorted(body["text"] for body in hook.bodies)
    # 3 minutes down: 180 s burn 2 % of the budget within 1 h and 5 % within 6 h.
    assert [t.split("\n")[0] for t in texts] == [
        "*[PAGE] FIRING* `burn-rate-fast`",
        "*[PAGE] FIRING* `burn-rate-medium`",
        "*[PAGE] FIRING* `site-down`",
    ]
    assert "(seen from eu, us)" in texts[2]
    [(recipients, message)] = mailbox.received
    assert recipients == ["ops@acme.example"]
    assert message["Subject"].strip() == "[ACME] Outage: shop is unreachable"
