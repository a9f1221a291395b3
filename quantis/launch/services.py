"""The services `quantis up` supervises, and the file that tells `quantis status` about them.

The stack's servers start again as they were started (`LocalStack.restart`); the model server
starts again from the active deployment record (same Bento, model and port), and the record
learns the new pid so that the API and the next roll-out see it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from core.settings import Settings
from quantis.launch.supervisor import Started, Supervisor
from quantis.stack import LocalStack

__all__ = [
    "MODEL_SERVER",
    "read_status_file",
    "remove_status_file",
    "status_file",
    "supervise",
    "write_status_file",
]

MODEL_SERVER = "model-server"


def status_file(settings: Settings) -> Path:
    return settings.home / "run" / "up.json"


def write_status_file(settings: Settings, supervisor: Supervisor) -> None:
    """What runs now, for `quantis status` (written again after every change)."""
    services = {
        name: {
            "pid": service.current.pid,
            "url": service.current.url,
            "log": str(service.current.log_path) if service.current.log_path else None,
            "given_up": service.given_up,
        }
        for name, service in supervisor.services.items()
    }
    path = status_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({"up_pid": os.getpid(), "written_at": time.time(), "services": services})
    )
    temporary.replace(path)


def read_status_file(settings: Settings) -> dict[str, Any] | None:
    path = status_file(settings)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def remove_status_file(settings: Settings) -> None:
    status_file(settings).unlink(missing_ok=True)


def _stack_start(stack: LocalStack, name: str):
    def start() -> Started:
        process = stack.restart(name)
        return Started(process.pid, stack.endpoints.get(name), process.log_path)

    return start


def _model_server_start(settings: Settings):
    """Start the active deployment's model server again and record its new pid."""

    def start() -> Started:
        from core.db.engine import make_engine, session_scope
        from core.db.repositories.deployments import get_active_deployment
        from orchestration.defs.serving.local_server import start_model_server

        engine = make_engine(settings.database_url)
        try:
            with session_scope(engine) as session:
                active = get_active_deployment(session, "local")
                if active is None or not active.bento_tag:
                    raise RuntimeError("no active local deployment to serve")
                details = dict(active.details or {})
                _wait_for_port(settings.model_server_host, details.get("port"))
                server = start_model_server(
                    active.bento_tag,
                    model_tag=details["model_tag"],
                    bentoml_home=settings.bentoml_home,
                    log_dir=settings.home / "logs",
                    host=settings.model_server_host,
                    preferred_port=details.get("port"),
                )
                active.endpoint_url = server.url
                active.details = details | {
                    "pid": server.pid, "port": server.port, "log": str(server.log_path),
                }  # fmt: skip
        finally:
            engine.dispose()
        return Started(server.pid, server.url, server.log_path)

    return start


def _wait_for_port(host: str, port: int | None, timeout_s: float = 15.0) -> None:
    """Give the killed server's port a moment to be released, so the address stays."""
    from core.processes import port_is_free

    deadline = time.monotonic() + timeout_s
    while port and not port_is_free(host, port) and time.monotonic() < deadline:
        time.sleep(0.5)


def supervise(
    settings: Settings, stack: LocalStack, supervisor: Supervisor, model_server: Started | None
) -> None:
    """Register every server of the stack, and the model server when one is active."""
    for name, process in stack.processes.items():
        supervisor.add(
            name,
            _stack_start(stack, name),
            Started(process.pid, stack.endpoints.get(name), process.log_path),
        )
    if model_server is not None:
        supervisor.add(MODEL_SERVER, _model_server_start(settings), model_server)
    write_status_file(settings, supervisor)
