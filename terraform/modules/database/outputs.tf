output "instance_identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "endpoint" {
  description = "Host:port of the primary."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Host name of the primary."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Database created in the instance."
  value       = aws_db_instance.this.db_name
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the master credentials (the ARN only, never the value)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "backup_retention_days" {
  description = "Automated backup retention, which is the point-in-time-recovery window."
  value       = aws_db_instance.this.backup_retention_period
}
