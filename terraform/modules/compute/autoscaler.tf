# IRSA role for the cluster autoscaler (kube-system/cluster-autoscaler). Describe calls cannot be
# scoped to resources; the calls that change capacity are limited to this cluster's node groups.

locals {
  autoscaler_service_account = "system:serviceaccount:kube-system:cluster-autoscaler"
  oidc_issuer_host           = trimprefix(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://")
  cluster_region             = split(":", aws_eks_cluster.this.arn)[3]
  node_group_asg_arns = [
    for group in [aws_eks_node_group.general, aws_eks_node_group.gpu] :
    "arn:${data.aws_partition.current.partition}:autoscaling:${local.cluster_region}:${data.aws_caller_identity.current.account_id}:autoScalingGroup:*:autoScalingGroupName/${group.resources[0].autoscaling_groups[0].name}"
  ]
}

data "aws_iam_policy_document" "autoscaler_assume" {
  statement {
    sid     = "AssumeFromServiceAccount"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.this.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_host}:sub"
      values   = [local.autoscaler_service_account]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "autoscaler" {
  statement {
    sid = "DescribeCapacity"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeNodeGroupsOfThisCluster"
    actions   = ["eks:DescribeNodegroup"]
    resources = [aws_eks_node_group.general.arn, aws_eks_node_group.gpu.arn]
  }

  statement {
    sid       = "ChangeCapacityOfThisCluster"
    actions   = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    resources = local.node_group_asg_arns
  }
}

resource "aws_iam_role" "autoscaler" {
  name               = "${var.name}-cluster-autoscaler"
  assume_role_policy = data.aws_iam_policy_document.autoscaler_assume.json

  tags = local.tags
}

resource "aws_iam_role_policy" "autoscaler" {
  name   = "cluster-autoscaler"
  role   = aws_iam_role.autoscaler.id
  policy = data.aws_iam_policy_document.autoscaler.json
}
