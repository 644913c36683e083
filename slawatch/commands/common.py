"""Arguments and settings that the Kafka-facing sub-commands share."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from slawatch.errors import UserError

if TYPE_CHECKING:
    from slawatch.config import Settings

BOOTSTRAP_ENV = "SLAWATCH_KAFKA_BOOTSTRAP"
LOG_LEVELS = ("debug", "info", "warning", "error")


def add_kafka_arguments(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--bootstrap`` and ``--topic-prefix``."""
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="slawatch.yaml (default: $SLAWATCH_CONFIG, else built-in defaults)",
    )
    parser.add_argument(
        "--bootstrap",
        default=None,
        help=f"Kafka bootstrap servers (default: kafka.bootstrap_servers, else ${BOOTSTRAP_ENV})",
    )
    parser.add_argument("--topic-prefix", default=None, help="override kafka.topic_prefix")


def add_loglevel_argument(parser: argparse.ArgumentParser, default: str = "info") -> None:
    """``--loglevel``."""
    parser.add_argument(
        "--loglevel", default=default, choices=LOG_LEVELS, help="default %(default)s"
    )


def load_command_settings(args: argparse.Namespace) -> Settings:
    """The settings of ``--config`` (or ``$SLAWATCH_CONFIG``), validated."""
    from slawatch.config import load_settings, settings_path

    return load_settings(settings_path(args.config))


def bootstrap_servers(args: argparse.Namespace, settings: Settings) -> str:
    """``--bootstrap``, else the configuration's (``$SLAWATCH_KAFKA_BOOTSTRAP`` included)."""
    bootstrap = args.bootstrap or settings.kafka.bootstrap_servers
    if not bootstrap:
        raise UserError(
            f"no Kafka broker: give --bootstrap, kafka.bootstrap_servers or ${BOOTSTRAP_ENV} "
            "(`slawatch kafka start` runs a local one)"
        )
    return str(bootstrap)


def topic_prefix(args: argparse.Namespace, settings: Settings) -> str:
    """``--topic-prefix``, else ``kafka.topic_prefix``."""
    return settings.kafka.topic_prefix if args.topic_prefix is None else str(args.topic_prefix)
