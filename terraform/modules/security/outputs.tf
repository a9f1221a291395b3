output "kms_key_arns" {
  description = "KMS key ARN per purpose: eks, rds, s3, logs."
  value       = { for purpose, key in aws_kms_key.this : purpose => key.arn }
}

output "eks_kms_key_arn" {
  description = "KMS key ARN for EKS secrets encryption."
  value       = aws_kms_key.this["eks"].arn
}

output "rds_kms_key_arn" {
  description = "KMS key ARN for RDS storage, Performance Insights and the credentials secret."
  value       = aws_kms_key.this["rds"].arn
}

output "s3_kms_key_arn" {
  description = "KMS key ARN for S3 buckets and ECR repositories."
  value       = aws_kms_key.this["s3"].arn
}

output "logs_kms_key_arn" {
  description = "KMS key ARN for CloudWatch log groups."
  value       = aws_kms_key.this["logs"].arn
}

output "service_account_role_arns" {
  description = "IRSA role ARN per Kubernetes service account name; annotate each service account with eks.amazonaws.com/role-arn."
  value       = { for account, role in aws_iam_role.service_account : account => role.arn }
}

output "cloudtrail_arn" {
  description = "ARN of the audit trail."
  value       = aws_cloudtrail.audit.arn
}

output "audit_bucket_name" {
  description = "S3 bucket holding CloudTrail log files."
  value       = aws_s3_bucket.audit.id
}

output "github_deploy_role_arn" {
  description = "IAM role the CI workflow assumes (GitHub environment variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.github_deploy.arn
}
