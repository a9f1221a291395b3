provider "aws" {
  region = var.region

  # Every taggable resource gets these, including the ones a module does not tag itself.
  default_tags {
    tags = local.tags
  }
}

# Region that holds the cross-region copy of the backups bucket.
provider "aws" {
  alias  = "replica"
  region = var.replica_region

  default_tags {
    tags = local.tags
  }
}
