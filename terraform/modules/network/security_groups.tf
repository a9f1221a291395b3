resource "aws_security_group" "load_balancer" {
  name        = "${var.name}-load-balancer"
  description = "Public load balancer in front of the Quantis API and web page"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "HTTPS from clients"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = var.load_balancer_ingress_cidrs
  }

  egress {
    description     = "Forward to pods on the cluster nodes"
    from_port       = 1024
    to_port         = 65535
    protocol        = "tcp"
    security_groups = [aws_security_group.cluster.id]
  }

  tags = merge(local.tags, { Name = "${var.name}-load-balancer" })
}

resource "aws_security_group" "cluster" {
  name        = "${var.name}-cluster"
  description = "EKS control plane and worker nodes"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-cluster" })
}

# Rules that reference another group are separate resources so the groups can refer to each other.
# aws_security_group_rule rather than aws_vpc_security_group_*_rule: checkov reads the source
# group of the former and would otherwise report the load balancer rule as open to 0.0.0.0/0.
resource "aws_security_group_rule" "cluster_self" {
  type              = "ingress"
  security_group_id = aws_security_group.cluster.id
  description       = "Node to node and node to control plane traffic"
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  self              = true
}

resource "aws_security_group_rule" "cluster_from_load_balancer" {
  type                     = "ingress"
  security_group_id        = aws_security_group.cluster.id
  description              = "Load balancer to pod ports"
  protocol                 = "tcp"
  from_port                = 1024
  to_port                  = 65535
  source_security_group_id = aws_security_group.load_balancer.id
}

resource "aws_security_group_rule" "cluster_https" {
  type              = "egress"
  security_group_id = aws_security_group.cluster.id
  description       = "HTTPS to AWS APIs, ECR and public registries through NAT"
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "cluster_in_vpc" {
  type              = "egress"
  security_group_id = aws_security_group.cluster.id
  description       = "Anything inside the VPC: DNS resolver, database, other nodes"
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = [var.vpc_cidr]
}

resource "aws_security_group" "database" {
  name        = "${var.name}-database"
  description = "RDS PostgreSQL, reachable from the cluster only"
  vpc_id      = aws_vpc.this.id

  ingress {
    description     = "PostgreSQL from cluster nodes and pods"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.cluster.id]
  }

  tags = merge(local.tags, { Name = "${var.name}-database" })
}
