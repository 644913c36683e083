"""``slawatch sites apply|list|check``: the site registry in the compacted ``sites`` topic."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from slawatch.commands.common import add_kafka_arguments, bootstrap_servers


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch sites`` and its sub-commands."""
    parser = subparsers.add_parser(
        "sites",
        help="validate sites.yaml and publish it to the sites topic; list the registry",
        description=(
            "The site registry lives in Kafka: the compacted 'sites' topic (keyed by site id, "
            "JSON of the site) and 'clients' topic (keyed by client id; the private-page token "
            "is never written). Probe workers of every region read it."
        ),
    )
    sub = parser.add_subparsers(dest="sites_command", metavar="SUBCOMMAND", required=True)
    apply = sub.add_parser(
        "apply",
        help="validate a sites file and write what changed to the topics",
        description=(
            "Validate FILE (every error names file:line, the site id and the field) and write "
            "each new or changed site and client. Unchanged entries are not rewritten. Sites "
            "in the topic but not in FILE are kept unless --prune is given, which writes a "
            "tombstone for each (the workers stop checking them). Creates the topics "
            "(compacted) when missing."
        ),
    )
    apply.add_argument("file", type=Path, help="the sites file (clients: and sites: lists)")
    apply.add_argument(
        "--prune", action="store_true", help="delete sites and clients that are not in FILE"
    )
    apply.add_argument("--dry-run", action="store_true", help="show what would change only")
    _kafka_arguments(apply)
    apply.set_defaults(func=_apply)
    listing = sub.add_parser(
        "list", help="read the sites topic to its end and print the current sites"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    _kafka_arguments(listing)
    listing.set_defaults(func=_list)
    check = sub.add_parser("check", help="validate a sites file without touching Kafka")
    check.add_argument("file", type=Path)
    check.set_defaults(func=_check)


def _kafka_arguments(parser: argparse.ArgumentParser) -> None:
    add_kafka_arguments(parser)


def _kafka(args: argparse.Namespace) -> tuple[str, str, int, int]:
    """bootstrap, topic prefix, partitions, replication factor."""
    from slawatch.config import load_settings, settings_path

    settings = load_settings(settings_path(args.config))
    kafka = settings.kafka
    bootstrap = bootstrap_servers(args, settings)
    prefix = kafka.topic_prefix if args.topic_prefix is None else args.topic_prefix
    return bootstrap, prefix, kafka.partitions, kafka.replication_factor


def _check(args: argparse.Namespace) -> int:
    from probes.sites_file import load_sites_file

    loaded = load_sites_file(args.file)
    print(f"{args.file}: {len(loaded.sites)} sites, {len(loaded.clients)} clients: valid")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from probes.site_topic import apply_sites
    from probes.sites_file import load_sites_file
    from slawatch import topics

    loaded = load_sites_file(args.file)  # fails before anything is written
    bootstrap, prefix, partitions, replication = _kafka(args)
    site_report, client_report = asyncio.run(
        apply_sites(
            bootstrap,
            loaded,
            sites_topic=topics.topic(topics.SITES, prefix),
            clients_topic=topics.topic(topics.CLIENTS, prefix),
            partitions=partitions,
            replication_factor=replication,
            prune=args.prune,
            dry_run=args.dry_run,
        )
    )
    verb = "would be" if args.dry_run else ""
    for noun, report in (("sites", site_report), ("clients", client_report)):
        print(
            f"{noun}: {len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
            + (f" ({verb} written)" if verb else "")
        )
        for label, ids in (("added", report.added), ("changed", report.changed)):
            for ident in ids:
                print(f"  {label}: {ident}")
        for ident in report.removed:
            print(f"  removed: {ident}")
        if report.kept:
            print(f"  not in {args.file}, kept (--prune removes them): {', '.join(report.kept)}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from probes.site_topic import read_compacted
    from probes.sites import Site
    from slawatch import topics

    bootstrap, prefix, _partitions, _replication = _kafka(args)
    sites = asyncio.run(read_compacted(bootstrap, topics.topic(topics.SITES, prefix), Site))
    ordered = sorted(sites.values(), key=lambda s: s.id)
    if args.json:
        for site in ordered:
            print(site.model_dump_json())
        return 0
    rows = [("ID", "CLIENT", "KIND", "INTERVAL", "REGIONS", "TARGET")]
    rows += [
        (
            s.id,
            s.client,
            s.kind,
            f"{s.interval_s:g}s",
            ",".join(s.regions) if s.regions is not None else "*",
            s.target,
        )
        for s in ordered
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    print(f"{len(ordered)} sites")
    return 0
