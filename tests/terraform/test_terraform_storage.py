"""S3 buckets (storage and security modules) and ECR repositories."""

from __future__ import annotations

import re

import pytest
from tfconfig import ENVIRONMENTS, MODULES, TerraformDir, environment, module, module_input

PUBLIC_ACCESS_FLAGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)
BUCKET_MODULES = [name for name in MODULES if module(name).resources("aws_s3_bucket")]


def _configures(config: TerraformDir, resource: dict, bucket_name: str) -> bool:
    """Whether `resource` (a bucket setting) applies to `aws_s3_bucket.<bucket_name>`."""
    target = resource["bucket"]
    if re.search(rf"\baws_s3_bucket\.{bucket_name}(\[[^\]]*\])?\.(id|bucket)\b", target):
        bucket = config.resources("aws_s3_bucket")[bucket_name]
        # A for_each bucket is matched only by a setting iterating the same collection.
        return resource.get("for_each") == bucket.get("for_each") and resource.get(
            "count"
        ) == bucket.get("count")
    return False


def _settings_for(config: TerraformDir, setting_type: str, bucket_name: str) -> list[dict]:
    return [
        body
        for body in config.resources(setting_type).values()
        if _configures(config, body, bucket_name)
    ]


def _buckets() -> list[tuple[str, str]]:
    return [
        (module_name, bucket)
        for module_name in BUCKET_MODULES
        for bucket in module(module_name).resources("aws_s3_bucket")
    ]


def test_the_storage_and_audit_buckets_are_all_found() -> None:
    assert set(_buckets()) == {
        ("storage", "this"),
        ("storage", "backups_replica"),
        ("security", "audit"),
    }
    assert set(module("storage").locals()["buckets"]) == {"artifacts", "backups"}


@pytest.mark.parametrize(("module_name", "bucket"), _buckets())
def test_bucket_is_versioned(module_name: str, bucket: str) -> None:
    config = module(module_name)
    [versioning] = _settings_for(config, "aws_s3_bucket_versioning", bucket)
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"


@pytest.mark.parametrize(("module_name", "bucket"), _buckets())
def test_bucket_is_encrypted_with_kms(module_name: str, bucket: str) -> None:
    config = module(module_name)
    [encryption] = _settings_for(
        config, "aws_s3_bucket_server_side_encryption_configuration", bucket
    )
    [rule] = encryption["rule"]
    [default] = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"]


@pytest.mark.parametrize(("module_name", "bucket"), _buckets())
def test_bucket_blocks_all_public_access(module_name: str, bucket: str) -> None:
    config = module(module_name)
    [block] = _settings_for(config, "aws_s3_bucket_public_access_block", bucket)
    assert all(block[flag] is True for flag in PUBLIC_ACCESS_FLAGS)


@pytest.mark.parametrize(("module_name", "bucket"), _buckets())
def test_bucket_has_a_lifecycle_and_a_tls_only_policy(module_name: str, bucket: str) -> None:
    config = module(module_name)
    [lifecycle] = _settings_for(config, "aws_s3_bucket_lifecycle_configuration", bucket)
    assert lifecycle["rule"][0]["status"] == "Enabled"
    [policy] = _settings_for(config, "aws_s3_bucket_policy", bucket)
    document_name = re.search(r"aws_iam_policy_document\.(\w+)", policy["policy"]).group(1)
    [statement, *_] = config.data_sources("aws_iam_policy_document")[document_name]["statement"]
    assert statement["effect"] == "Deny"
    assert statement["condition"][0]["variable"] == "aws:SecureTransport"


def test_backups_expire_after_the_backup_retention() -> None:
    storage = module("storage")
    assert storage.locals()["buckets"]["backups"]["expire_days"] == "${var.backup_retention_days}"
    [replica_rule] = storage.resources("aws_s3_bucket_lifecycle_configuration")["backups_replica"][
        "rule"
    ]
    assert replica_rule["expiration"][0]["days"] == "${var.backup_retention_days}"
    retention = [module_input(name, "storage", "backup_retention_days") for name in ENVIRONMENTS]
    assert retention == sorted(retention)


def test_prod_replicates_backups_to_another_region() -> None:
    assert module_input("prod", "storage", "enable_backup_replication") is True
    storage = module("storage")
    replication = storage.resources("aws_s3_bucket_replication_configuration")["backups"]
    assert replication["bucket"] == '${aws_s3_bucket.this["backups"].id}'
    [rule] = replication["rule"]
    assert rule["status"] == "Enabled"
    assert rule["destination"][0]["bucket"] == "${aws_s3_bucket.backups_replica[0].arn}"
    assert storage.resources("aws_s3_bucket")["backups_replica"]["provider"] == "${aws.replica}"


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_replica_provider_is_in_another_region(environment_name: str) -> None:
    config = environment(environment_name)
    # python-hcl2 reads the `aws.replica = aws.replica` pair of the providers map as an expression.
    assert "${aws.replica}" in config.module_calls()["storage"]["providers"].values()
    variables = config.variables()
    assert variables["replica_region"]["default"] != variables["region"]["default"]


def test_ecr_repositories_scan_on_push_with_immutable_tags() -> None:
    repository = module("storage").resources("aws_ecr_repository")["this"]
    assert repository["image_scanning_configuration"][0]["scan_on_push"] is True
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["encryption_configuration"][0]["encryption_type"] == "KMS"
    assert module("storage").resources("aws_ecr_lifecycle_policy")["this"]
