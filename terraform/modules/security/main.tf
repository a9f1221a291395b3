data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  tags       = merge(var.tags, { Module = "security" })

  autoscaling_service_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"

  # One customer-managed key per kind of data, so a key policy or a rotation touches one concern.
  kms_key_purposes = {
    eks  = "EKS Kubernetes secrets envelope encryption and node root volumes"
    rds  = "RDS PostgreSQL storage, Performance Insights and the master credentials secret"
    s3   = "S3 buckets (artifacts, backups, audit log) and ECR repositories"
    logs = "CloudWatch Logs groups (flow logs, EKS control plane, CloudTrail)"
  }

  account_root_statement = {
    Sid       = "AccountAdministersKey"
    Effect    = "Allow"
    Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
    Action    = "kms:*"
    Resource  = "*"
  }

  # Services that encrypt with a key without an IAM role of ours need a grant in the key policy.
  kms_service_statements = {
    # Node groups launch through Auto Scaling, whose service-linked role must be able to use
    # the key of the encrypted node root volumes or instances fail to start.
    eks = [
      {
        Sid       = "AutoScalingUsesKeyForNodeVolumes"
        Effect    = "Allow"
        Principal = { AWS = local.autoscaling_service_role_arn }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
      {
        Sid       = "AutoScalingAttachesNodeVolumes"
        Effect    = "Allow"
        Principal = { AWS = local.autoscaling_service_role_arn }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
    ]
    rds = []
    s3 = [
      {
        Sid       = "CloudTrailEncryptsLogFiles"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "kms:GenerateDataKey*"
        Resource  = "*"
        Condition = {
          StringLike = {
            "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"
          }
        }
      },
      {
        Sid       = "CloudTrailDescribesKey"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "kms:DescribeKey"
        Resource  = "*"
      },
    ]
    logs = [{
      Sid       = "CloudWatchLogsEncryptsLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${var.region}.amazonaws.com" }
      Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      Resource  = "*"
      Condition = {
        ArnLike = {
          "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"
        }
      }
    }]
  }
}

resource "aws_kms_key" "this" {
  for_each = local.kms_key_purposes

  description             = "${var.name}: ${each.value}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.account_root_statement], local.kms_service_statements[each.key])
  })

  tags = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_kms_alias" "this" {
  for_each = aws_kms_key.this

  name          = "alias/${var.name}-${each.key}"
  target_key_id = each.value.key_id
}
