"""A sink process for the crash test: after its second batch is in ClickHouse it signals
the test (a marker file) and hangs before committing, so SIGKILL lands between the
store's write and the offset commit — the moment that would duplicate rows.

    python -m tests.sinks.killable_sink CONFIG MARKER_DIR
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from sinks.batching import Batch
from sinks.clickhouse import ClickHouseSink
from sinks.service import prepare_store, run_sink
from slawatch import store
from slawatch.config import load_settings
from slawatch.store.migrations import migrate_database


def main(config: Path, markers: Path) -> None:
    settings = load_settings(config)
    dsn, database = settings.clickhouse_dsn(), settings.clickhouse.database

    class HangAfterSecondWrite(ClickHouseSink):
        def write(self, batch: Batch) -> None:
            super().write(batch)
            written = getattr(self, "written", 0) + 1
            self.written = written
            (markers / f"written-{written}").write_text(str(len(batch.records)))
            if written == 2:
                time.sleep(120)  # the test kills us here, before the commit

    migrate_database(dsn, database)
    client = store.connect(dsn, database=database)
    prepare_store(client, settings)
    bootstrap = settings.kafka.bootstrap_servers
    assert bootstrap
    asyncio.run(run_sink(settings, bootstrap, client, sink_class=HangAfterSecondWrite))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
