# Derived names. Parameter names follow src/config/names.rs exactly: prefix + short name,
# made absolute with a leading '/' when the result contains '/', so the function reads and
# writes the very parameters this module creates and grants.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition

  instance_prefix = coalesce(var.instance_parameter_prefix, "${upper(replace(var.function_name, "-", "_"))}_")
  shared_prefix   = var.shared_parameter_prefix

  # Short names the binary reads under the instance prefix (OAuth contract + rules).
  instance_read_names = ["CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "ACCESS_TOKEN", "TOKEN_FAMILY", "OAUTH_REFRESH_TOKEN_lock", "RULES", "CONFLUENCE_CLOUD_ID"]
  # ...and writes at run time: the rotated token, the shared access token, the token-family
  # ledger, and the refresh lock (created with create-if-absent, deleted by its owner).
  instance_write_names = ["REFRESH_TOKEN", "ACCESS_TOKEN", "TOKEN_FAMILY", "OAUTH_REFRESH_TOKEN_lock"]
  lock_name            = "OAUTH_REFRESH_TOKEN_lock"
  shared_names         = ["PSOXY_SALT", "PSOXY_ENCRYPTION_KEY"]
  placeholder_names    = ["CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"]

  raw_instance = { for n in distinct(concat(local.instance_read_names, local.instance_write_names)) : n => "${local.instance_prefix}${n}" }
  raw_shared   = { for n in local.shared_names : n => "${local.shared_prefix}${n}" }

  instance_parameter = { for n, raw in local.raw_instance : n => (strcontains(raw, "/") && !startswith(raw, "/") ? "/${raw}" : raw) }
  shared_parameter   = { for n, raw in local.raw_shared : n => (strcontains(raw, "/") && !startswith(raw, "/") ? "/${raw}" : raw) }

  # arn:...:parameter/NAME for flat names, arn:...:parameter/a/b/NAME for hierarchies.
  parameter_arn_base = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/"
  instance_arn       = { for n, name in local.instance_parameter : n => "${local.parameter_arn_base}${trimprefix(name, "/")}" }
  shared_arn         = { for n, name in local.shared_parameter : n => "${local.parameter_arn_base}${trimprefix(name, "/")}" }

  allowed_caller_arns = concat([aws_iam_role.caller.arn], var.additional_allowed_caller_arns)

  # Environment of proxy runtime spec §4. Secrets never go here: the binary ignores them in
  # Lambda mode and reads them from SSM. Optional settings are omitted when unset.
  environment = merge(
    {
      TARGET_HOST                     = "api.atlassian.com"
      SOURCE                          = "confluence"
      SOURCE_AUTH_STRATEGY_IDENTIFIER = "oauth2_refresh_token"
      GRANT_TYPE                      = "refresh_token"
      REFRESH_ENDPOINT                = "https://auth.atlassian.com/oauth/token"
      USE_SHARED_TOKEN                = "TRUE"
      REQUEST_TIMEOUT_SECONDS         = tostring(var.request_timeout_seconds)
      IS_DEVELOPMENT_MODE             = var.development_mode ? "true" : "false"
      PATH_TO_INSTANCE_CONFIG         = local.instance_prefix
    },
    local.shared_prefix == "" ? {} : { PATH_TO_SHARED_CONFIG = local.shared_prefix },
    var.kms_key_arn == null ? {} : { PSOXY_KMS_KEY_ID = var.kms_key_arn },
    var.confluence_cloud_id == null ? {} : { CONFLUENCE_CLOUD_ID = var.confluence_cloud_id },
    var.email_canonicalization == null ? {} : { EMAIL_CANONICALIZATION = var.email_canonicalization },
    var.email_domain_handling == null ? {} : { EMAIL_DOMAIN_HANDLING = var.email_domain_handling },
    length(var.allowed_ip_blocks) == 0 ? {} : { ALLOWED_DATA_ACCESS_IP_BLOCKS = join(",", var.allowed_ip_blocks) },
    var.restrict_callers ? { ALLOWED_CALLER_ARNS = join(",", local.allowed_caller_arns) } : {},
  )

  health_check_enabled = var.health_check_schedule != null
}
