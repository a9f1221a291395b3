terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.20.0"
    }
  }

  # State bucket and lock table are created once per account before the first init
  # (see terraform/README.md, "Remote state").
  backend "s3" {
    bucket         = "quantis-terraform-state"
    key            = "dev/terraform.tfstate"
    region         = "us-east-1"
    dynamodb_table = "quantis-terraform-locks"
    encrypt        = true
  }
}
