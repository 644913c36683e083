"""Print the crash test's counts as JSON (a separate process: chDB is one engine per process).

python -m tests.sinks.count_rows DSN DATABASE
"""

from __future__ import annotations

import json
import sys

from slawatch import store

QUERIES = {
    "raw": "SELECT count() FROM probe_results",
    "distinct": "SELECT uniqExact(site, region, scheduled_at) FROM probe_results",
    "final": "SELECT count() FROM probe_results FINAL",
    "rollup_1m": "SELECT countMerge(checks) FROM probe_results_1m",
    "rollup_1d": "SELECT countMerge(checks) FROM probe_results_1d",
    "failures_1d": "SELECT countIfMerge(failures) FROM probe_results_1d",
    "outages": "SELECT count() FROM outages FINAL",
}

if __name__ == "__main__":
    client = store.connect(sys.argv[1], database=sys.argv[2])
    print(json.dumps({k: int(client.query(q).result_rows[0][0]) for k, q in QUERIES.items()}))
