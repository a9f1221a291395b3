# Quantis staging: calls the modules with this environment's sizes, nothing more.

locals {
  name = "quantis-staging"
  tags = {
    Environment = "staging"
    Application = "Quantis"
    CostCenter  = var.cost_center
  }
}

module "security" {
  source = "../../modules/security"

  name                     = local.name
  region                   = var.region
  kms_deletion_window_days = 30
  audit_log_retention_days = 365
  oidc_provider_arn        = module.compute.oidc_provider_arn
  oidc_issuer_url          = module.compute.oidc_issuer_url
  artifacts_bucket_arn     = module.storage.artifacts_bucket_arn
  backups_bucket_arn       = module.storage.backups_bucket_arn
  ecr_repository_arns      = module.storage.ecr_repository_arns
  github_owner             = var.github_owner
  github_repository_name   = var.github_repository_name
  github_environment       = "staging"
  # The first environment applied in the account creates the GitHub OIDC provider.
  create_github_oidc_provider = true
  eks_cluster_arn             = module.compute.cluster_arn
  tags                        = local.tags
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  vpc_cidr           = "10.20.0.0/16"
  availability_zones = var.availability_zones
  single_nat_gateway = true
  logs_kms_key_arn   = module.security.logs_kms_key_arn
  tags               = local.tags
}

module "compute" {
  source = "../../modules/compute"

  name                      = local.name
  kubernetes_version        = "1.34"
  private_subnet_ids        = module.network.private_subnet_ids
  cluster_security_group_id = module.network.cluster_security_group_id
  eks_kms_key_arn           = module.security.eks_kms_key_arn
  ebs_kms_key_arn           = module.security.eks_kms_key_arn
  logs_kms_key_arn          = module.security.logs_kms_key_arn
  cluster_admin_role_arns   = var.cluster_admin_role_arns
  deployer_role_arn         = module.security.github_deploy_role_arn

  general_node_group = {
    instance_types = ["m6i.xlarge"]
    min_size       = 2
    desired_size   = 2
    max_size       = 4
    disk_size_gib  = 50
  }

  gpu_node_group = {
    instance_types = ["g5.xlarge", "g5.2xlarge", "g6.xlarge", "g6.2xlarge"]
    min_size       = 0
    desired_size   = 0
    max_size       = 2
    disk_size_gib  = 100
  }

  tags = local.tags
}

module "database" {
  source = "../../modules/database"

  name                      = local.name
  private_subnet_ids        = module.network.private_subnet_ids
  security_group_id         = module.network.database_security_group_id
  kms_key_arn               = module.security.rds_kms_key_arn
  instance_class            = "db.m7g.large"
  allocated_storage_gib     = 50
  max_allocated_storage_gib = 200
  multi_az                  = true
  backup_retention_days     = 14
  deletion_protection       = false
  tags                      = local.tags
}

module "storage" {
  source = "../../modules/storage"
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  name                      = local.name
  kms_key_arn               = module.security.s3_kms_key_arn
  backup_retention_days     = 30
  enable_backup_replication = false
  tags                      = local.tags
}
