# SSM parameters this module owns. Values written by people or by the function at run time
# (client credentials, the rotating refresh token) start as 'fill me' placeholders, which
# the binary treats as absent, and Terraform never overwrites them afterwards
# (ignore_changes on value). Salt and encryption key are generated unless supplied.

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

resource "aws_ssm_parameter" "salt" {
  #checkov:skip=CKV_AWS_337:key_id is var.kms_key_arn; null deliberately means the account's aws/ssm key (docs/operations.md, checkov skips)
  count       = var.manage_shared_parameters ? 1 : 0
  name        = local.shared_parameter["PSOXY_SALT"]
  description = "pseudoproxy/Psoxy salt for pseudonyms. Changing it changes every pseudonym."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = coalesce(var.salt, try(random_password.salt[0].result, null))
  tags        = var.tags

  lifecycle {
    # A salt change would silently break joins with every pseudonym already exported.
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "encryption_key" {
  #checkov:skip=CKV_AWS_337:key_id is var.kms_key_arn; null deliberately means the account's aws/ssm key (docs/operations.md, checkov skips)
  count       = var.manage_shared_parameters ? 1 : 0
  name        = local.shared_parameter["PSOXY_ENCRYPTION_KEY"]
  description = "pseudoproxy/Psoxy key for reversible pseudonyms."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = coalesce(var.encryption_key, try(random_password.encryption_key[0].result, null))
  tags        = var.tags

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "placeholder" {
  #checkov:skip=CKV_AWS_337:key_id is var.kms_key_arn; null deliberately means the account's aws/ssm key (docs/operations.md, checkov skips)
  for_each    = var.create_placeholder_parameters ? toset(local.placeholder_names) : toset([])
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
  count       = var.custom_rules_yaml == null ? 0 : 1
  name        = local.instance_parameter["RULES"]
  description = "Custom sanitization rules (YAML) replacing the built-in Confluence rules."
  type        = "SecureString"
  tier        = length(var.custom_rules_yaml) > 4096 ? "Advanced" : "Standard"
  key_id      = var.kms_key_arn
  value       = var.custom_rules_yaml
  tags        = var.tags
}
