"""`python -m bentos.serve [BENTO]`: `bentoml serve` on the settings' host and port.

The model-server image's command. It checks the model source first, so a missing model
version or a Bento without a model stops the container at once with the reason, instead of a
server that never becomes ready. BENTO is a Bento folder (default: the service source). With
the setting `model_server_gpu` (the -gpu image sets it) the service declares one GPU, through
BentoML's configuration (`BENTOML_CONFIG_OVERRIDES`): the service module reads no settings.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from bentos.model_source import MODEL_DIR_VARIABLE, ModelSourceError, choose_model_source
from core.settings import get_settings

__all__ = ["bento_has_model", "main", "serve_command", "serve_environment"]

SERVICE = "bentos.service:ModelServer"
BENTOML_OVERRIDES = "BENTOML_CONFIG_OVERRIDES"


def bento_has_model(bento: Path) -> bool:
    """Whether a Bento folder carries a BentoML model (`models/<name>/<version>/model.yaml`)."""
    return any((bento / "models").glob("*/*/model.yaml"))


def serve_command(target: str, host: str, port: int) -> list[str]:
    bentoml = shutil.which("bentoml") or str(Path(sys.executable).with_name("bentoml"))
    return [bentoml, "serve", target, "--host", host, "--port", str(port)]


def serve_environment(environ: dict[str, str], *, gpu: bool) -> dict[str, str]:
    """`environ` for `bentoml serve`; with `gpu`, BentoML's configuration overrides (any
    already there kept) give the service one GPU."""
    if not gpu:
        return dict(environ)
    from bentos.service import SERVICE_NAME

    overrides = json.loads(environ.get(BENTOML_OVERRIDES) or "{}")
    service = overrides.setdefault("services", {}).setdefault(SERVICE_NAME, {})
    service.setdefault("resources", {})["gpu"] = 1
    return {**environ, BENTOML_OVERRIDES: json.dumps(overrides)}


def main(argv: list[str]) -> int:
    target = argv[0] if argv else SERVICE
    settings = get_settings()
    try:
        source = choose_model_source(settings, os.environ.get(MODEL_DIR_VARIABLE))
    except ModelSourceError as error:
        print(f"model server: {error}", file=sys.stderr)
        return 2
    if source.directory is None and Path(target).is_dir() and not bento_has_model(Path(target)):
        print(
            f"model server: the Bento at {target} has no baked-in model; set "
            "QUANTIS_SERVED_MODEL_VERSION (and QUANTIS_MODEL_ARTIFACTS_DIR) to serve a "
            "version from the model volume",
            file=sys.stderr,
        )
        return 2
    command = serve_command(target, settings.model_server_host, settings.model_server_port)
    os.execve(
        command[0], command, serve_environment(dict(os.environ), gpu=settings.model_server_gpu)
    )
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
