"""Read the Terraform configuration under `terraform/` with python-hcl2 for property tests.

python-hcl2 8.x keeps expressions as `${...}` strings; with `strip_string_quotes` literal
strings come back bare, numbers and booleans as Python values, blocks as lists of dicts.
`TerraformDir` merges every `.tf` file of one directory the way Terraform does and offers
the blocks by kind, so a test reads like the property it checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

__all__ = [
    "ENVIRONMENTS",
    "ENVIRONMENTS_DIR",
    "MODULES",
    "MODULES_DIR",
    "REPO_ROOT",
    "TERRAFORM_DIR",
    "TerraformDir",
    "environment",
    "expression",
    "is_expression",
    "module",
    "module_input",
    "parse_file",
    "references",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "terraform"
MODULES_DIR = TERRAFORM_DIR / "modules"
ENVIRONMENTS_DIR = TERRAFORM_DIR / "environments"
MODULES = ("network", "compute", "database", "storage", "security")
ENVIRONMENTS = ("dev", "staging", "prod")

_OPTIONS = SerializationOptions(
    with_comments=False, strip_string_quotes=True, explicit_blocks=False
)
# var.x, local.x, module.m.x, data.t.n, and resource references such as aws_s3_bucket.this.
_REFERENCE = re.compile(r"\b(?:var|local|module|data|aws_[a-z0-9_]+)\.[A-Za-z0-9_\-.]+")


def parse_file(path: Path) -> dict[str, Any]:
    """Parse one HCL file; a syntax error names the file."""
    try:
        with path.open(encoding="utf-8") as handle:
            return hcl2.load(handle, serialization_options=_OPTIONS)
    except Exception as error:  # python-hcl2 raises lark errors of several kinds
        raise ValueError(f"{path}: cannot be parsed as HCL: {error}") from error


def is_expression(value: Any) -> bool:
    """True for an unevaluated Terraform expression such as `${var.name}`."""
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def expression(value: Any) -> str:
    """The text inside `${...}`; fails loudly when `value` is a literal."""
    if not is_expression(value):
        raise ValueError(f"expected a Terraform expression, got the literal {value!r}")
    return value[2:-1]


def references(value: Any) -> set[str]:
    """Every `var.`, `local.`, `module.`, `data.` and `aws_*` reference anywhere in `value`."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(match.rstrip(".") for match in _REFERENCE.findall(value))
    elif isinstance(value, dict):
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


@dataclass(frozen=True)
class TerraformDir:
    """All top-level blocks of the `.tf` files in one module or environment directory."""

    path: Path
    blocks: dict[str, list[dict[str, Any]]]

    @classmethod
    def load(cls, path: Path) -> TerraformDir:
        files = sorted(path.glob("*.tf"))
        if not files:
            raise FileNotFoundError(f"{path} holds no .tf files")
        blocks: dict[str, list[dict[str, Any]]] = {}
        for file in files:
            for kind, entries in parse_file(file).items():
                blocks.setdefault(kind, []).extend(entries)
        return cls(path=path, blocks=blocks)

    def _labelled(self, kind: str) -> dict[str, dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for entry in self.blocks.get(kind, []):
            for label, body in entry.items():
                if label in merged:
                    raise ValueError(f"{self.path}: {kind} {label!r} is declared twice")
                merged[label] = body
        return merged

    def variables(self) -> dict[str, dict[str, Any]]:
        return self._labelled("variable")

    def outputs(self) -> dict[str, dict[str, Any]]:
        return self._labelled("output")

    def module_calls(self) -> dict[str, dict[str, Any]]:
        return self._labelled("module")

    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for entry in self.blocks.get("locals", []):
            merged.update(entry)
        return merged

    def _typed(self, kind: str, type_name: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for entry in self.blocks.get(kind, []):
            for name, body in entry.get(type_name, {}).items():
                found[name] = body
        return found

    def resources(self, type_name: str) -> dict[str, dict[str, Any]]:
        """Resources of one type, by name: `resources("aws_s3_bucket")["this"]`."""
        return self._typed("resource", type_name)

    def data_sources(self, type_name: str) -> dict[str, dict[str, Any]]:
        return self._typed("data", type_name)

    def all_resources(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(type, name, body) of every resource."""
        for entry in self.blocks.get("resource", []):
            for type_name, named in entry.items():
                for name, body in named.items():
                    yield type_name, name, body

    def terraform_settings(self) -> dict[str, Any]:
        """The merged `terraform {}` blocks."""
        merged: dict[str, Any] = {}
        for entry in self.blocks.get("terraform", []):
            merged.update(entry)
        return merged

    def providers(self) -> list[tuple[str, dict[str, Any]]]:
        """(provider name, body) of every provider block, aliases included."""
        return [
            (name, body)
            for entry in self.blocks.get("provider", [])
            for name, body in entry.items()
        ]


@cache
def module(name: str) -> TerraformDir:
    return TerraformDir.load(MODULES_DIR / name)


@cache
def environment(name: str) -> TerraformDir:
    return TerraformDir.load(ENVIRONMENTS_DIR / name)


def module_input(environment_name: str, module_name: str, variable: str) -> Any:
    """What `environment_name` gives `variable` of `module_name`: its argument, else the default."""
    call = environment(environment_name).module_calls()[module_name]
    if variable in call:
        return call[variable]
    declared = module(module_name).variables()[variable]
    if "default" not in declared:
        raise KeyError(
            f"environments/{environment_name} does not pass {module_name}.{variable}, "
            "which has no default"
        )
    return declared["default"]
