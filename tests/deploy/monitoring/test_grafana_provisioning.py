"""deploy/monitoring/grafana/provisioning: Grafana's documented file formats, and files that
fit the compose stack (the data source is its Prometheus, the provider reads the folder compose
mounts our dashboards at, the dashboards find the data source)."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml
from grafana_provisioning import DASHBOARD_PROVIDERS_SCHEMA, DATASOURCES_SCHEMA
from monitoring_files import MONITORING

PROVISIONING = MONITORING / "grafana" / "provisioning"
COMPOSE = yaml.safe_load((MONITORING.parents[1] / "docker-compose.yml").read_text())


def _load(path):
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def datasources() -> dict:
    [path] = sorted((PROVISIONING / "datasources").glob("*.yml"))
    return _load(path)


@pytest.fixture(scope="module")
def providers() -> dict:
    [path] = sorted((PROVISIONING / "dashboards").glob("*.yml"))
    return _load(path)


def test_the_files_follow_grafanas_documented_format(datasources, providers):
    jsonschema.validate(datasources, DATASOURCES_SCHEMA)
    jsonschema.validate(providers, DASHBOARD_PROVIDERS_SCHEMA)


@pytest.mark.parametrize(
    ("which", "mistake"),
    [
        ("datasources", lambda d: d["datasources"][0].update(is_default=True)),  # snake case
        ("datasources", lambda d: d["datasources"][0].update(access="server")),
        ("datasources", lambda d: d.update(apiVersion=2)),
        ("providers", lambda d: d["providers"][0]["options"].update(folder="/dashboards")),
        ("providers", lambda d: d["providers"][0].pop("options")),
    ],
    ids=["snake-case-key", "bad-access", "wrong-version", "unknown-option", "no-path"],
)
def test_the_format_check_catches_mistakes(datasources, providers, which, mistake):
    broken = copy.deepcopy({"datasources": datasources, "providers": providers}[which])
    mistake(broken)
    schema = DATASOURCES_SCHEMA if which == "datasources" else DASHBOARD_PROVIDERS_SCHEMA
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_data_source_is_the_compose_prometheus(datasources):
    [source] = datasources["datasources"]
    prometheus = COMPOSE["services"]["prometheus"]
    listen = next(a for a in prometheus["command"] if a.startswith("--web.listen-address="))
    assert source["type"] == "prometheus" and source["isDefault"] is True
    assert source["url"] == f"http://prometheus:{listen.rsplit(':', 1)[1]}"
    scrape = _load(MONITORING / "prometheus.yml")["global"]["scrape_interval"]
    assert source["jsonData"]["timeInterval"] == scrape


def test_the_provider_reads_the_dashboards_compose_mounts(providers):
    [provider] = providers["providers"]
    mounts = COMPOSE["services"]["grafana"]["volumes"]
    assert f"./deploy/monitoring/grafana/dashboards:{provider['options']['path']}:ro" in mounts
    assert "./deploy/monitoring/grafana/provisioning:/etc/grafana/provisioning:ro" in mounts


def test_every_dashboard_picks_a_prometheus_data_source(datasources):
    """The dashboards choose their data source by a variable of type prometheus; provisioned
    with no saved choice, Grafana takes the default one, which must be of that type."""
    kinds = {source["type"] for source in datasources["datasources"] if source.get("isDefault")}
    for path in sorted((MONITORING / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        [variable] = [v for v in board["templating"]["list"] if v["type"] == "datasource"]
        assert variable["query"] in kinds, path.name
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, path.name
