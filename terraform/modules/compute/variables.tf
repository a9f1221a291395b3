variable "name" {
  description = "Cluster name and name prefix for every resource, e.g. quantis-prod."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version."
  type        = string
  default     = "1.34"
}

variable "private_subnet_ids" {
  description = "Private subnets, one per availability zone, for the control plane ENIs and the nodes."
  type        = list(string)
}

variable "cluster_security_group_id" {
  description = "Security group shared by the control plane and the nodes (from the network module)."
  type        = string
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly; off by default, operators reach it from inside the VPC."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "CIDR blocks allowed to reach a public API endpoint; only used when endpoint_public_access is true."
  type        = list(string)
  default     = []
}

variable "eks_kms_key_arn" {
  description = "KMS key ARN for envelope encryption of Kubernetes secrets."
  type        = string
}

variable "ebs_kms_key_arn" {
  description = "KMS key ARN for the node root volumes."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key ARN for the control plane log group."
  type        = string
}

variable "control_plane_log_retention_days" {
  description = "Days CloudWatch keeps the EKS control plane logs."
  type        = number
  default     = 365
}

variable "general_node_group" {
  description = "On-demand node group for the API, model server, Dagster and everything that is not training."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
    disk_size_gib  = number
  })
}

variable "gpu_node_group" {
  description = "Spot GPU node group for training pods; several instance types widen the spot pools. min_size 0 lets it scale to zero between trainings."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
    disk_size_gib  = number
  })

  validation {
    condition     = length(var.gpu_node_group.instance_types) >= 2
    error_message = "gpu_node_group.instance_types must list several instance types so spot capacity can be found."
  }
}

variable "tags" {
  description = "Tags added to every resource (Environment, Application, CostCenter)."
  type        = map(string)
}

variable "cluster_admin_role_arns" {
  description = "IAM role ARNs (operators, CI) granted cluster-admin through EKS access entries."
  type        = list(string)
  default     = []
}

variable "deployer_role_arn" {
  description = "IAM role of the CI deploys (security module), granted admin in deploy_namespace and view elsewhere."
  type        = string
}

variable "deploy_namespace" {
  description = "Kubernetes namespace the CI deploy role administers."
  type        = string
  default     = "quantis"
}
