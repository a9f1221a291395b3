variable "name" {
  description = "Name prefix for every resource, e.g. quantis-prod."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key ARN for the buckets and the ECR repositories."
  type        = string
}

variable "artifact_noncurrent_version_days" {
  description = "Days an overwritten or deleted model artifact version is kept before it expires."
  type        = number
  default     = 90
}

variable "backup_retention_days" {
  description = "Days a backup object is kept before it expires (also applies to its replica)."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 1
    error_message = "backup_retention_days must be at least 1."
  }
}

variable "enable_backup_replication" {
  description = "Replicate the backups bucket to the aws.replica provider's region (on in prod)."
  type        = bool
}

variable "ecr_repositories" {
  description = "Image names, one ECR repository each under the name prefix: <name>/<image>, e.g. quantis-prod/quantis/api."
  type        = list(string)
  default     = ["quantis/api", "quantis/frontend", "quantis/model-server", "quantis/dagster", "quantis/mlflow"]
}

variable "ecr_keep_images" {
  description = "Number of most recent images each ECR repository keeps."
  type        = number
  default     = 50
}

variable "tags" {
  description = "Tags added to every resource (Environment, Application, CostCenter)."
  type        = map(string)
}
