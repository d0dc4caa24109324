# A root module to copy: pseudoproxy for Confluence Cloud in one AWS account and region.
# Build the zip first (scripts/package-lambda.sh), copy terraform.tfvars.example to
# terraform.tfvars, fill it in, then `terraform init && terraform apply` and follow
# docs/operations.md (consent bootstrap, first call).
#
# State holds the generated salt and encryption key: keep it in an encrypted, access-
# controlled backend (e.g. S3 with SSE-KMS), not on a laptop.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.31, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5, < 4.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = { Project = "pseudoproxy", Connector = "confluence" }
  }
}

module "confluence" {
  source = "../../modules/pseudoproxy-lambda"

  function_name         = var.function_name
  lambda_zip_path       = var.lambda_zip_path
  architecture          = var.architecture
  caller_aws_principals = var.caller_aws_principals
  caller_web_identity   = var.caller_web_identity
  allowed_ip_blocks     = var.allowed_ip_blocks
  confluence_cloud_id   = var.confluence_cloud_id
  kms_key_arn           = var.kms_key_arn
  log_retention_days    = var.log_retention_days
  alarm_actions         = var.alarm_actions
}
