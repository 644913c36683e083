"""A minimal Faust app for the recovery test: counts words in a table, echoes each new count.

Run as a worker subprocess (never imported by pytest's process): configuration comes from
the environment so that each test has its own app id (consumer group, changelog topic),
topics, data folder and broker.
"""

from __future__ import annotations

import os

import faust

from stream.faust_recovery import OrderedSeekTableManager

APP_ID = os.environ["COUNTER_APP_ID"]
app = faust.App(
    APP_ID,
    broker=f"kafka://{os.environ['COUNTER_BOOTSTRAP']}",
    store="memory://",  # nothing survives the process: a restart must read the changelog
    datadir=os.environ["COUNTER_DATA_DIR"],
    topic_replication_factor=1,
    topic_partitions=1,
    web_enabled=False,
    broker_commit_interval=0.2,
    # The killed worker's membership must expire fast so the restarted one gets the partition.
    broker_session_timeout=6.0,
    broker_heartbeat_interval=1.0,
    broker_rebalance_timeout=10.0,
    table_standby_replicas=0,
    # Without it, records waiting at restart are sometimes counted twice or never (see there).
    TableManager=OrderedSeekTableManager,
)
words = app.topic(f"{APP_ID}-words", key_type=str, value_type=str)
counts_out = app.topic(f"{APP_ID}-counts", key_type=str, value_type=int)
counts = app.Table("counts", default=int, partitions=1)


@app.agent(words)
async def count(stream: faust.StreamT[str]) -> None:
    """Count each word; publish the word's new count."""
    async for word in stream:
        counts[word] += 1
        await counts_out.send(key=word, value=counts[word])


if __name__ == "__main__":
    app.main()
