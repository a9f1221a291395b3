output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.compute.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.compute.cluster_endpoint
}

output "gpu_node_selector" {
  description = "Node label of the spot GPU pool (settings.train_node_selector)."
  value       = module.compute.gpu_node_selector
}

output "cluster_autoscaler_role_arn" {
  description = "IRSA role for kube-system/cluster-autoscaler."
  value       = module.compute.cluster_autoscaler_role_arn
}

output "service_account_role_arns" {
  description = "IRSA role ARN per Quantis service account."
  value       = module.security.service_account_role_arns
}

output "database_endpoint" {
  description = "Host:port of the PostgreSQL primary."
  value       = module.database.endpoint
}

output "database_master_user_secret_arn" {
  description = "Secrets Manager ARN of the database master credentials."
  value       = module.database.master_user_secret_arn
}

output "artifacts_bucket_name" {
  description = "Model artifacts bucket."
  value       = module.storage.artifacts_bucket_name
}

output "backups_bucket_name" {
  description = "Backups bucket."
  value       = module.storage.backups_bucket_name
}

output "ecr_repository_urls" {
  description = "ECR repository URL per image."
  value       = module.storage.ecr_repository_urls
}

output "github_deploy_role_arn" {
  description = "Role the CI workflow assumes (GitHub environment variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.security.github_deploy_role_arn
}
