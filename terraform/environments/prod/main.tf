# Quantis prod: calls the modules with this environment's sizes, nothing more.

locals {
  name = "quantis-prod"
  tags = {
    Environment = "prod"
    Application = "Quantis"
    CostCenter  = var.cost_center
  }
}

module "security" {
  source = "../../modules/security"

  name                     = local.name
  region                   = var.region
  kms_deletion_window_days = 30
  audit_log_retention_days = 730
  oidc_provider_arn        = module.compute.oidc_provider_arn
  oidc_issuer_url          = module.compute.oidc_issuer_url
  artifacts_bucket_arn     = module.storage.artifacts_bucket_arn
  backups_bucket_arn       = module.storage.backups_bucket_arn
  ecr_repository_arns      = module.storage.ecr_repository_arns
  github_owner             = var.github_owner
  github_repository_name   = var.github_repository_name
  github_environment       = "production"
  eks_cluster_arn          = module.compute.cluster_arn
  # Production runs the images CI pushed and tested in staging, copied by digest.
  ecr_promotion_source_prefix = "quantis-staging"
  tags                        = local.tags
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  vpc_cidr           = "10.30.0.0/16"
  availability_zones = var.availability_zones
  single_nat_gateway = false
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
    min_size       = 3
    desired_size   = 3
    max_size       = 10
    disk_size_gib  = 100
  }

  gpu_node_group = {
    instance_types = ["g5.2xlarge", "g5.4xlarge", "g6.2xlarge", "g6.4xlarge"]
    min_size       = 0
    desired_size   = 0
    max_size       = 4
    disk_size_gib  = 200
  }

  tags = local.tags
}

module "database" {
  source = "../../modules/database"

  name                      = local.name
  private_subnet_ids        = module.network.private_subnet_ids
  security_group_id         = module.network.database_security_group_id
  kms_key_arn               = module.security.rds_kms_key_arn
  instance_class            = "db.m7g.xlarge"
  allocated_storage_gib     = 100
  max_allocated_storage_gib = 1000
  multi_az                  = true
  backup_retention_days     = 35
  deletion_protection       = true
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
  backup_retention_days     = 90
  enable_backup_replication = true
  tags                      = local.tags
}
