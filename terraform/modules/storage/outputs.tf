output "artifacts_bucket_name" {
  description = "Bucket for model artifacts (MLflow artifact store, bentos, panel snapshots)."
  value       = aws_s3_bucket.this["artifacts"].id
}

output "artifacts_bucket_arn" {
  description = "ARN of the model artifacts bucket."
  value       = aws_s3_bucket.this["artifacts"].arn
}

output "backups_bucket_name" {
  description = "Bucket for backups (operational DB, MLflow backend store and artifacts, Dagster storage)."
  value       = aws_s3_bucket.this["backups"].id
}

output "backups_bucket_arn" {
  description = "ARN of the backups bucket."
  value       = aws_s3_bucket.this["backups"].arn
}

output "backups_replica_bucket_arn" {
  description = "ARN of the cross-region replica of the backups bucket, or null when replication is off."
  value       = one(aws_s3_bucket.backups_replica[*].arn)
}

output "ecr_repository_urls" {
  description = "Repository URL per image name."
  value       = { for image, repository in aws_ecr_repository.this : image => repository.repository_url }
}

output "ecr_repository_arns" {
  description = "ARNs of the ECR repositories."
  value       = [for repository in aws_ecr_repository.this : repository.arn]
}
