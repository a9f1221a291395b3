"""Debian's Prometheus with our rules, scraping a running API and model server: both `up`,
then the model server stops and QuantisModelServerDown goes pending. Bounded in time; the
Prometheus process is stopped in any case."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from monitoring_files import MONITORING

from core.processes import free_port, log_tail, start_process, stop_process_group

PROMETHEUS = Path("/usr/bin/prometheus")
STEP_TIMEOUT_S = 60.0


def _config(api: str, model_server: str) -> dict:
    """Our compose prometheus.yml with loopback targets and one-second intervals."""
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(MONITORING / "rules" / "quantis.rules.yml")]
    targets = {"quantis-api": api, "quantis-model-server": model_server}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    return config


@pytest.fixture
def prometheus(monitored_stack, tmp_path) -> Iterator[str]:
    assert PROMETHEUS.is_file(), "scripts/ensure_prometheus.sh installs Debian's prometheus"
    config_file = tmp_path / "prometheus.yml"
    config_file.write_text(
        yaml.safe_dump(
            _config(
                f"127.0.0.1:{monitored_stack.api_port}",
                f"127.0.0.1:{monitored_stack.model_server.port}",
            )
        )
    )
    port = free_port()
    process = start_process(
        [str(PROMETHEUS), f"--config.file={config_file}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        tmp_path / "prometheus.log",
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(lambda: httpx.get(f"{url}/-/ready", timeout=2).status_code == 200, "ready")
        yield url
    except BaseException:
        print(log_tail(process.log_path))
        raise
    finally:
        stop_process_group(process.pid)


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"Prometheus: not {what} within {STEP_TIMEOUT_S:.0f} s")


def _up(url: str) -> dict[str, float]:
    result = httpx.get(f"{url}/api/v1/query", params={"query": "up"}, timeout=5).json()
    return {r["metric"]["job"]: float(r["value"][1]) for r in result["data"]["result"]}


def _alert_states(url: str) -> dict[str, str]:
    alerts = httpx.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return {a["labels"]["alertname"]: a["state"] for a in alerts}


def test_prometheus_scrapes_both_and_sees_the_model_server_go_down(prometheus, monitored_stack):
    _wait(
        lambda: _up(prometheus) == {"quantis-api": 1.0, "quantis-model-server": 1.0},
        "up on both targets",
    )
    rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert {g["name"] for g in rules} >= {"quantis-availability", "quantis-accuracy"}
    assert "QuantisModelServerDown" not in _alert_states(prometheus)
    monitored_stack.model_server.stop()
    _wait(lambda: _up(prometheus).get("quantis-model-server") == 0.0, "model server down")
    _wait(
        lambda: _alert_states(prometheus).get("QuantisModelServerDown") == "pending",
        "QuantisModelServerDown pending",
    )
    assert _up(prometheus)["quantis-api"] == 1.0
    assert "QuantisApiDown" not in _alert_states(prometheus)
