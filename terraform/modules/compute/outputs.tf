output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "EKS cluster ARN."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the Kubernetes API, for kubeconfig."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "kubernetes_version" {
  description = "Kubernetes version the control plane runs."
  value       = aws_eks_cluster.this.version
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider for IRSA."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "node_role_arn" {
  description = "IAM role of the worker nodes."
  value       = aws_iam_role.node.arn
}

output "cluster_autoscaler_role_arn" {
  description = "IRSA role for kube-system/cluster-autoscaler."
  value       = aws_iam_role.autoscaler.arn
}

output "gpu_node_selector" {
  description = "Node label training pods select (matches settings.train_node_selector)."
  value       = local.gpu_pool_label
}

output "gpu_taint" {
  description = "Taint on GPU nodes that training pods tolerate (key matches settings.train_gpu_toleration_key)."
  value       = local.gpu_taint
}
