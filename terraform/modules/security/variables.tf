variable "name" {
  description = "Name prefix for every resource, e.g. quantis-prod."
  type        = string
}

variable "region" {
  description = "AWS region the environment runs in; scopes the CloudWatch Logs service principal in the logs key policy."
  type        = string
}

variable "kms_deletion_window_days" {
  description = "Days a scheduled KMS key deletion waits before it is final (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "audit_log_retention_days" {
  description = "Days the CloudTrail audit log is kept, in S3 and in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "kubernetes_namespace" {
  description = "Kubernetes namespace of the Quantis service accounts that assume the IRSA roles."
  type        = string
  default     = "quantis"
}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider (from the compute module)."
  type        = string
}

variable "oidc_issuer_url" {
  description = "Issuer URL of the EKS cluster's OIDC provider, with or without https://."
  type        = string
}

variable "artifacts_bucket_arn" {
  description = "ARN of the model artifacts bucket (from the storage module)."
  type        = string
}

variable "backups_bucket_arn" {
  description = "ARN of the backups bucket (from the storage module)."
  type        = string
}

variable "ecr_repository_arns" {
  description = "ARNs of the ECR repositories the Dagster runs pull images from (from the storage module)."
  type        = list(string)
}

variable "tags" {
  description = "Tags added to every resource (Environment, Application, CostCenter)."
  type        = map(string)
}

variable "github_owner" {
  description = "GitHub user or organisation owning the repository whose CI workflow deploys this environment."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]*$", var.github_owner))
    error_message = "github_owner must be a GitHub account name (no wildcards)."
  }
}

variable "github_repository_name" {
  description = "Name of that repository (without the owner)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.github_repository_name))
    error_message = "github_repository_name must be a repository name (no wildcards, no owner)."
  }
}

variable "github_environment" {
  description = "GitHub environment whose jobs may assume the deploy role (ci.yml: staging, production)."
  type        = string
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider (true in the one environment applied first)."
  type        = bool
  default     = false
}

variable "eks_cluster_arn" {
  description = "ARN of the environment's EKS cluster, which the deploy role may describe (from the compute module)."
  type        = string
}

variable "ecr_promotion_source_prefix" {
  description = "ECR repository prefix (another environment's name) whose images the deploy role may pull to promote them; null for none."
  type        = string
  default     = null
}
