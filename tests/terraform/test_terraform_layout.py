"""Shape of terraform/: module files, pinned versions, declared inputs and outputs, environments.

These are the checks `terraform validate` would make about wiring (plus the conventions it
does not check), done on the parsed configuration so they run with no provider installed.
"""

from __future__ import annotations

import re

import pytest
from tfconfig import (
    ENVIRONMENTS,
    ENVIRONMENTS_DIR,
    MODULES,
    MODULES_DIR,
    TerraformDir,
    environment,
    module,
    parse_file,
    references,
)

MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
META_ARGUMENTS = {"source", "version", "providers", "depends_on", "count", "for_each"}
ALL_DIRS = [("module", name) for name in MODULES] + [("environment", name) for name in ENVIRONMENTS]


def _load(kind: str, name: str) -> TerraformDir:
    return module(name) if kind == "module" else environment(name)


def _aws_provider_pin(config: TerraformDir) -> dict:
    [providers] = config.terraform_settings()["required_providers"]
    return providers["aws"]


@pytest.mark.parametrize("name", MODULES)
def test_module_has_the_standard_files(name: str) -> None:
    missing = [file for file in MODULE_FILES if not (MODULES_DIR / name / file).is_file()]
    assert missing == []


@pytest.mark.parametrize("name", MODULES)
def test_module_readme_documents_every_input_and_output(name: str) -> None:
    readme = (MODULES_DIR / name / "README.md").read_text(encoding="utf-8")
    names = [*module(name).variables(), *module(name).outputs()]
    undocumented = [item for item in names if f"`{item}`" not in readme]
    assert undocumented == []


@pytest.mark.parametrize(("kind", "name"), ALL_DIRS)
def test_aws_provider_is_pinned_to_one_exact_version(kind: str, name: str) -> None:
    config = _load(kind, name)
    pin = _aws_provider_pin(config)
    assert pin["source"] == "hashicorp/aws"
    assert EXACT_VERSION.match(pin["version"]), pin["version"]
    assert pin["version"] == _aws_provider_pin(module("network"))["version"]
    assert config.terraform_settings()["required_version"].startswith(">=")


@pytest.mark.parametrize(("kind", "name"), ALL_DIRS)
def test_every_variable_has_a_type_and_a_description(kind: str, name: str) -> None:
    variables = _load(kind, name).variables()
    assert variables
    incomplete = [
        variable
        for variable, body in variables.items()
        if not body.get("type") or not str(body.get("description", "")).strip()
    ]
    assert incomplete == []


@pytest.mark.parametrize(("kind", "name"), ALL_DIRS)
def test_every_output_has_a_description(kind: str, name: str) -> None:
    outputs = _load(kind, name).outputs()
    assert outputs
    assert [output for output, body in outputs.items() if not body.get("description")] == []


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_environment_calls_all_five_modules_from_the_modules_folder(environment_name: str) -> None:
    calls = environment(environment_name).module_calls()
    assert {name: call["source"] for name, call in calls.items()} == {
        name: f"../../modules/{name}" for name in MODULES
    }


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
@pytest.mark.parametrize("module_name", MODULES)
def test_module_inputs_are_declared_and_required_ones_passed(
    environment_name: str, module_name: str
) -> None:
    call = environment(environment_name).module_calls()[module_name]
    declared = module(module_name).variables()
    passed = set(call) - META_ARGUMENTS
    required = {name for name, body in declared.items() if "default" not in body}

    assert passed - set(declared) == set(), "inputs the module does not declare"
    assert required - passed == set(), "required inputs the environment does not pass"


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_module_outputs_an_environment_uses_exist(environment_name: str) -> None:
    config = environment(environment_name)
    used = references(config.blocks)
    missing = []
    for reference in sorted(ref for ref in used if ref.startswith("module.")):
        _, module_name, output, *_ = reference.split(".")
        if output not in module(module_name).outputs():
            missing.append(reference)
    assert missing == []


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_environment_only_references_its_declared_variables_and_locals(
    environment_name: str,
) -> None:
    config = environment(environment_name)
    used = references(config.blocks)
    variables = {ref.split(".")[1] for ref in used if ref.startswith("var.")}
    locals_ = {ref.split(".")[1] for ref in used if ref.startswith("local.")}
    assert variables - set(config.variables()) == set()
    assert locals_ - set(config.locals()) == set()


@pytest.mark.parametrize("module_name", MODULES)
def test_module_only_references_its_declared_variables(module_name: str) -> None:
    config = module(module_name)
    used = {ref.split(".")[1] for ref in references(config.blocks) if ref.startswith("var.")}
    assert used - set(config.variables()) == set()
    # Every declared input is used, so none is silently ignored.
    assert set(config.variables()) - used == set()


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_environment_has_an_s3_backend_with_a_dynamodb_lock(environment_name: str) -> None:
    [backend] = environment(environment_name).terraform_settings()["backend"]
    s3 = backend["s3"]
    assert s3["key"] == f"{environment_name}/terraform.tfstate"
    assert s3["bucket"] and s3["dynamodb_table"]
    assert s3["encrypt"] is True


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_example_tfvars_sets_only_declared_variables_and_all_required_ones(
    environment_name: str,
) -> None:
    values = parse_file(ENVIRONMENTS_DIR / environment_name / "example.tfvars")
    declared = environment(environment_name).variables()
    required = {name for name, body in declared.items() if "default" not in body}
    assert set(values) - set(declared) == set()
    assert required - set(values) == set()


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_every_resource_is_tagged_through_provider_default_tags(environment_name: str) -> None:
    config = environment(environment_name)
    tags = config.locals()["tags"]
    assert tags["Environment"] == environment_name
    assert tags["Application"] == "Quantis"
    assert tags["CostCenter"] == "${var.cost_center}"
    providers = config.providers()
    assert {body.get("alias") for _, body in providers} == {None, "replica"}
    for _, body in providers:
        [default_tags] = body["default_tags"]
        assert default_tags["tags"] == "${local.tags}"


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_receives_the_environment_tags(
    environment_name: str, module_name: str
) -> None:
    call = environment(environment_name).module_calls()[module_name]
    assert call["tags"] == "${local.tags}"
    assert module(module_name).locals()["tags"] == (
        '${merge(var.tags, {Module = "' + module_name + '"})}'
    )


def test_sizes_grow_from_dev_to_prod() -> None:
    def sizes(environment_name: str) -> tuple[int, int, int, int]:
        calls = environment(environment_name).module_calls()
        general = calls["compute"]["general_node_group"]
        gpu = calls["compute"]["gpu_node_group"]
        database = calls["database"]
        return (
            general["max_size"],
            gpu["max_size"],
            database["max_allocated_storage_gib"],
            database["backup_retention_days"],
        )

    dev, staging, prod = (sizes(name) for name in ENVIRONMENTS)
    assert all(d <= s <= p for d, s, p in zip(dev, staging, prod, strict=True))
    assert dev < prod
