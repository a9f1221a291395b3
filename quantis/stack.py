"""The local stack: Dagster UI + daemon, MLflow UI and the REST API as child processes.

Every server runs in its own process group and is stopped as a group (servers started from
scripts ignore SIGINT when backgrounded).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.processes import (
    ManagedProcess,
    free_port,
    is_alive,
    log_tail,
    port_is_free,
    start_process,
    stop_process_group,
    stop_process_groups,
    wait_until_healthy,
)
from core.run_tags import DATASET_TAG
from core.settings import Settings

__all__ = ["LocalStack", "StackError", "write_dagster_instance_config"]

REPO_ROOT = Path(__file__).resolve().parents[1]

# SIGTERM to SIGKILL when the stack stops: all servers at once, so a healthy stack is gone in
# a few seconds and a hung one within 10 s, the grace supervisors (systemd, Kubernetes) allow.
STOP_GRACE_S = 8.0

_WRITTEN_BY_US = "# Written by `quantis up`"
DAGSTER_YAML = f"""\
{_WRITTEN_BY_US}: the local Dagster instance (SQLite storage under this folder).
# Rewritten by each `quantis up` while this first line stays; remove it to keep your own.
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
# One run at a time, and one per dataset (the `{DATASET_TAG}` tag) wherever more are allowed.
concurrency:
  runs:
    max_concurrent_runs: 1
    tag_concurrency_limits:
      - key: {DATASET_TAG}
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""


class StackError(RuntimeError):
    """A server of the local stack did not come up; the message carries its log tail."""


def write_dagster_instance_config(dagster_home: Path) -> Path:
    """Write `dagster.yaml` in the Dagster home unless the user has their own (one without
    our first line): a file an older `quantis up` wrote is brought up to date."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    found = path.read_text() if path.exists() else None
    if found is None or (found.startswith(_WRITTEN_BY_US) and found != DAGSTER_YAML):
        temporary = path.with_suffix(".tmp")
        temporary.write_text(DAGSTER_YAML)
        temporary.replace(path)
    return path


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _port(preferred: int) -> int:
    return preferred if port_is_free("127.0.0.1", preferred) else free_port()


@dataclass
class LocalStack:
    """Starts and stops the local servers; `urls` lists what is running."""

    settings: Settings
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    # How each server was started (command, health URL or None, timeout, environment), so the
    # supervisor can start it again the same way; `endpoints`: where each one answers.
    specs: dict[str, tuple[list[str], str | None, float, dict[str, str]]] = field(
        default_factory=dict
    )
    endpoints: dict[str, str] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.settings.home / "logs"

    def _env(self) -> dict[str, str]:
        return {"DAGSTER_HOME": str(self.settings.dagster_home), "PYTHONPATH": str(REPO_ROOT)}

    def _start(
        self,
        name: str,
        command: list[str],
        health_url: str | None,
        timeout_s: float,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        env = self._env() | (extra_env or {})
        self.specs[name] = (command, health_url, timeout_s, env)
        self.restart(name)

    def restart(self, name: str) -> ManagedProcess:
        """Start server `name` (again) as it was started first; raises `StackError` when it
        does not become healthy (a server without a health URL: when it exits at once)."""
        command, health_url, timeout_s, env = self.specs[name]
        process = start_process(command, self.log_dir / f"{name}.log", env=env, cwd=REPO_ROOT)
        self.processes[name] = process
        if health_url is None:
            time.sleep(2)
            healthy = is_alive(process.pid)
        else:
            healthy = wait_until_healthy(health_url, timeout_s=timeout_s, pid=process.pid)
        if not healthy:
            stop_process_group(process.pid)
            where = f" at {health_url}" if health_url else ""
            raise StackError(
                f"{name} did not become healthy{where} within {timeout_s:.0f}s; "
                f"log {process.log_path}:\n{log_tail(process.log_path)}"
            )
        return process

    def start_dagster(self, port: int = 3000) -> str:
        write_dagster_instance_config(self.settings.dagster_home)
        port = _port(port)
        workspace = str(REPO_ROOT / "workspace.yaml")
        self._start(
            "dagster-webserver",
            [_bin("dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(port)],
            f"http://127.0.0.1:{port}/server_info",
            timeout_s=180,
        )
        self.endpoints["dagster-webserver"] = f"http://127.0.0.1:{port}"
        self._start("dagster-daemon", [_bin("dagster-daemon"), "run", "-w", workspace], None, 2.0)
        self.urls["Dagster UI"] = f"http://127.0.0.1:{port}"
        return self.urls["Dagster UI"]

    def start_mlflow(self, port: int = 5000) -> str:
        port = _port(port)
        artifacts = self.settings.mlflow_artifact_root
        self._start(
            "mlflow",
            [
                _bin("mlflow"), "server",
                "--backend-store-uri", self.settings.mlflow_tracking_uri,
                "--default-artifact-root", artifacts,
                "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            ],
            f"http://127.0.0.1:{port}/health",
            timeout_s=120,
        )  # fmt: skip
        self.urls["MLflow UI"] = f"http://127.0.0.1:{port}"
        self.endpoints["mlflow"] = self.urls["MLflow UI"]
        return self.urls["MLflow UI"]

    def start_api(self, port: int | None = None) -> str:
        """The REST API (and the web page at `/` when `frontend/dist` is built)."""
        from quantis.commands.serve import api_command

        port = _port(port or self.settings.api_port)
        # The API reports pipeline runs from the Dagster UI this stack started, on whatever
        # port it got.
        dagster = (
            {"QUANTIS_DAGSTER_URL": self.urls["Dagster UI"]} if "Dagster UI" in self.urls else {}
        )
        self._start(
            "api",
            api_command("127.0.0.1", port),
            f"http://127.0.0.1:{port}/health",
            timeout_s=120,
            extra_env=dagster,
        )
        self.endpoints["api"] = f"http://127.0.0.1:{port}"
        self.urls["REST API"] = f"http://127.0.0.1:{port}/docs"
        self.urls["Web page"] = f"http://127.0.0.1:{port}/"
        return f"http://127.0.0.1:{port}"

    def running(self) -> dict[str, bool]:
        return {name: is_alive(p.pid) for name, p in self.processes.items()}

    def stop(self, *, also: Sequence[int | None] = ()) -> None:
        """Stop every server, and the process groups `also` names (the model server), together
        within `STOP_GRACE_S` (then SIGKILL)."""
        pids = [process.pid for process in self.processes.values()]
        stop_process_groups(pids + [pid for pid in also if pid], timeout_s=STOP_GRACE_S)
        self.processes.clear()
