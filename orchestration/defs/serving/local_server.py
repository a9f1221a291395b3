"""Start a model server for a Bento as a local supervised process and health-check it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from core.processes import (
    free_port,
    log_tail,
    port_is_free,
    start_process,
    stop_process_group,
    wait_until_healthy,
)
from orchestration.defs.serving.bento_build import bentoml_env

__all__ = ["LocalModelServer", "ModelServerUnhealthyError", "start_model_server"]


class ModelServerUnhealthyError(RuntimeError):
    """The new model server never became healthy; the message ends with its log tail."""


@dataclass(frozen=True)
class LocalModelServer:
    """A running model server process."""

    pid: int
    host: str
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def start_model_server(
    bento_tag: str,
    *,
    model_tag: str,
    bentoml_home: Path,
    log_dir: Path,
    host: str = "127.0.0.1",
    preferred_port: int | None = None,
    health_timeout_s: float = 120.0,
    environment: dict[str, str] | None = None,
) -> LocalModelServer:
    """Serve `bento_tag` on the preferred port when free (else any free port) and wait for
    `/readyz`. Raises `ModelServerUnhealthyError` (after stopping it) when it never gets ready.
    `environment` adds variables (the datasets it serves besides `default`).
    """
    port = preferred_port if preferred_port and port_is_free(host, preferred_port) else None
    port = port or free_port(host)
    env = bentoml_env(bentoml_home) | {"QUANTIS_BENTO_MODEL": model_tag} | (environment or {})
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    log_path = log_dir / f"model-server-{port}.log"
    process = start_process(
        [bentoml, "serve", bento_tag, "--host", host, "--port", str(port)], log_path, env=env
    )
    server = LocalModelServer(pid=process.pid, host=host, port=port, log_path=log_path)

    def startup_failed() -> bool:
        # BentoML's supervisor stays up when the service cannot start; its log says so.
        return "Application startup failed" in log_tail(log_path, 200)

    healthy = wait_until_healthy(
        f"{server.url}/readyz",
        timeout_s=health_timeout_s,
        pid=process.pid,
        gave_up=startup_failed,
        interval_s=0.5,
    )
    if not healthy:
        stop_process_group(process.pid)
        raise ModelServerUnhealthyError(
            f"model server for {bento_tag} on port {port} did not become healthy within "
            f"{health_timeout_s:.0f}s; last log lines:\n{log_tail(log_path)}"
        )
    return server
