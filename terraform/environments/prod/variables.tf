variable "region" {
  description = "AWS region the environment runs in."
  type        = string
  default     = "us-east-1"
}

variable "replica_region" {
  description = "AWS region for the cross-region copy of the backups; must differ from region."
  type        = string
  default     = "us-west-2"

  validation {
    condition     = var.replica_region != var.region
    error_message = "replica_region must differ from region."
  }
}

variable "availability_zones" {
  description = "Three availability zones of region."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

variable "cost_center" {
  description = "Value of the CostCenter tag on every resource."
  type        = string
}

variable "cluster_admin_role_arns" {
  description = "IAM role ARNs (operators, CI) granted cluster-admin on the EKS cluster."
  type        = list(string)
  default     = []
}

variable "github_owner" {
  description = "GitHub user or organisation owning the repository whose CI workflow deploys here."
  type        = string
}

variable "github_repository_name" {
  description = "Name of that repository (without the owner)."
  type        = string
}
