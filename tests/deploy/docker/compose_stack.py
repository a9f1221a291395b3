"""The root docker-compose.yml, run for real by docker-compose through podman's Docker API.

`host_network_override` writes the override file the tests add to the compose file: every
service on the host network with its own free loopback port, so all traffic stays on
127.0.0.1 (containers' bridge addresses are never a target here), and moto's S3 server in the
place of MinIO (no Debian package, no registry), and Prometheus scraping the API and the model
server at their loopback ports (our prometheus.yml with those addresses; our rules as compose
mounts them). Everything else (images, commands, volumes,
healthchecks, depends_on) is the compose file's own. docker-compose itself merges the two
(`config`); published ports are then dropped, since a host-network container publishes
nothing (and docker-compose refuses the combination), and the stack runs from that result.

podman runs healthchecks from systemd timers, and there is no systemd here: `HealthTicker`
does the timers' job (`podman healthcheck run`) for the project's containers while it runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from podman import REPO_ROOT, Podman, PodmanError, PodmanService

from core.processes import free_port

__all__ = [
    "MOTO_IMAGE",
    "ComposeStack",
    "HealthTicker",
    "StackPorts",
    "host_network_override",
]

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
MOTO_IMAGE = "localhost/quantis-test/moto:latest"
ONE_SHOT = ("minio-init", "migrate", "model-fetch")


@dataclass(frozen=True)
class StackPorts:
    """One free loopback port per listening service."""

    db: int = field(default_factory=free_port)
    s3: int = field(default_factory=free_port)
    mlflow: int = field(default_factory=free_port)
    dagster_code: int = field(default_factory=free_port)
    dagster_webserver: int = field(default_factory=free_port)
    model_server: int = field(default_factory=free_port)
    api: int = field(default_factory=free_port)
    frontend: int = field(default_factory=free_port)
    prometheus: int = field(default_factory=free_port)


def _python_check(url: str) -> list[str]:
    """A healthcheck GET. No spaces in any argument: podman 4.3's Docker API splits a
    healthcheck's arguments at spaces (the compose file's own checks follow the same rule)."""
    return [
        "CMD",
        "python",
        "-c",
        f"__import__('urllib.request').request.urlopen('{url}',timeout=4)",
    ]


MONITORING = REPO_ROOT / "deploy" / "monitoring"
PROMETHEUS_TEST_DIR = "/etc/prometheus/test"  # where the override mounts its config


def prometheus_config(ports: StackPorts) -> dict:
    """deploy/monitoring/prometheus.yml with the loopback addresses of the API and the model
    server for their compose names, and its rules read where compose mounts them."""
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    loopback = {"api:8000": ports.api, "model-server:8001": ports.model_server}
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            static["targets"] = [f"127.0.0.1:{loopback[t]}" for t in static["targets"]]
    config["rule_files"] = [f"/etc/prometheus/quantis/{rules}" for rules in config["rule_files"]]
    return config


def host_network_override(ports: StackPorts, secrets: dict[str, str], work: Path) -> dict:
    """The override: host network, loopback ports, and the URLs that follow from them;
    Prometheus' config for them is written into `work/prometheus/`."""
    prometheus_dir = work / "prometheus"
    prometheus_dir.mkdir(parents=True, exist_ok=True)
    (prometheus_dir / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config(ports)))
    # Prometheus runs as nobody: pytest's folders are the owner's alone (0700).
    prometheus_dir.chmod(0o755)
    (prometheus_dir / "prometheus.yml").chmod(0o644)
    loop = "127.0.0.1"
    db_url = f"postgresql+psycopg://quantis@{loop}:{ports.db}/quantis"
    s3_url = f"http://{loop}:{ports.s3}"
    quantis = {
        "QUANTIS_DATABASE_URL": db_url,
        "QUANTIS_S3_ENDPOINT_URL": s3_url,
        "MLFLOW_S3_ENDPOINT_URL": s3_url,
        "QUANTIS_MLFLOW_TRACKING_URI": f"http://{loop}:{ports.mlflow}",
        "QUANTIS_MODEL_SERVER_URL": f"http://{loop}:{ports.model_server}",
        "QUANTIS_DAGSTER_URL": f"http://{loop}:{ports.dagster_webserver}",
    }
    dagster = {**quantis, "DAGSTER_POSTGRES_HOST": loop, "DAGSTER_POSTGRES_PORT": str(ports.db)}
    grpc = ["--grpc-host", loop, "--grpc-port", str(ports.dagster_code)]
    model_server = {
        **quantis,
        "QUANTIS_MODEL_SERVER_HOST": loop,
        "QUANTIS_MODEL_SERVER_PORT": str(ports.model_server),
    }
    bucket = (
        "import boto3; boto3.client('s3', endpoint_url='%s').create_bucket(Bucket='quantis')"
        % s3_url
    )
    services = {
        "db": {
            "command": ["postgres", "-c", f"listen_addresses={loop}", "-c", f"port={ports.db}"],
            "healthcheck": {
                "test": ["CMD", "pg_isready", "--host", loop, "--port", str(ports.db),
                         "--username", "quantis", "--dbname", "quantis"],
            },
        },
        "minio": {
            "image": MOTO_IMAGE,
            "command": ["moto_server", "-H", loop, "-p", str(ports.s3)],
            "healthcheck": {"test": _python_check(f"{s3_url}/moto-api/")},
        },
        "minio-init": {
            "image": MOTO_IMAGE,
            "entrypoint": ["python", "-c"],
            "command": [bucket],
            "environment": {
                "AWS_ACCESS_KEY_ID": "quantis",
                "AWS_SECRET_ACCESS_KEY": secrets["MINIO_ROOT_PASSWORD"],
                "AWS_DEFAULT_REGION": "us-east-1",
            },
        },
        "mlflow": {
            "environment": {
                "MLFLOW_BACKEND_STORE_URI": (
                    f"postgresql+psycopg://quantis:{secrets['QUANTIS_DATABASE_PASSWORD']}"
                    f"@{loop}:{ports.db}/mlflow"
                ),
                "MLFLOW_S3_ENDPOINT_URL": s3_url,
                "MLFLOW_HOST": loop,
                "MLFLOW_PORT": str(ports.mlflow),
            },
        },
        "migrate": {"environment": quantis},
        "dagster-code": {
            "environment": {
                **dagster,
                "DAGSTER_GRPC_HOST": loop,
                "DAGSTER_GRPC_PORT": str(ports.dagster_code),
            },
        },
        "dagster-webserver": {
            "command": ["dagster-webserver", "--host", loop,
                        "--port", str(ports.dagster_webserver), *grpc],
            "environment": dagster,
            "healthcheck": {
                "test": _python_check(f"http://{loop}:{ports.dagster_webserver}/server_info")
            },
        },
        "dagster-daemon": {
            "command": ["dagster-daemon", "run", *grpc],
            "environment": dagster,
        },
        "model-fetch": {"environment": model_server},
        "model-server": {"environment": model_server},
        "api": {
            "environment": {
                **quantis,
                "QUANTIS_API_HOST": loop,
                "QUANTIS_API_PORT": str(ports.api),
            },
        },
        "frontend": {
            "environment": {
                "QUANTIS_API_URL": f"http://{loop}:{ports.api}",
                "NGINX_PORT": f"{loop}:{ports.frontend}",
            },
        },
        "prometheus": {
            "command": [f"--config.file={PROMETHEUS_TEST_DIR}/prometheus.yml",
                        "--storage.tsdb.path=/prometheus",
                        f"--web.listen-address={loop}:{ports.prometheus}"],
            "volumes": [f"{prometheus_dir}:{PROMETHEUS_TEST_DIR}:ro"],
            "healthcheck": {
                "test": ["CMD", "wget", "-q", "-O", "/dev/null",
                         f"http://{loop}:{ports.prometheus}/-/ready"],
            },
        },
    }  # fmt: skip
    for service in services.values():
        service["network_mode"] = "host"
    return {"services": services}


class HealthTicker:
    """Runs `podman healthcheck run` for each of the project's containers at the interval
    its healthcheck asks for (podman applies start period and retries itself)."""

    def __init__(self, podman: Podman, project: str, poll_s: float = 1.0) -> None:
        self.podman, self.project, self.poll_s = podman, project, poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._due: dict[str, float] = {}
        self._interval: dict[str, float] = {}

    def __enter__(self) -> HealthTicker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            now = time.monotonic()
            for container in self.containers_with_healthchecks():
                if container not in self._interval:
                    self._interval[container] = self._healthcheck_interval(container)
                    self._due[container] = now + self._interval[container]
                if now >= self._due[container]:
                    self.podman.run("healthcheck", "run", container, check=False, timeout_s=60)
                    self._due[container] = time.monotonic() + self._interval[container]

    def _healthcheck_interval(self, container: str) -> float:
        inspected = json.loads(self.podman.run("inspect", container).stdout)[0]
        check = inspected["Config"].get("Healthcheck") or {}
        return (check.get("Interval") or 30_000_000_000) / 1e9

    def containers_with_healthchecks(self) -> list[str]:
        listed = self.podman.run(
            "ps", "--filter", f"label=com.docker.compose.project={self.project}",
            "--filter", "status=running", "--format", "{{.ID}} {{.Status}}", check=False,
        )  # fmt: skip
        return [
            line.split()[0]
            for line in listed.stdout.splitlines()
            if "(starting)" in line or "(healthy)" in line or "(unhealthy)" in line
        ]


def compose_command(files: list[Path], project: str, *args: str) -> list[str]:
    command = ["docker-compose", "--project-name", project]
    for file in files:
        command += ["--file", str(file)]
    return [*command, *args]


def merged_without_ports(override: Path, environment: dict[str, str], target: Path) -> Path:
    """docker-compose's own merge of the compose file and the override, less `ports`."""
    merged = subprocess.run(
        compose_command([COMPOSE_FILE, override], "merge", "config"),
        cwd=REPO_ROOT, env={**os.environ, **environment},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if merged.returncode != 0:
        raise PodmanError(f"docker-compose config failed:\n{merged.stderr}")
    config = yaml.safe_load(merged.stdout)
    for service in config["services"].values():
        service.pop("ports", None)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


@dataclass
class ComposeStack:
    """docker-compose over the compose file merged with the override, as one project. Each
    call merges afresh, so `extra_env` (e.g. QUANTIS_SERVED_MODEL_VERSION) is interpolated."""

    podman: Podman
    service: PodmanService
    project: str
    override: Path
    environment: dict[str, str]
    log_dir: Path

    def compose(
        self, *args: str, timeout_s: float = 900, check: bool = True, extra_env: dict | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **self.environment,
            **(extra_env or {}),
            "DOCKER_HOST": self.service.docker_host,
            "COMPOSE_HTTP_TIMEOUT": "600",
        }
        merged = merged_without_ports(self.override, env, self.log_dir / "docker-compose.run.yml")
        command = compose_command([merged], self.project, *args)
        completed = subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
        )
        with open(self.log_dir / "compose.log", "a") as log:
            log.write(f"$ {' '.join(args)}\n{completed.stdout}{completed.stderr}\n")
        if check and completed.returncode != 0:
            raise PodmanError(
                f"docker-compose {' '.join(args)} failed:\n{completed.stderr[-4000:]}\n"
                f"{self.logs()}"
            )
        return completed

    def container(self, service: str) -> str:
        return f"{self.project}_{service}_1"

    def states(self) -> dict[str, dict]:
        """Service name -> podman's state of its container (Status, ExitCode, Health)."""
        listed = self.podman.run(
            "ps", "-a", "--filter", f"label=com.docker.compose.project={self.project}",
            "--format", "{{.Names}}",
        ).stdout.split()  # fmt: skip
        states = {}
        for name in listed:
            inspected = json.loads(self.podman.run("inspect", name).stdout)[0]
            service = inspected["Config"]["Labels"]["com.docker.compose.service"]
            states[service] = inspected["State"]
        return states

    def wait_until_healthy(self, services: list[str], timeout_s: float = 600) -> dict[str, str]:
        """Every long-running service healthy and every one-shot exited 0; their states."""
        deadline = time.monotonic() + timeout_s
        summary: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = self.states()
            summary = {}
            for service in services:
                state = states.get(service, {})
                if service in ONE_SHOT:
                    done = state.get("Status") == "exited"
                    summary[service] = f"exited {state.get('ExitCode')}" if done else "running"
                    if done and state.get("ExitCode") != 0:
                        raise PodmanError(f"{service} failed:\n{self.logs(service)}")
                else:
                    health = (state.get("Health") or state.get("Healthcheck") or {}).get("Status")
                    summary[service] = health or state.get("Status", "missing")
                    if state.get("Status") == "exited":
                        raise PodmanError(f"{service} exited:\n{self.logs(service)}")
            if all(v in ("healthy", "exited 0") for v in summary.values()):
                return summary
            time.sleep(2)
        raise PodmanError(f"not healthy within {timeout_s:.0f}s: {summary}\n{self.logs()}")

    def logs(self, service: str | None = None, lines: int = 60) -> str:
        names = [service] if service else list(self.states())
        out = []
        for name in names:
            tail = self.podman.run("logs", "--tail", str(lines), self.container(name), check=False)
            out.append(f"--- {name} ---\n{tail.stdout}{tail.stderr}")
        return "\n".join(out)

    def exec(self, service: str, *command: str, timeout_s: float = 900) -> str:
        result = self.podman.run("exec", self.container(service), *command, timeout_s=timeout_s)
        return result.stdout

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)


def write_override(path: Path, ports: StackPorts, secrets: dict[str, str]) -> Path:
    override = host_network_override(ports, secrets, path.parent)
    path.write_text(yaml.safe_dump(override, sort_keys=False))
    return path
