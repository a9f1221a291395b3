variable "name" {
  description = "Name prefix for every resource, e.g. quantis-prod."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC; a /16 leaves room for three /20 private and three /24 public subnets."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR block such as 10.20.0.0/16."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zones to spread the subnets over."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3
    error_message = "availability_zones must list exactly three zones."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (cheaper, dev) instead of one per availability zone (zone-failure tolerant)."
  type        = bool
}

variable "flow_log_retention_days" {
  description = "Days CloudWatch keeps VPC flow logs."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "KMS key ARN that encrypts the flow-log CloudWatch log group."
  type        = string
}

variable "load_balancer_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the public load balancer on HTTPS."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "tags" {
  description = "Tags added to every resource (Environment, Application, CostCenter)."
  type        = map(string)
}
