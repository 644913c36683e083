"""End to end: a generated fleet through probes → Kafka → stream → ClickHouse, on this machine.

Each run (a child process: ``benchmarks.pipeline.orchestrate``) starts a local Kafka broker,
a target server, three regions of ``slawatch probe`` workers, ``slawatch stream`` worker(s),
and in its own process the sink on the embedded ClickHouse and the alert engine; it takes
a subset of the targets down at a known instant and reports:

* results/s at each stage (probes published, stream consumed, sink stored) over the window;
* consumer lag of the stream worker and the sink every 2 s;
* seconds from a target going down to its ``outages`` event and its ``site-down`` alert
  (p50/p95 over the sites taken down), and how many false outages other sites got;
* peak RSS and CPU share of every process; stored rows against published results.

Sizes and shape (environment; comma-separated lists run every combination)::

    BENCH_PIPELINE_SITES=1000            # 10000, 100000, or "1000,10000"
    BENCH_PIPELINE_INTERVAL=10           # seconds between checks of a site
    BENCH_PIPELINE_SECONDS=75            # the measuring window
    BENCH_PIPELINE_GRACE=60              # the stream worker's reordering grace (its default)
    BENCH_PIPELINE_STREAM_WORKERS=1      # e.g. "1,2"
    BENCH_PIPELINE_PROBE_WORKERS=1       # per region
    BENCH_PIPELINE_ALERTS=1              # 0: without the alert engine (no alert latency)

``python -m benchmarks pipeline`` runs it alone; ``python -m benchmarks.bench_pipeline`` too,
and prints the README table.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.pipeline.figures import markdown_table

REPO = Path(__file__).resolve().parents[1]
_ENV = {
    "sites": ("BENCH_PIPELINE_SITES", "1000"),
    "interval": ("BENCH_PIPELINE_INTERVAL", "10"),
    "seconds": ("BENCH_PIPELINE_SECONDS", "75"),
    "grace": ("BENCH_PIPELINE_GRACE", "60"),
    "stream-workers": ("BENCH_PIPELINE_STREAM_WORKERS", "1"),
    "probe-workers": ("BENCH_PIPELINE_PROBE_WORKERS", "1"),
}


def planned_runs(env: dict[str, str] | os._Environ[str] = os.environ) -> list[dict[str, str]]:
    """Every combination of the configured values (option name → value)."""
    choices = {
        option: [v.strip() for v in env.get(variable, default).split(",") if v.strip()]
        for option, (variable, default) in _ENV.items()
    }
    for option, values in choices.items():
        variable = _ENV[option][0]
        if not values:
            raise SystemExit(f"bench_pipeline: {variable} is empty")
        for value in values:
            try:
                if float(value) <= 0:
                    raise ValueError
            except ValueError:
                raise SystemExit(
                    f"bench_pipeline: {variable}: expected positive numbers, got {value!r}"
                ) from None
    return [
        dict(zip(choices, combo, strict=True)) for combo in itertools.product(*choices.values())
    ]


def run_once(options: dict[str, str]) -> dict[str, Any]:
    """One run in a child process; its figures."""
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-out-") as folder:
        out = Path(folder) / "figures.json"
        argv = [sys.executable, "-m", "benchmarks.pipeline.orchestrate", "--out", str(out)]
        for option, value in options.items():
            argv += [f"--{option}", value]
        if os.environ.get("BENCH_PIPELINE_ALERTS", "1") == "0":
            argv.append("--no-alerts")
        print(f"-- pipeline run: {' '.join(argv[3:])}", flush=True)
        done = subprocess.run(argv, cwd=REPO, stdout=sys.stderr, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(f"pipeline run {options} failed (exit {done.returncode})")
        figures: dict[str, Any] = json.loads(out.read_text())
        print(markdown_table([figures]), file=sys.stderr, flush=True)
        return figures


def run() -> dict[str, Any]:
    """Every planned run; the figures and a README-ready table."""
    runs = [run_once(options) for options in planned_runs()]
    table = markdown_table(runs)
    print(table, flush=True)
    return {"runs": runs, "table_md": table, "load_average_1m_at_end": os.getloadavg()[0]}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
