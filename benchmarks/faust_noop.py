"""A Faust worker whose agent only counts (``take_events`` batches): Faust's own ceiling.

Run by ``bench_stream`` beside the real worker, with the same consumer settings, so the
figures separate what Faust costs per message from what slawatch's processing adds:

    python -m benchmarks.faust_noop BOOTSTRAP TOPIC
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any

import faust

log = logging.getLogger("benchmarks.faust_noop")


def main(bootstrap: str, topic: str) -> None:
    """Run the counting worker until terminated; logs ``processed results=N`` every 0.2 s."""
    app = faust.App(
        f"noop-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        stream_buffer_maxsize=10000,
        broker_max_poll_records=5000,
        datadir=f"/tmp/noop-{uuid.uuid4().hex[:8]}",
    )
    source = app.topic(topic, key_serializer="raw", value_serializer="raw")
    count = {"n": 0, "logged": 0}

    async def agent(stream: Any) -> None:
        async for events in stream.take_events(5000, within=0.2):
            count["n"] += len(events)

    async def report() -> None:
        if count["n"] != count["logged"]:
            count["logged"] = count["n"]
            log.warning("noop: processed results=%d", count["n"])

    app.agent(source, name="noop")(agent)
    app.timer(0.2)(report)
    faust.Worker(app, loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
