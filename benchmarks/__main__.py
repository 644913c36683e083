"""Run every benchmark module (or those named on the command line) and save the figures.

python -m benchmarks                 # all of them
python -m benchmarks probes stream   # bench_probes.py and bench_stream.py only
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path
from typing import Any

import benchmarks


def _modules(selected: list[str]) -> list[str]:
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    if selected:
        wanted = {f"bench_{s.removeprefix('bench_')}" for s in selected}
        unknown = wanted - set(names)
        if unknown:
            sys.exit(f"benchmarks: unknown benchmark(s): {', '.join(sorted(unknown))}")
        names = [n for n in names if n in wanted]
    return names


def main(argv: list[str]) -> int:
    """Run the benchmarks, print each one's figures, write artifacts/bench.json."""
    figures: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        }
    }
    for name in _modules(argv):
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        result = importlib.import_module(f"benchmarks.{name}").run()
        result["wall_s"] = round(time.perf_counter() - started, 1)
        figures[name.removeprefix("bench_")] = result
        print(json.dumps(result, indent=2), flush=True)
    out = Path("artifacts/bench.json")
    out.parent.mkdir(exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing.update(figures)
    out.write_text(json.dumps(existing, indent=2) + "\n")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
