# Secrets Manager secrets this module owns (secrets_store = "secrets_manager"): one secret
# per parameter, named exactly like the SSM parameter would be (same prefixes, same
# leading-'/' rule), SecretString = the value; KMS key var.kms_key_arn (null = the
# account's aws/secretsmanager key).
#
# CLIENT_ID, CLIENT_SECRET and REFRESH_TOKEN are created WITHOUT a value: Terraform must
# never own a version of a secret the function rotates. A Terraform-created 'fill me'
# version loses its AWSCURRENT label at the first rotation and is purged by Secrets Manager
# once ~100 newer versions exist; the next apply would then re-create it as AWSCURRENT and
# overwrite the live refresh token with 'fill me', losing the token family. A secret with
# no value reads as absent, like 'fill me' (docs/operations.md). `pseudoproxy auth
# --store secrets-manager` puts the first values. Deleted secrets stay recoverable for 30
# days (aws secretsmanager restore-secret), which also covers an accidental destroy.
#
# Salt and encryption key: generated unless supplied, prevent_destroy on the secret and
# its version, never rewritten (ignore_changes), a differing var.salt fails the plan
# (salt-guard.tf).

resource "aws_secretsmanager_secret" "salt" {
  #checkov:skip=CKV_AWS_149:kms_key_id is var.kms_key_arn; null deliberately means the account's aws/secretsmanager key (docs/operations.md, checkov skips)
  #checkov:skip=CKV2_AWS_57:the salt must never rotate (every pseudonym would change); tokens are rotated by the function itself (docs/operations.md, checkov skips)
  count       = var.manage_shared_parameters && local.use_secrets_manager ? 1 : 0
  name        = local.shared_parameter["PSOXY_SALT"]
  description = "pseudoproxy/Psoxy salt for pseudonyms. Changing it changes every pseudonym."
  kms_key_id  = var.kms_key_arn
  tags        = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_secretsmanager_secret_version" "salt" {
  count         = var.manage_shared_parameters && local.use_secrets_manager ? 1 : 0
  secret_id     = aws_secretsmanager_secret.salt[0].id
  secret_string = local.salt_value

  lifecycle {
    prevent_destroy = true
    ignore_changes  = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "encryption_key" {
  #checkov:skip=CKV_AWS_149:kms_key_id is var.kms_key_arn; null deliberately means the account's aws/secretsmanager key (docs/operations.md, checkov skips)
  #checkov:skip=CKV2_AWS_57:rotating the key makes every reversible pseudonym already issued irreversible; it is rotated deliberately, never on a schedule (docs/operations.md, checkov skips)
  count       = var.manage_shared_parameters && local.use_secrets_manager ? 1 : 0
  name        = local.shared_parameter["PSOXY_ENCRYPTION_KEY"]
  description = "pseudoproxy/Psoxy key for reversible pseudonyms."
  kms_key_id  = var.kms_key_arn
  tags        = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_secretsmanager_secret_version" "encryption_key" {
  count         = var.manage_shared_parameters && local.use_secrets_manager ? 1 : 0
  secret_id     = aws_secretsmanager_secret.encryption_key[0].id
  secret_string = local.encryption_key_value

  lifecycle {
    prevent_destroy = true
    ignore_changes  = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "placeholder" {
  #checkov:skip=CKV_AWS_149:kms_key_id is var.kms_key_arn; null deliberately means the account's aws/secretsmanager key (docs/operations.md, checkov skips)
  #checkov:skip=CKV2_AWS_57:the refresh token is rotated by the function on every refresh; client credentials are rotated by hand (docs/operations.md, checkov skips)
  for_each    = var.create_placeholder_parameters && local.use_secrets_manager ? toset(local.placeholder_names) : toset([])
  name        = local.instance_parameter[each.key]
  description = "Filled by `pseudoproxy auth --store secrets-manager`; REFRESH_TOKEN is then rotated by the function. No value until then."
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret" "rules" {
  #checkov:skip=CKV_AWS_149:kms_key_id is var.kms_key_arn; null deliberately means the account's aws/secretsmanager key (docs/operations.md, checkov skips)
  #checkov:skip=CKV2_AWS_57:rules are configuration written by Terraform, not a credential (docs/operations.md, checkov skips)
  count       = local.rules_yaml != null && local.use_secrets_manager ? 1 : 0
  name        = local.instance_parameter["RULES"]
  description = "Custom sanitization rules (YAML) replacing the built-in Confluence rules."
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "rules" {
  count         = local.rules_yaml != null && local.use_secrets_manager ? 1 : 0
  secret_id     = aws_secretsmanager_secret.rules[0].id
  secret_string = local.rules_value
}
