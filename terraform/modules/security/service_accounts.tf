# IAM roles for Kubernetes service accounts (IRSA): each Quantis workload gets exactly the access
# it needs, scoped to the buckets, the key and the repositories of this environment.

locals {
  oidc_issuer_host = trimprefix(var.oidc_issuer_url, "https://")

  # Service account name => the grants (policy documents below) its role receives.
  service_account_grants = {
    "quantis-dagster"      = ["artifacts_read", "artifacts_write", "backups_read", "backups_write", "ecr_pull"]
    "quantis-api"          = ["artifacts_read"]
    "quantis-model-server" = ["artifacts_read"]
    "quantis-backup"       = ["backups_read", "backups_write", "artifacts_read"]
  }

  grant_documents = {
    artifacts_read  = data.aws_iam_policy_document.artifacts_read.json
    artifacts_write = data.aws_iam_policy_document.artifacts_write.json
    backups_read    = data.aws_iam_policy_document.backups_read.json
    backups_write   = data.aws_iam_policy_document.backups_write.json
    ecr_pull        = data.aws_iam_policy_document.ecr_pull.json
  }
}

data "aws_iam_policy_document" "artifacts_read" {
  statement {
    sid       = "ListArtifactsBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.artifacts_bucket_arn]
  }

  statement {
    sid       = "ReadArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.artifacts_bucket_arn}/*"]
  }

  statement {
    sid       = "DecryptArtifacts"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = [aws_kms_key.this["s3"].arn]
  }
}

data "aws_iam_policy_document" "artifacts_write" {
  statement {
    sid       = "WriteArtifacts"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${var.artifacts_bucket_arn}/*"]
  }

  statement {
    sid       = "EncryptArtifacts"
    actions   = ["kms:GenerateDataKey", "kms:Encrypt"]
    resources = [aws_kms_key.this["s3"].arn]
  }
}

data "aws_iam_policy_document" "backups_read" {
  statement {
    sid       = "ListBackupsBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = [var.backups_bucket_arn]
  }

  statement {
    sid       = "ReadBackups"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.backups_bucket_arn}/*"]
  }

  statement {
    sid       = "DecryptBackups"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = [aws_kms_key.this["s3"].arn]
  }
}

data "aws_iam_policy_document" "backups_write" {
  statement {
    sid       = "WriteBackups"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${var.backups_bucket_arn}/*"]
  }

  statement {
    sid       = "EncryptBackups"
    actions   = ["kms:GenerateDataKey", "kms:Encrypt"]
    resources = [aws_kms_key.this["s3"].arn]
  }
}

data "aws_iam_policy_document" "ecr_pull" {
  # GetAuthorizationToken has no resource-level permissions; AWS only accepts "*" for it.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullImages"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = var.ecr_repository_arns
  }
}

data "aws_iam_policy_document" "service_account_assume" {
  for_each = local.service_account_grants

  statement {
    sid     = "AssumeFromServiceAccount"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_host}:sub"
      values   = ["system:serviceaccount:${var.kubernetes_namespace}:${each.key}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "service_account" {
  for_each = local.service_account_grants

  source_policy_documents = [for grant in each.value : local.grant_documents[grant]]
}

resource "aws_iam_role" "service_account" {
  for_each = local.service_account_grants

  name               = "${var.name}-${trimprefix(each.key, "quantis-")}"
  description        = "IRSA role for the ${var.kubernetes_namespace}/${each.key} service account"
  assume_role_policy = data.aws_iam_policy_document.service_account_assume[each.key].json

  tags = merge(local.tags, { ServiceAccount = "${var.kubernetes_namespace}/${each.key}" })
}

resource "aws_iam_role_policy" "service_account" {
  for_each = local.service_account_grants

  name   = "quantis-access"
  role   = aws_iam_role.service_account[each.key].id
  policy = data.aws_iam_policy_document.service_account[each.key].json
}
