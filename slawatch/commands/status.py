"""``slawatch status``: the running pipeline's health at a glance."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from slawatch.errors import UserError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch status``."""
    parser = subparsers.add_parser(
        "status",
        help="the running `slawatch run`'s health: sites up/down, results/s, lag, availability",
        description=(
            "Ask the `slawatch run` of this configuration's data_dir (found through "
            "<data_dir>/run.json) for its summary: each site's state and this month's "
            "availability, results per second, consumer lag, the status page's address. "
            "Exits 1 when no run is live."
        ),
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="slawatch.yaml (default: ./slawatch.yaml)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=_status)


def _status(args: argparse.Namespace) -> int:
    from slawatch.commands.run import DEFAULT_CONFIG
    from slawatch.config import load_settings, settings_path
    from slawatch.instance import RunningInstance

    path = settings_path(args.config)
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    settings = load_settings(path)
    instance = RunningInstance.find(settings.data_dir)
    if instance is None:
        raise UserError(
            f"no live `slawatch run` for data_dir {settings.data_dir} (no {settings.data_dir}"
            "/run.json with a live pid); start one with `make run`"
        )
    summary = instance.fetch_json("/status")
    if args.format == "json":
        print(json.dumps(summary, indent=2))
        return 0
    print(f"slawatch run, pid {instance.pid}; status page {summary['status_page']}")
    print(
        f"Kafka {instance.bootstrap}; results {summary['results_per_s']:.1f}/s; lag "
        + ", ".join(f"{k} {'?' if v is None else v}" for k, v in summary["lag"].items())
    )
    print(f"{'site':<24} {'state':<12} {'availability':>13} {'budget left':>12}")
    for site in summary["sites"]:
        pct = site["availability_pct"]
        budget = site["budget_left_minutes"]
        print(
            f"{site['site']:<24} {site['state']:<12} "
            f"{'n/a' if pct is None else f'{pct:.4f} %':>13} "
            f"{'n/a' if budget is None else f'{budget:.1f} min':>12}"
        )
    return 0
