"""terraform/modules/database: RDS PostgreSQL durability, encryption and credentials."""

from __future__ import annotations

import pytest
from tfconfig import ENVIRONMENTS, MODULES, environment, module, module_input

MIN_PROD_PITR_DAYS = 7
ALL_DIRS = [("module", name) for name in MODULES] + [("environment", name) for name in ENVIRONMENTS]


def _instance() -> dict:
    return module("database").resources("aws_db_instance")["this"]


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_database_is_multi_az(environment_name: str) -> None:
    assert _instance()["multi_az"] == "${var.multi_az}"
    assert module_input(environment_name, "database", "multi_az") is True


def test_database_storage_is_encrypted_with_the_rds_key() -> None:
    instance = _instance()
    assert instance["storage_encrypted"] is True
    assert instance["kms_key_id"] == "${var.kms_key_arn}"
    assert instance["performance_insights_kms_key_id"] == "${var.kms_key_arn}"
    for environment_name in ENVIRONMENTS:
        assert module_input(environment_name, "database", "kms_key_arn") == (
            "${module.security.rds_kms_key_arn}"
        )


def test_prod_keeps_at_least_a_week_of_point_in_time_recovery() -> None:
    assert _instance()["backup_retention_period"] == "${var.backup_retention_days}"
    assert module_input("prod", "database", "backup_retention_days") >= MIN_PROD_PITR_DAYS


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_every_environment_has_automated_backups(environment_name: str) -> None:
    assert module_input(environment_name, "database", "backup_retention_days") >= 1
    assert _instance()["delete_automated_backups"] is False
    assert _instance()["skip_final_snapshot"] is False


def test_prod_database_cannot_be_deleted() -> None:
    assert _instance()["deletion_protection"] == "${var.deletion_protection}"
    assert module_input("prod", "database", "deletion_protection") is True


def test_master_password_lives_in_secrets_manager_only() -> None:
    instance = _instance()
    assert instance["manage_master_user_password"] is True
    assert instance["master_user_secret_kms_key_id"] == "${var.kms_key_arn}"
    assert "password" not in instance
    outputs = module("database").outputs()
    assert outputs["master_user_secret_arn"]["value"].endswith(".secret_arn}")
    assert not [name for name in outputs if "password" in name]


def _password_arguments(value: object, path: str) -> list[str]:
    """Paths of arguments named like a password that hold anything but a boolean switch."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "password" in key.lower() and not isinstance(item, bool):
                found.append(f"{path}.{key}")
            found += _password_arguments(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _password_arguments(item, f"{path}[{index}]")
    return found


@pytest.mark.parametrize(("kind", "name"), ALL_DIRS)
def test_no_password_is_set_or_declared_anywhere(kind: str, name: str) -> None:
    config = module(name) if kind == "module" else environment(name)
    assert _password_arguments(config.blocks, name) == []


def test_parameter_group_forces_tls_and_is_attached() -> None:
    group = module("database").resources("aws_db_parameter_group")["this"]
    parameters = {item["name"]: item["value"] for item in group["parameter"]}
    assert parameters["rds.force_ssl"] == "1"
    assert _instance()["parameter_group_name"] == "${aws_db_parameter_group.this.name}"
    assert _instance()["publicly_accessible"] is False
