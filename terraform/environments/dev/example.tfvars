# Copy to dev.tfvars (git-ignored values for your account) and pass with -var-file.
region             = "us-east-1"
replica_region     = "us-west-2"
availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
cost_center        = "ml-platform-dev"

cluster_admin_role_arns = [
  "arn:aws:iam::123456789012:role/quantis-platform-admin",
]

# The repository whose .github/workflows/ci.yml deploys here (OIDC subject of the deploy role).
github_owner           = "quantis-dev"
github_repository_name = "quantis"
