"""Write deploy/kubernetes/environments/<env>/terraform-outputs.env from terraform's outputs.

After `terraform apply` in terraform/environments/<env>, the manifests need what terraform
made: the IRSA role of each service account, the artifacts and backups buckets and the RDS
endpoint. This reads `terraform output -json` (or a saved copy of it) and rewrites the
environment's file; VPC_CIDR is kept (it is a literal of terraform/environments/<env>/main.tf,
which tests/deploy/kubernetes/test_consistency.py compares it with).

Usage: python scripts/kubernetes_terraform_outputs.py ENV [--outputs-json FILE] [--env-file FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "staging", "prod")
SERVICE_ACCOUNTS = ("quantis-api", "quantis-model-server", "quantis-backup", "quantis-dagster")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@-]+")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class OutputsError(ValueError):
    """terraform's outputs lack something the manifests need, or hold something malformed."""


def env_file(environment: str) -> Path:
    return (
        REPO_ROOT / "deploy" / "kubernetes" / "environments" / environment / "terraform-outputs.env"
    )


def _value(outputs: dict, name: str):
    if name not in outputs or "value" not in outputs[name]:
        raise OutputsError(f"terraform has no output {name!r}; was `terraform apply` run?")
    return outputs[name]["value"]


def _checked(name: str, value: object, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise OutputsError(f"{name}: {value!r} is not a valid value")
    return value


def values_from_outputs(outputs: dict, vpc_cidr: str) -> dict[str, str]:
    """The env file's entries from `terraform output -json` of one environment."""
    roles = _value(outputs, "service_account_role_arns")
    values: dict[str, str] = {}
    for account in SERVICE_ACCOUNTS:
        if account not in roles:
            raise OutputsError(f"service_account_role_arns has no role for {account}")
        key = f"ROLE_ARN_{account.upper().replace('-', '_')}"
        values[key] = _checked(key, roles[account], _ROLE_ARN)
    values["ARTIFACTS_BUCKET"] = _checked(
        "artifacts_bucket_name", _value(outputs, "artifacts_bucket_name"), _BUCKET
    )
    values["BACKUPS_BUCKET"] = _checked(
        "backups_bucket_name", _value(outputs, "backups_bucket_name"), _BUCKET
    )
    endpoint = _value(outputs, "database_endpoint")
    host = endpoint.rsplit(":", 1)[0] if isinstance(endpoint, str) else endpoint
    values["DATABASE_HOST"] = _checked("database_endpoint", host, re.compile(r"[a-z0-9.-]+"))
    values["VPC_CIDR"] = vpc_cidr
    return values


def _current_vpc_cidr(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("VPC_CIDR="):
            return line.removeprefix("VPC_CIDR=")
    raise OutputsError(f"{path} has no VPC_CIDR line")


def render(environment: str, values: dict[str, str]) -> str:
    header = [
        f"# Values from `terraform output` of terraform/environments/{environment}, written by",
        f"# `scripts/kubernetes_terraform_outputs.py {environment}` after `terraform apply` "
        '(README: "Provision").',
    ]
    return "\n".join([*header, *(f"{key}={value}" for key, value in values.items())]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("environment", choices=ENVIRONMENTS)
    parser.add_argument("--outputs-json", type=Path, help="a saved `terraform output -json`")
    parser.add_argument("--env-file", type=Path, help="file to write (default: the env's)")
    args = parser.parse_args(argv)
    if args.outputs_json:
        text = args.outputs_json.read_text()
    else:
        folder = REPO_ROOT / "terraform" / "environments" / args.environment
        text = subprocess.run(
            ["terraform", f"-chdir={folder}", "output", "-json"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    target = args.env_file or env_file(args.environment)
    try:
        values = values_from_outputs(json.loads(text), _current_vpc_cidr(target))
    except (OutputsError, json.JSONDecodeError) as error:
        print(f"kubernetes_terraform_outputs: {error}", file=sys.stderr)
        return 1
    scratch = target.with_suffix(".env.partial")
    scratch.write_text(render(args.environment, values))
    scratch.replace(target)  # never a half-written file
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
