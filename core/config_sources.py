"""Settings sources that pydantic-settings lacks: layered YAML files and a Kubernetes secrets dir.

Both read their location from the environment when settings are built, so tests and
deployments can point them elsewhere without touching code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "DEFAULT_SECRETS_DIR",
    "ENVIRONMENTS",
    "SECRETS_DIR_VARIABLE",
    "SecretsDirSource",
    "YamlFileSource",
    "config_dir",
    "secrets_dir",
]

CONFIG_DIR_VARIABLE = "QUANTIS_CONFIG_DIR"
SECRETS_DIR_VARIABLE = "QUANTIS_SECRETS_DIR"
DEFAULT_SECRETS_DIR = Path("/run/secrets/quantis")
ENVIRONMENTS = ("dev", "staging", "prod")
_REPO_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """Folder holding `base.yaml` and `<env>.yaml`: `QUANTIS_CONFIG_DIR` or `<repo>/config`."""
    return Path(os.environ.get(CONFIG_DIR_VARIABLE) or _REPO_ROOT / "config").absolute()


def secrets_dir() -> Path:
    """Folder of mounted secrets: `QUANTIS_SECRETS_DIR` or `/run/secrets/quantis`."""
    return Path(os.environ.get(SECRETS_DIR_VARIABLE) or DEFAULT_SECRETS_DIR)


class YamlFileSource(PydanticBaseSettingsSource):
    """Values from one YAML mapping; a missing file is an empty layer, an unknown key an error."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        loaded = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        if loaded is None:
            return {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{self.path}: expected a mapping of setting names to values")
        unknown = sorted(set(loaded) - set(self.settings_cls.model_fields))
        if unknown:
            raise ValueError(f"{self.path}: unknown setting(s) {', '.join(map(str, unknown))}")
        return loaded

    def __repr__(self) -> str:
        return f"YamlFileSource({self.path})"


class SecretsDirSource(PydanticBaseSettingsSource):
    """One file per setting, as Kubernetes mounts a Secret.

    A file may be named after the field (`secret_key`) or its variable (`QUANTIS_SECRET_KEY`),
    in any case; its content, less the trailing newline, is the value. Structured fields
    (dicts, lists) hold JSON. A missing folder is an empty layer.
    """

    def __init__(self, settings_cls: type[BaseSettings], directory: Path, prefix: str) -> None:
        super().__init__(settings_cls)
        self.directory = directory
        self.prefix = prefix.lower()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self().get(field_name), field_name, False

    def _files_by_name(self) -> dict[str, Path]:
        if not self.directory.is_dir():
            return {}
        # Kubernetes adds hidden `..data` links beside the keys; only visible files are secrets.
        return {
            entry.name.lower(): entry
            for entry in self.directory.iterdir()
            if not entry.name.startswith(".") and entry.is_file()
        }

    def __call__(self) -> dict[str, Any]:
        files = self._files_by_name()
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            path = files.get(name) or files.get(f"{self.prefix}{name}")
            if path is None:
                continue
            text = path.read_text(encoding="utf-8").rstrip("\r\n")
            values[name] = json.loads(text) if _is_structured(field) else text
        return values

    def __repr__(self) -> str:
        return f"SecretsDirSource({self.directory})"


def _is_structured(field: FieldInfo) -> bool:
    origin = getattr(field.annotation, "__origin__", field.annotation)
    return origin in (dict, list)
