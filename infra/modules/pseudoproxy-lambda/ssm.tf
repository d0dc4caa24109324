# SSM parameters this module owns (secrets_store = "ssm"). Values written by people or by
# the function at run time (client credentials, the rotating refresh token) start as
# 'fill me' placeholders, which the binary treats as absent, and Terraform never
# overwrites them afterwards (ignore_changes on value).
#
# Salt and encryption key are generated unless supplied, and protected: prevent_destroy
# makes any plan that would delete them fail (terraform destroy included: see
# docs/operations.md, "Tear down", for keeping them while removing everything else), and
# salt-guard.tf fails any plan whose var.salt / var.encryption_key differ from what is
# stored, instead of silently ignoring the change.

resource "random_password" "salt" {
  count   = var.manage_shared_parameters && var.salt == null ? 1 : 0
  length  = 32
  special = false
}

resource "random_password" "encryption_key" {
  count   = var.manage_shared_parameters && var.encryption_key == null ? 1 : 0
  length  = 32
  special = false
}

locals {
  salt_value           = coalesce(var.salt, try(random_password.salt[0].result, null))
  encryption_key_value = coalesce(var.encryption_key, try(random_password.encryption_key[0].result, null))
}

resource "aws_ssm_parameter" "salt" {
  #checkov:skip=CKV_AWS_337:key_id is var.kms_key_arn; null deliberately means the account's aws/ssm key (docs/operations.md, checkov skips)
  count       = var.manage_shared_parameters && local.use_ssm ? 1 : 0
  name        = local.shared_parameter["PSOXY_SALT"]
  description = "pseudoproxy/Psoxy salt for pseudonyms. Changing it changes every pseudonym."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = local.salt_value
  tags        = var.tags

  lifecycle {
    # Deleting or replacing the salt breaks joins with every pseudonym already exported.
    prevent_destroy = true
    # Never rewritten by Terraform; a differing var.salt fails the plan (salt-guard.tf).
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "encryption_key" {
  #checkov:skip=CKV_AWS_337:key_id is var.kms_key_arn; null deliberately means the account's aws/ssm key (docs/operations.md, checkov skips)
  count       = var.manage_shared_parameters && local.use_ssm ? 1 : 0
  name        = local.shared_parameter["PSOXY_ENCRYPTION_KEY"]
  description = "pseudoproxy/Psoxy key for reversible pseudonyms."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = local.encryption_key_value
  tags        = var.tags

  lifecycle {
    prevent_destroy = true
    ignore_changes  = [value]
  }
}

resource "aws_ssm_parameter" "placeholder" {
  #checkov:skip=CKV_AWS_337:key_id is var.kms_key_arn; null deliberately means the account's aws/ssm key (docs/operations.md, checkov skips)
  for_each    = var.create_placeholder_parameters && local.use_ssm ? toset(local.placeholder_names) : toset([])
  name        = local.instance_parameter[each.key]
  description = "Filled by `pseudoproxy auth --store ssm`; REFRESH_TOKEN is then rotated by the function."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = "fill me"
  tags        = var.tags

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "rules" {
  #checkov:skip=CKV_AWS_337:key_id is var.kms_key_arn; null deliberately means the account's aws/ssm key (docs/operations.md, checkov skips)
  count       = local.rules_yaml != null && local.use_ssm ? 1 : 0
  name        = local.instance_parameter["RULES"]
  description = "Custom sanitization rules (YAML, or base64 gzip YAML when over 8 KiB) replacing the built-in Confluence rules."
  type        = "SecureString"
  tier        = length(local.rules_value) > 4096 ? "Advanced" : "Standard"
  key_id      = var.kms_key_arn
  value       = local.rules_value
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = length(local.rules_value) <= 8192
      error_message = "custom_rules_yaml is too large for an SSM parameter even gzipped (8 KiB): use secrets_store = \"secrets_manager\" (64 KiB) or shorten the rules."
    }
  }
}
