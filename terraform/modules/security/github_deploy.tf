# The role the CI workflow (.github/workflows/ci.yml) assumes through GitHub's OIDC provider to
# push this environment's images to ECR and deploy them: no long-lived keys. Only jobs of one
# GitHub environment (github_environment, behind its protection rules) of one repository
# (github_owner/github_repository_name) may
# assume it. Cluster rights come from the compute module's access entry for this role.

locals {
  github_oidc_host         = "token.actions.githubusercontent.com"
  github_oidc_provider_arn = "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.github_oidc_host}"
  # Promotion: the same image digests, copied from another environment's repositories.
  promotion_source_repositories = var.ecr_promotion_source_prefix == null ? [] : [
    "arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/${var.ecr_promotion_source_prefix}/*"
  ]
}

# One provider per account and URL: the environment applied first creates it, the others
# (create_github_oidc_provider = false) trust it by its fixed ARN.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = merge(local.tags, { Name = "github-actions" })
}

data "aws_iam_policy_document" "github_deploy_assume" {
  statement {
    sid     = "AssumeFromGithubEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_owner}/${var.github_repository_name}:environment:${var.github_environment}"]
    }
  }
}

data "aws_iam_policy_document" "github_deploy" {
  # GetAuthorizationToken has no resource-level permissions; AWS only accepts "*" for it.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.ecr_repository_arns
  }

  dynamic "statement" {
    for_each = var.ecr_promotion_source_prefix == null ? [] : [1]

    content {
      sid       = "PullImagesToPromote"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = local.promotion_source_repositories
    }
  }

  # `aws eks update-kubeconfig`; what the role may do inside the cluster is the access entry's.
  statement {
    sid       = "DescribeCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [var.eks_cluster_arn]
  }
}

resource "aws_iam_role" "github_deploy" {
  name               = "${var.name}-github-deploy"
  description        = "CI deploys of ${var.github_owner}/${var.github_repository_name} (GitHub environment ${var.github_environment})"
  assume_role_policy = data.aws_iam_policy_document.github_deploy_assume.json

  tags = merge(local.tags, { GithubEnvironment = var.github_environment })

  depends_on = [aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy" "github_deploy" {
  name   = "quantis-deploy"
  role   = aws_iam_role.github_deploy.id
  policy = data.aws_iam_policy_document.github_deploy.json
}
