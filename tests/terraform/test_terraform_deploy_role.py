"""The CI deploy role (modules/security/github_deploy.tf) and its cluster access
(modules/compute): trusted only by one GitHub environment of one repository, pushing only to
its own environment's repositories, promoting from staging's only in prod."""

from __future__ import annotations

import pytest
from tfconfig import ENVIRONMENTS, environment, module, module_input

GITHUB_ENVIRONMENTS = {"dev": "dev", "staging": "staging", "prod": "production"}


def _statements(document: str) -> dict[str, dict]:
    documents = module("security").data_sources("aws_iam_policy_document")
    found = {}
    for statement in documents[document]["statement"]:
        found[statement.get("sid", "")] = statement
    for block in documents[document].get("dynamic", []):
        content = block["statement"]["content"][0]
        found[content["sid"]] = content
    return found


def test_only_jobs_of_one_github_environment_of_one_repository_may_assume_it():
    [statement] = _statements("github_deploy_assume").values()
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert statement["principals"][0]["identifiers"] == ["${local.github_oidc_provider_arn}"]
    conditions = {c["variable"]: c for c in statement["condition"]}
    subject = conditions["${local.github_oidc_host}:sub"]
    assert subject["test"] == "StringEquals"  # no wildcard patterns (StringLike)
    assert subject["values"] == [
        "repo:${var.github_owner}/${var.github_repository_name}:environment:${var.github_environment}"
    ]
    assert conditions["${local.github_oidc_host}:aud"]["values"] == ["sts.amazonaws.com"]


def test_it_pushes_only_to_this_environments_repositories():
    statements = _statements("github_deploy")
    assert statements["PushImages"]["resources"] == "${var.ecr_repository_arns}"
    assert "ecr:PutImage" in statements["PushImages"]["actions"]
    assert statements["EcrLogin"]["resources"] == ["*"]
    assert statements["EcrLogin"]["actions"] == ["ecr:GetAuthorizationToken"]
    assert statements["DescribeCluster"]["resources"] == ["${var.eks_cluster_arn}"]
    pull = statements["PullImagesToPromote"]
    assert "ecr:PutImage" not in pull["actions"]
    assert pull["resources"] == "${local.promotion_source_repositories}"


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_each_environment_trusts_its_own_github_environment(environment_name: str):
    assert module_input(environment_name, "security", "github_environment") == (
        GITHUB_ENVIRONMENTS[environment_name]
    )
    assert module_input(environment_name, "security", "eks_cluster_arn") == (
        "${module.compute.cluster_arn}"
    )
    assert module_input(environment_name, "compute", "deployer_role_arn") == (
        "${module.security.github_deploy_role_arn}"
    )
    assert "github_deploy_role_arn" in environment(environment_name).outputs()


def test_only_prod_promotes_and_only_one_environment_creates_the_oidc_provider():
    promotes = {
        name: environment(name).module_calls()["security"].get("ecr_promotion_source_prefix")
        for name in ENVIRONMENTS
    }
    assert promotes == {"dev": None, "staging": None, "prod": "quantis-staging"}
    creators = [
        name for name in ENVIRONMENTS
        if environment(name).module_calls()["security"].get("create_github_oidc_provider")
    ]  # fmt: skip
    assert creators == ["staging"]


def test_the_deploy_role_administers_only_the_application_namespace():
    associations = module("compute").resources("aws_eks_access_policy_association")
    namespace = associations["deployer_namespace"]
    assert namespace["policy_arn"].endswith("AmazonEKSAdminPolicy")
    assert namespace["access_scope"][0] == {"type": "namespace", "namespaces": ["${var.deploy_namespace}"]}
    view = associations["deployer_view"]
    assert view["policy_arn"].endswith("AmazonEKSViewPolicy")
    assert view["access_scope"][0]["type"] == "cluster"
    assert module("compute").variables()["deploy_namespace"]["default"] == "quantis"


def test_ecr_repositories_are_the_contract_image_names_under_the_environment_prefix():
    storage = module("storage")
    assert storage.resources("aws_ecr_repository")["this"]["name"] == "${var.name}/${each.key}"
    assert storage.variables()["ecr_repositories"]["default"] == [
        "quantis/api", "quantis/frontend", "quantis/model-server", "quantis/dagster", "quantis/mlflow",
    ]  # fmt: skip
