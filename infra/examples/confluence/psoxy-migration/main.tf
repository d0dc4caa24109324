# Variant: replace an existing Psoxy Confluence deployment without re-consenting.
# pseudoproxy reads and writes Psoxy's own SSM parameters (same names, same salt, same
# rotating refresh token, same ACCESS_TOKEN JSON), so pseudonyms stay byte-identical and
# both functions can run side by side while the analytics platform switches URLs. Nothing
# here creates or overwrites a parameter: Psoxy's Terraform keeps owning them.
# Steps and rollback: docs/operations.md, "Migrate from Psoxy".

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
    tags = { Project = "pseudoproxy", Connector = "confluence", MigratedFrom = "psoxy" }
  }
}

module "confluence" {
  source = "../../../modules/pseudoproxy-lambda"

  # A new function name: Psoxy's function keeps running until the platform has switched.
  function_name   = var.function_name
  lambda_zip_path = var.lambda_zip_path
  architecture    = var.architecture

  # Psoxy's parameters, used in place.
  instance_parameter_prefix     = var.psoxy_instance_parameter_prefix
  shared_parameter_prefix       = var.psoxy_shared_parameter_prefix
  manage_shared_parameters      = false
  create_placeholder_parameters = false
  kms_key_arn                   = var.psoxy_kms_key_arn

  # Pseudonym options must equal the Psoxy deployment's, or pseudonyms change.
  email_canonicalization = var.email_canonicalization
  email_domain_handling  = var.email_domain_handling

  caller_aws_principals          = var.caller_aws_principals
  additional_allowed_caller_arns = var.psoxy_caller_role_arns
  confluence_cloud_id            = var.confluence_cloud_id
  alarm_actions                  = var.alarm_actions
}
