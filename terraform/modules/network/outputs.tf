output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per availability zone (cluster nodes, database)."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per availability zone (load balancers, NAT)."
  value       = aws_subnet.public[*].id
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs."
  value       = aws_nat_gateway.this[*].id
}

output "cluster_security_group_id" {
  description = "Security group for the EKS control plane and nodes."
  value       = aws_security_group.cluster.id
}

output "database_security_group_id" {
  description = "Security group for RDS PostgreSQL."
  value       = aws_security_group.database.id
}

output "load_balancer_security_group_id" {
  description = "Security group for the public load balancer."
  value       = aws_security_group.load_balancer.id
}

output "flow_log_group_name" {
  description = "CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
