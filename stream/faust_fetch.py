"""Faust's Kafka transport with fetch requests that wait for a batch instead of one record.

faust-streaming 0.15.3 builds its aiokafka consumer with ``fetch_min_bytes=1`` (aiokafka's
default) and gives no setting for it. Under a steady trickle — the probes' normal rate — the
broker then answers every fetch as soon as one record arrives, and each answer costs the
worker a request, a response decode, a hop from Faust's consumer thread to the event loop
and a pass through Faust's fetcher and stream buffers: profiled at 300 results/s, that
per-fetch machinery was most of the worker's CPU, and the results' own processing about a
tenth of it. Asking the broker to hold a fetch until ``fetch_min_bytes`` are waiting (or
``fetch_max_wait_ms`` have passed) makes each fetch carry a batch; on a backlog the minimum
is met at once, so throughput there does not change, and live the latency grows by at most
the wait (well inside the stream's grace).

Use :func:`install` on the app right after creating it (before anything touches
``app.transport``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka


class BatchingConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """The consumer thread whose worker consumer uses the class's fetch settings."""

    fetch_min_bytes: ClassVar[int] = 1
    fetch_max_wait_ms: ClassVar[int] = 1500

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads these when ``start()`` builds its Fetcher, after this returns.
        for name in ("_fetch_min_bytes", "_fetch_max_wait_ms"):
            if not hasattr(consumer, name):
                raise RuntimeError(
                    f"aiokafka's consumer has no {name}: this aiokafka version is not the one "
                    "stream.faust_fetch was written for (see constraints.txt)"
                )
        consumer._fetch_min_bytes = self.fetch_min_bytes
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms
        return consumer


def install(app: faust.App, *, min_bytes: int, max_wait_ms: int) -> None:
    """Give ``app`` a Kafka transport whose stream consumer fetches in batches.

    ``min_bytes``: how much data the broker waits for before answering a fetch;
    ``max_wait_ms``: how long it waits at most. The producer is not affected.
    """
    if min_bytes < 1 or max_wait_ms < 0:
        raise ValueError(f"fetch min_bytes {min_bytes} / max_wait_ms {max_wait_ms}: invalid")
    thread = type(
        "BatchingConsumerThread",
        (BatchingConsumerThread,),
        {"fetch_min_bytes": min_bytes, "fetch_max_wait_ms": max_wait_ms},
    )

    class Consumer(faust_aiokafka.Consumer):
        def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
            return thread(self, loop=self.loop, beacon=self.beacon)

    class Transport(faust_aiokafka.Transport):
        pass

    Transport.Consumer = Consumer
    app.transport = Transport(app.conf.broker_consumer, app)
