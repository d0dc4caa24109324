# Refuses, at plan time, a salt or encryption key in the variables that differs from the
# stored one. The stored parameters ignore changes to their value, so during a plan their
# `value` is the one already stored (on the first apply: the one about to be stored); this
# precondition compares var.salt / var.encryption_key against it. Comparing hashes keeps the
# secrets out of any message. A changed salt would change every pseudonym and break joins
# with all data already exported; it is never what an apply should do quietly.

resource "terraform_data" "shared_secrets_unchanged" {
  count = var.manage_shared_parameters ? 1 : 0

  lifecycle {
    precondition {
      condition = var.salt == null ? true : sha256(var.salt) == sha256(
        local.use_secrets_manager ? aws_secretsmanager_secret_version.salt[0].secret_string : aws_ssm_parameter.salt[0].value
      )
      error_message = "var.salt differs from the PSOXY_SALT already stored. Terraform will not change a salt: every pseudonym would change and joins with data already exported would break. Restore the previous value (or set salt = null to keep the stored one). To really start over with a new salt, see docs/operations.md, \"Salt and encryption key\"."
    }
    precondition {
      condition = var.encryption_key == null ? true : sha256(var.encryption_key) == sha256(
        local.use_secrets_manager ? aws_secretsmanager_secret_version.encryption_key[0].secret_string : aws_ssm_parameter.encryption_key[0].value
      )
      error_message = "var.encryption_key differs from the PSOXY_ENCRYPTION_KEY already stored. Terraform will not change it: every reversible pseudonym already issued would stop decrypting. Restore the previous value or set encryption_key = null; docs/operations.md, \"Salt and encryption key\", describes a deliberate rotation."
    }
  }
}
