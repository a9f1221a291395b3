# Cross-region copy of the backups bucket: a regional outage or a lost region still leaves
# restorable backups. Only created when enable_backup_replication is true (prod).

locals {
  replica_count = var.enable_backup_replication ? 1 : 0
}

resource "aws_kms_key" "replica" {
  count    = local.replica_count
  provider = aws.replica

  description             = "${var.name}: backups replica bucket"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministersKey"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })

  tags = merge(local.tags, { Name = "${var.name}-backups-replica" })
}

resource "aws_s3_bucket" "backups_replica" {
  count    = local.replica_count
  provider = aws.replica

  bucket = "${var.name}-backups-replica-${local.account_id}"

  tags = merge(local.tags, { Name = "${var.name}-backups-replica" })
}

resource "aws_s3_bucket_ownership_controls" "backups_replica" {
  count    = local.replica_count
  provider = aws.replica

  bucket = aws_s3_bucket.backups_replica[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "backups_replica" {
  count    = local.replica_count
  provider = aws.replica

  bucket                  = aws_s3_bucket.backups_replica[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "backups_replica" {
  count    = local.replica_count
  provider = aws.replica

  bucket = aws_s3_bucket.backups_replica[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backups_replica" {
  count    = local.replica_count
  provider = aws.replica

  bucket = aws_s3_bucket.backups_replica[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.replica[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "backups_replica" {
  count    = local.replica_count
  provider = aws.replica

  bucket = aws_s3_bucket.backups_replica[0].id

  rule {
    id     = "retention"
    status = "Enabled"

    filter {}

    expiration {
      days = var.backup_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.backups_replica]
}

data "aws_iam_policy_document" "replica_deny_insecure_transport" {
  count = local.replica_count

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.backups_replica[0].arn, "${aws_s3_bucket.backups_replica[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "backups_replica" {
  count    = local.replica_count
  provider = aws.replica

  bucket = aws_s3_bucket.backups_replica[0].id
  policy = data.aws_iam_policy_document.replica_deny_insecure_transport[0].json

  depends_on = [aws_s3_bucket_public_access_block.backups_replica]
}

data "aws_iam_policy_document" "replication_assume" {
  statement {
    sid     = "S3Assume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "replication" {
  count = local.replica_count

  statement {
    sid       = "ReadSourceConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [aws_s3_bucket.this["backups"].arn]
  }

  statement {
    sid       = "ReadSourceVersions"
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${aws_s3_bucket.this["backups"].arn}/*"]
  }

  statement {
    sid       = "WriteReplica"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = ["${aws_s3_bucket.backups_replica[0].arn}/*"]
  }

  statement {
    sid       = "DecryptSource"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "EncryptReplica"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.replica[0].arn]
  }
}

resource "aws_iam_role" "replication" {
  count = local.replica_count

  name               = "${var.name}-backups-replication"
  assume_role_policy = data.aws_iam_policy_document.replication_assume.json

  tags = local.tags
}

resource "aws_iam_role_policy" "replication" {
  count = local.replica_count

  name   = "replicate-backups"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "backups" {
  count = local.replica_count

  bucket = aws_s3_bucket.this["backups"].id
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "backups-to-replica-region"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = aws_s3_bucket.backups_replica[0].arn
      storage_class = "STANDARD_IA"

      encryption_configuration {
        replica_kms_key_id = aws_kms_key.replica[0].arn
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this, aws_s3_bucket_versioning.backups_replica]
}
