"""`docker-compose config` (Debian's docker-compose parses and validates without a daemon) on
the root docker-compose.yml, and what the file promises: healthchecks, ordering, no secrets."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml
from podman import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
SECRETS = {
    "QUANTIS_SECRET_KEY": "test-secret-key-0123456789",
    "QUANTIS_DATABASE_PASSWORD": "test-db-password",
    "MINIO_ROOT_PASSWORD": "test-minio-password",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana-password",
}
ONE_SHOT = {"minio-init", "migrate", "model-fetch"}


def _config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("QUANTIS_")
    }
    return subprocess.run(
        ["docker-compose", "--file", str(COMPOSE_FILE), "config"],
        cwd=REPO_ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def resolved() -> dict:
    result = _config(SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_compose_file_validates(resolved: dict):
    assert set(resolved["services"]) == {
        "db", "minio", "minio-init", "mlflow", "migrate", "dagster-code", "dagster-webserver",
        "dagster-daemon", "model-fetch", "model-server", "api", "frontend", "prometheus", "grafana",
    }  # fmt: skip


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_a_missing_secret_stops_compose_and_is_named(missing: str):
    result = _config({k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr


def test_no_secret_is_written_in_the_file():
    text = COMPOSE_FILE.read_text()
    # Every key naming a password or secret takes its value from the environment (.env).
    literal = re.compile(r"(?m)^\s*[A-Z_]*(PASSWORD|SECRET)[A-Z_]*:\s*(?!\$\{)\S")
    assert not literal.search(text)
    for value in SECRETS.values():
        assert value not in text


def test_services_wait_for_what_they_need(resolved: dict):
    services = resolved["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            wanted = (
                "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            )
            assert rule["condition"] == wanted, f"{name} -> {dependency}"
    assert set(services["api"]["depends_on"]) == {"migrate", "mlflow"}
    assert set(services["model-server"]["depends_on"]) == {"model-fetch"}
    assert set(services["frontend"]["depends_on"]) == {"api"}
    assert set(services["prometheus"]["depends_on"]) == {"api"}
    assert set(services["grafana"]["depends_on"]) == {"prometheus"}


def test_prometheus_and_grafana_read_our_monitoring_files(resolved: dict):
    """Prometheus gets deploy/monitoring (its prometheus.yml reads rules/ beside it), Grafana
    the provisioning folder and the dashboards where the provider looks for them."""
    services = resolved["services"]
    monitoring = str(REPO_ROOT / "deploy" / "monitoring")
    prometheus = services["prometheus"]
    assert f"{monitoring}:/etc/prometheus/quantis:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/quantis/prometheus.yml" in prometheus["command"]
    provisioning = REPO_ROOT / "deploy/monitoring/grafana/provisioning"
    provider = yaml.safe_load((provisioning / "dashboards/quantis.yml").read_text())["providers"][0]
    assert set(services["grafana"]["volumes"]) >= {
        f"{monitoring}/grafana/provisioning:/etc/grafana/provisioning:ro",
        f"{monitoring}/grafana/dashboards:{provider['options']['path']}:ro",
    }


def test_published_ports_bind_to_loopback_and_the_frontend_is_3000(resolved: dict):
    published = {
        name: service["ports"]
        for name, service in resolved["services"].items()
        if "ports" in service
    }
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name}: {port}"
    assert published["frontend"] == ["127.0.0.1:3000:80/tcp"]


def test_the_database_keeps_its_data_in_a_volume_and_has_a_healthcheck(resolved: dict):
    db = resolved["services"]["db"]
    assert "db-data:/var/lib/postgresql/data:rw" in db["volumes"]
    assert "db-data" in resolved["volumes"]
    assert db["healthcheck"]["test"][1] == "pg_isready"
