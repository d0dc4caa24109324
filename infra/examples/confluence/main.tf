# A root module to copy: pseudoproxy for Confluence Cloud in one AWS account and region.
# Get the Lambda zip (a release asset, or scripts/package-lambda.sh), copy
# terraform.tfvars.example to terraform.tfvars, fill it in, then `terraform init &&
# terraform apply` and follow docs/operations.md (consent, health check, first call).
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
    tags = merge({ Project = "pseudoproxy", Connector = "confluence" }, var.tags)
  }
}

module "confluence" {
  source = "../../modules/pseudoproxy-lambda"

  function_name = var.function_name

  # Salt and encryption key (survive destroy; a changed salt fails the plan).
  manage_shared_parameters = var.manage_shared_parameters
  shared_parameter_prefix  = var.shared_parameter_prefix
  kms_key_arn              = var.kms_key_arn

  lambda_zip_path          = var.lambda_zip_path
  lambda_s3_bucket         = var.lambda_s3_bucket
  lambda_s3_key            = var.lambda_s3_key
  lambda_s3_object_version = var.lambda_s3_object_version
  lambda_zip_base64sha256  = var.lambda_zip_base64sha256
  architecture             = var.architecture
  memory_mb                = var.memory_mb
  timeout_seconds          = var.timeout_seconds
  request_timeout_seconds  = var.request_timeout_seconds
  reserved_concurrency     = var.reserved_concurrency

  # Deployment shape.
  secrets_store            = var.secrets_store
  front_door               = var.front_door
  api_gateway_stage_name   = var.api_gateway_stage_name
  permissions_boundary_arn = var.permissions_boundary_arn
  environment_kms_key_arn  = var.environment_kms_key_arn
  vpc_config               = var.vpc_config

  # Who may call.
  caller_aws_principals          = var.caller_aws_principals
  caller_web_identity            = var.caller_web_identity
  additional_allowed_caller_arns = var.additional_allowed_caller_arns
  restrict_callers               = var.restrict_callers
  allowed_ip_blocks              = var.allowed_ip_blocks

  # What the proxy does.
  confluence_cloud_id    = var.confluence_cloud_id
  custom_rules_yaml      = var.custom_rules_path == null ? null : file(var.custom_rules_path)
  email_canonicalization = var.email_canonicalization
  email_domain_handling  = var.email_domain_handling

  # Logs and alarms.
  log_retention_days      = var.log_retention_days
  log_kms_key_arn         = var.log_kms_key_arn
  health_check_schedule   = var.health_check_schedule
  token_expiry_alarm_days = var.token_expiry_alarm_days
  alarm_actions           = var.alarm_actions
}
