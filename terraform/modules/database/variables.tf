variable "name" {
  description = "Identifier and name prefix for every resource, e.g. quantis-prod."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in at least two availability zones for the DB subnet group."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the database (from the network module)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key ARN for storage, Performance Insights and the master credentials secret."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL major version; minor upgrades are applied automatically in the maintenance window."
  type        = string
  default     = "17"
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage_gib" {
  description = "Initial storage in GiB."
  type        = number
}

variable "max_allocated_storage_gib" {
  description = "Upper bound for storage autoscaling in GiB."
  type        = number
}

variable "multi_az" {
  description = "Keep a synchronous standby in another availability zone."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups; also the point-in-time-recovery window (1-35)."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35; 0 would turn off backups and point-in-time recovery."
  }
}

variable "backup_window" {
  description = "Daily UTC window for automated backups (hh24:mi-hh24:mi)."
  type        = string
  default     = "02:00-03:00"
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi); must not overlap the backup window."
  type        = string
  default     = "sun:04:00-sun:05:00"
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (on in prod)."
  type        = bool
}

variable "database_name" {
  description = "Name of the database created in the instance."
  type        = string
  default     = "quantis"
}

variable "master_username" {
  description = "Master user name; its password is generated and kept by RDS in Secrets Manager."
  type        = string
  default     = "quantis_admin"
}

variable "monitoring_interval_seconds" {
  description = "Enhanced Monitoring interval in seconds (0 turns it off)."
  type        = number
  default     = 60
}

variable "tags" {
  description = "Tags added to every resource (Environment, Application, CostCenter)."
  type        = map(string)
}
