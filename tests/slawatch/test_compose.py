"""docker-compose.yml cannot run here (no Docker): check everything about it that can be checked.

Every slawatch service's command must parse with the real CLI parser, every mounted path must
exist in the repository, host ports must not collide, Kafka must be the local broker's version,
and the configuration files the containers read must load.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from probes.sites_file import load_sites_file
from slawatch.cli import build_parser
from slawatch.config import CONFIG_ENV, ENV_OVERRIDES, load_settings
from slawatch.kafka_local import KAFKA_VERSION

REPO = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SLAWATCH_SERVICES = sorted(
    name for name, s in SERVICES.items() if s.get("image") == "slawatch:local"
)


@functools.cache
def _parser() -> argparse.ArgumentParser:
    return build_parser()


def test_the_pipeline_services_are_all_there() -> None:
    assert {"kafka", "clickhouse", "grafana", "stream", "sink", "web", "migrate"} <= set(SERVICES)
    probe_regions = {
        SERVICES[name]["command"][2] for name in SLAWATCH_SERVICES if name.startswith("probe-")
    }
    assert len(probe_regions) == 2


@pytest.mark.parametrize("service", SLAWATCH_SERVICES)
def test_each_slawatch_command_parses_with_the_real_cli(service: str) -> None:
    command = SERVICES[service]["command"]
    assert isinstance(command, list) and all(isinstance(arg, str) for arg in command)
    try:
        args = _parser().parse_args(command)
    except SystemExit as exc:  # argparse's way of saying "no such command or option"
        pytest.fail(f"{service}: `slawatch {' '.join(command)}` is rejected by the CLI ({exc})")
    assert callable(args.func)


def _host_path(volume: str) -> Path | None:
    source = volume.split(":", 1)[0]
    return REPO / source if source.startswith(".") else None


def test_every_mounted_path_exists() -> None:
    mounted = [
        (name, volume)
        for name, service in SERVICES.items()
        for volume in service.get("volumes", [])
    ]
    assert mounted
    named = set(COMPOSE.get("volumes") or {})
    for name, volume in mounted:
        path = _host_path(volume)
        if path is None:
            assert volume.split(":", 1)[0] in named, f"{name}: undeclared named volume {volume}"
        else:
            assert path.exists(), f"{name}: mounts {volume}, but {path} does not exist"


def test_host_ports_do_not_collide() -> None:
    host_ports = [
        (name, str(port).rsplit(":", 1)[0].rsplit(":", 1)[-1])
        for name, service in SERVICES.items()
        for port in service.get("ports", [])
    ]
    ports = [p for _, p in host_ports]
    assert len(ports) == len(set(ports)), f"host ports used twice: {host_ports}"


def test_dependencies_name_existing_services() -> None:
    for name, service in SERVICES.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"
            assert dependency != name


def test_kafka_is_the_local_brokers_version() -> None:
    assert SERVICES["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    cluster_id = str(SERVICES["kafka"]["environment"]["CLUSTER_ID"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)


def test_slawatch_environment_names_real_overrides() -> None:
    for name in SLAWATCH_SERVICES:
        for variable in SERVICES[name]["environment"]:
            assert variable in ENV_OVERRIDES or variable == CONFIG_ENV, f"{name}: {variable}"


def test_the_containers_configuration_and_sites_load() -> None:
    env = {k: str(v) for k, v in SERVICES["sink"]["environment"].items()}
    env = {k: v.replace("${CLICKHOUSE_PASSWORD:-slawatch}", "slawatch") for k, v in env.items()}
    settings = load_settings(REPO / "deploy/compose/slawatch.yaml", env=env)
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.clickhouse_dsn().startswith("http://slawatch:slawatch@clickhouse:8123")
    sites = load_sites_file(REPO / "deploy/compose/sites.yaml")
    assert {s.id for s in sites.sites} == {s.id for s in settings.sites}
    regions = {r.name for r in settings.regions}
    assert {
        SERVICES[n]["command"][2] for n in SLAWATCH_SERVICES if n.startswith("probe-")
    } == regions


def test_grafana_gets_the_plugin_and_the_provisioned_data_source() -> None:
    grafana = SERVICES["grafana"]
    assert "grafana-clickhouse-datasource" in grafana["environment"]["GF_INSTALL_PLUGINS"]
    (mount,) = [v for v in grafana["volumes"] if v.startswith("./deploy/grafana:")]
    container_dir = mount.split(":")[1]
    provisioning = grafana["environment"]["GF_PATHS_PROVISIONING"]
    assert provisioning.startswith(container_dir)
    local = REPO / "deploy/grafana" / Path(provisioning).relative_to(container_dir)
    datasource = yaml.safe_load((local / "datasources" / "clickhouse.yaml").read_text())
    (source,) = datasource["datasources"]
    assert source["type"] == "grafana-clickhouse-datasource"
    for placeholder in re.findall(r"\$\{(\w+)\}", yaml.safe_dump(source)):
        assert placeholder in grafana["environment"], f"{placeholder} is not given to Grafana"


def test_the_dockerfile_copies_what_exists() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            *sources, _ = line.split()[1:]
            for source in sources:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"
    assert 'ENTRYPOINT ["slawatch"]' in dockerfile


def test_provisioned_dashboards_are_inside_the_mount_and_use_the_data_source() -> None:
    grafana = SERVICES["grafana"]
    (mount,) = [v for v in grafana["volumes"] if v.startswith("./deploy/grafana:")]
    container_dir = Path(mount.split(":")[1])
    provisioning = REPO / "deploy/grafana/provisioning"
    datasource = yaml.safe_load((provisioning / "datasources/clickhouse.yaml").read_text())
    uid = datasource["datasources"][0]["uid"]
    for provider_file in sorted((provisioning / "dashboards").glob("*.yaml")):
        for provider in yaml.safe_load(provider_file.read_text())["providers"]:
            path = Path(provider["options"]["path"])
            local = REPO / "deploy/grafana" / path.relative_to(container_dir)
            dashboards = sorted(local.glob("*.json"))
            assert dashboards, f"{provider_file.name}: no dashboard in {local}"
            for dashboard in dashboards:
                used = set(_datasource_uids(json.loads(dashboard.read_text())))
                assert used == {uid}, f"{dashboard.name} uses data sources {used}, not {uid}"


def _datasource_uids(node: Any) -> list[str]:
    """Every ``datasource.uid`` in a dashboard (panels, targets, variables)."""
    if isinstance(node, list):
        return [u for item in node for u in _datasource_uids(item)]
    if not isinstance(node, dict):
        return []
    found = []
    source = node.get("datasource")
    if isinstance(source, dict) and isinstance(source.get("uid"), str):
        found.append(source["uid"])
    return found + [u for k, v in node.items() if k != "datasource" for u in _datasource_uids(v)]
