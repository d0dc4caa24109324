# Variant: replace an existing Psoxy Confluence deployment without re-consenting.
# pseudoproxy reads and writes Psoxy's own parameters or secrets (same names, same salt,
# same rotating refresh token, same ACCESS_TOKEN JSON), so pseudonyms stay byte-identical
# and the analytics platform switches URLs, not data. Nothing here creates or overwrites a
# parameter or secret of Psoxy's: Psoxy's Terraform keeps owning them. Stop Psoxy's function
# before this one serves (their refresh locks do not see each other).
# Steps, Psoxy's RULES parameter and rollback: docs/migrating-from-psoxy.md.

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
    tags = merge({ Project = "pseudoproxy", Connector = "confluence", MigratedFrom = "psoxy" }, var.tags)
  }
}

module "confluence" {
  source = "../../../modules/pseudoproxy-lambda"

  # A new function name: Psoxy's function stays deployed (stopped) until you remove it.
  function_name = var.function_name

  # Psoxy's parameters or secrets, used in place.
  instance_parameter_prefix     = var.psoxy_instance_parameter_prefix
  shared_parameter_prefix       = var.psoxy_shared_parameter_prefix
  manage_shared_parameters      = false
  create_placeholder_parameters = false
  kms_key_arn                   = var.psoxy_kms_key_arn

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
  additional_allowed_caller_arns = concat(var.psoxy_caller_role_arns, var.additional_allowed_caller_arns)
  restrict_callers               = var.restrict_callers
  allowed_ip_blocks              = var.allowed_ip_blocks

  # What the proxy does. Pseudonym options must equal the Psoxy deployment's.
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
