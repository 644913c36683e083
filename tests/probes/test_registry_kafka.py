"""``slawatch sites apply/list`` through the real broker: round trip, changes, prune."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from probes.site_topic import read_compacted
from probes.sites import Client, Site
from slawatch.cli import main

TESTDATA = Path(__file__).parent / "testdata"


def sites_yaml(path: Path, ids: list[str], interval: int = 30) -> Path:
    lines = ["clients:", "  - {id: acme, support_contacts: [ops@acme.example]}", "sites:"]
    lines += [
        f"  - {{id: {i}, client: acme, kind: tcp, target: '{i}.acme.example:443', "
        f"interval_s: {interval}}}"
        for i in ids
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(*argv: str) -> int:
    return main(list(argv))


async def cleanup_policy(bootstrap: str, topic: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"cleanup.policy": None})]
        )
        return next(
            str(entry[1]) for entry in response.resources[0][4] if entry[0] == "cleanup.policy"
        )
    finally:
        await admin.close()


def test_apply_list_change_and_prune(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kafka = ("--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix)
    assert cli("sites", "apply", str(TESTDATA / "valid-sites.yaml"), *kafka) == 0
    out = capsys.readouterr().out
    assert "sites: 4 added, 0 changed, 0 unchanged, 0 removed" in out
    assert "clients: 1 added" in out

    assert cli("sites", "list", *kafka) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["ID", "CLIENT", "KIND", "INTERVAL", "REGIONS", "TARGET"]
    assert [row.split()[0] for row in listing[1:-1]] == [
        "acme-cert",
        "acme-db",
        "acme-dns",
        "acme-shop",
    ]
    assert listing[-1] == "4 sites"

    # a smaller file: nothing is deleted without --prune; the changed site is rewritten
    smaller = sites_yaml(tmp_path / "sites.yaml", ["acme-db"], interval=10)
    assert cli("sites", "apply", str(smaller), *kafka) == 0
    out = capsys.readouterr().out
    assert "sites: 0 added, 1 changed, 0 unchanged, 0 removed" in out
    assert "kept (--prune removes them): acme-cert, acme-dns, acme-shop" in out

    assert cli("sites", "apply", str(smaller), "--prune", "--dry-run", *kafka) == 0
    assert "sites: 0 added, 0 changed, 1 unchanged, 3 removed (would be written)" in (
        capsys.readouterr().out
    )
    assert cli("sites", "apply", str(smaller), "--prune", *kafka) == 0
    assert "sites: 0 added, 0 changed, 1 unchanged, 3 removed" in capsys.readouterr().out

    sites = asyncio.run(read_compacted(kafka_bootstrap, f"{topic_prefix}sites", Site))
    assert list(sites) == ["acme-db"] and sites["acme-db"].interval_s == 10
    clients = asyncio.run(read_compacted(kafka_bootstrap, f"{topic_prefix}clients", Client))
    assert clients["acme"].support_contacts == ["ops@acme.example"]
    assert clients["acme"].token is None
    for topic in ("sites", "clients"):
        policy = asyncio.run(cleanup_policy(kafka_bootstrap, f"{topic_prefix}{topic}"))
        assert policy == "compact"

    assert cli("sites", "list", "--json", *kafka) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert Site.model_validate_json(line) == sites["acme-db"]


def test_apply_rejects_an_invalid_file_before_touching_kafka(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = TESTDATA / "invalid-tcp-no-port.yaml"
    # no bootstrap given at all: the file is refused first, with exit status 2
    assert cli("sites", "apply", str(path)) == 2
    assert capsys.readouterr().err == (
        f"slawatch: {path}:7: site 'db': target: 'db.acme.example' must be host:port\n"
    )


def test_list_of_a_missing_topic_is_empty(
    kafka_bootstrap: str, topic_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("sites", "list", "--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 sites"
