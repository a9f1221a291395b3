"""terraform/modules/security and every IAM policy in terraform/: least privilege, keys, audit."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from tfconfig import (
    ENVIRONMENTS,
    MODULES,
    TERRAFORM_DIR,
    environment,
    module,
    module_input,
    references,
)

from core.settings import load_settings

# The IRSA contract with the application's Kubernetes service accounts.
EXPECTED_GRANTS = {
    "quantis-dagster": {
        "artifacts_read",
        "artifacts_write",
        "backups_read",
        "backups_write",
        "ecr_pull",
    },
    "quantis-api": {"artifacts_read"},
    "quantis-model-server": {"artifacts_read"},
    "quantis-backup": {"backups_read", "backups_write", "artifacts_read"},
}
# Each grant may name only these resources (inputs of the security module, or its s3 key).
GRANT_RESOURCES = {
    "artifacts_read": {"var.artifacts_bucket_arn", "aws_kms_key.this"},
    "artifacts_write": {"var.artifacts_bucket_arn", "aws_kms_key.this"},
    "backups_read": {"var.backups_bucket_arn", "aws_kms_key.this"},
    "backups_write": {"var.backups_bucket_arn", "aws_kms_key.this"},
    "ecr_pull": {"var.ecr_repository_arns"},
}
# Actions AWS cannot scope to a resource; only these may stand beside Resource "*".
UNSCOPABLE_ACTION = re.compile(r"^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$")
WILDCARD_ACTIONS = {"*", "*:*"}


def _statements() -> Iterator[tuple[str, str, dict]]:
    for module_name in MODULES:
        documents = module(module_name).data_sources("aws_iam_policy_document")
        for document_name, document in documents.items():
            for statement in document.get("statement", []):
                yield module_name, document_name, statement


def _allow_statements() -> Iterator[tuple[str, str, dict]]:
    for module_name, document_name, statement in _statements():
        if statement.get("effect", "Allow") == "Allow":
            yield module_name, document_name, statement


def test_policy_documents_are_found_in_every_module() -> None:
    assert {module_name for module_name, _, _ in _statements()} == set(MODULES)


def test_no_policy_allows_every_action_on_every_resource() -> None:
    offenders = [
        f"{module_name}.{document}"
        for module_name, document, statement in _allow_statements()
        if WILDCARD_ACTIONS & set(statement.get("actions", []))
        or (
            WILDCARD_ACTIONS & set(statement.get("not_actions", []))
            and "*" in statement.get("resources", ["*"])
        )
    ]
    assert offenders == []


def test_statements_on_every_resource_only_hold_actions_aws_cannot_scope() -> None:
    offenders = [
        f"{module_name}.{document}: {action}"
        for module_name, document, statement in _allow_statements()
        if "*" in statement.get("resources", [])
        for action in statement["actions"]
        if not UNSCOPABLE_ACTION.match(action)
    ]
    assert offenders == []


def test_no_inline_json_policy_grants_every_action() -> None:
    wildcard_action = re.compile(r'\b(Action|actions)\s*=\s*\[?\s*"\*(:\*)?"')
    offenders = [
        str(path.relative_to(TERRAFORM_DIR))
        for path in TERRAFORM_DIR.rglob("*.tf")
        if wildcard_action.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_kms_key_policies_name_their_principals() -> None:
    security = module("security").locals()
    statements = [security["account_root_statement"]]
    for service_statements in security["kms_service_statements"].values():
        statements += service_statements
    for statement in statements:
        assert statement["Principal"] != "*"
        assert "*" not in statement["Principal"].values()
        assert statement["Action"] != "*"


def test_service_accounts_get_exactly_the_contracted_access() -> None:
    grants = module("security").locals()["service_account_grants"]
    assert {account: set(granted) for account, granted in grants.items()} == EXPECTED_GRANTS


@pytest.mark.parametrize("grant", sorted(GRANT_RESOURCES))
def test_each_grant_names_only_its_own_bucket_and_key(grant: str) -> None:
    document = module("security").data_sources("aws_iam_policy_document")[grant]
    named: set[str] = set()
    for statement in document["statement"]:
        resources = statement["resources"]
        if resources == ["*"]:
            assert statement["actions"] == ["ecr:GetAuthorizationToken"]
            continue
        named |= references(resources)
        kms_keys = [item for item in references(resources) if item.startswith("aws_kms_key")]
        if kms_keys:
            assert all('aws_kms_key.this["s3"]' in str(item) for item in resources)
    assert named == GRANT_RESOURCES[grant]


def test_roles_trust_only_their_own_service_account_in_the_app_namespace() -> None:
    security = module("security")
    [statement] = security.data_sources("aws_iam_policy_document")["service_account_assume"][
        "statement"
    ]
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {item["variable"]: item for item in statement["condition"]}
    subject = conditions["${local.oidc_issuer_host}:sub"]
    assert subject["test"] == "StringEquals"
    assert subject["values"] == ["system:serviceaccount:${var.kubernetes_namespace}:${each.key}"]
    assert conditions["${local.oidc_issuer_host}:aud"]["values"] == ["sts.amazonaws.com"]
    assert security.variables()["kubernetes_namespace"]["default"] == (
        load_settings().kubernetes_namespace
    )


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_roles_are_scoped_to_this_environments_buckets_and_repositories(
    environment_name: str,
) -> None:
    expected = {
        "artifacts_bucket_arn": "${module.storage.artifacts_bucket_arn}",
        "backups_bucket_arn": "${module.storage.backups_bucket_arn}",
        "ecr_repository_arns": "${module.storage.ecr_repository_arns}",
        "oidc_provider_arn": "${module.compute.oidc_provider_arn}",
    }
    for variable, value in expected.items():
        assert module_input(environment_name, "security", variable) == value
    assert "kubernetes_namespace" not in environment(environment_name).module_calls()["security"]


@pytest.mark.parametrize("module_name", ["security", "storage"])
def test_every_kms_key_rotates(module_name: str) -> None:
    keys = module(module_name).resources("aws_kms_key")
    assert keys
    assert all(key["enable_key_rotation"] is True for key in keys.values())


def test_cloudtrail_audits_all_regions_and_the_data_buckets() -> None:
    trail = module("security").resources("aws_cloudtrail")["audit"]
    assert trail["is_multi_region_trail"] is True
    assert trail["enable_log_file_validation"] is True
    assert trail["kms_key_id"] == '${aws_kms_key.this["s3"].arn}'
    [selector] = trail["event_selector"]
    [data_resource] = selector["data_resource"]
    assert data_resource["type"] == "AWS::S3::Object"
    assert set(data_resource["values"]) == {
        "${var.artifacts_bucket_arn}/",
        "${var.backups_bucket_arn}/",
    }
