# Derived names. Parameter names follow src/config/names.rs exactly: prefix + short name,
# made absolute with a leading '/' when the result contains '/', so the function reads and
# writes the very parameters (or, with Secrets Manager, secrets of the same names) this
# module creates and grants.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition

  use_secrets_manager = var.secrets_store == "secrets_manager"
  use_ssm             = !local.use_secrets_manager
  front_door          = var.front_door
  use_function_url    = local.front_door == "function_url"
  use_http_api        = local.front_door == "api_gateway_http"
  use_rest_api        = local.front_door == "api_gateway_rest"
  use_api_gateway     = !local.use_function_url
  use_vpc             = var.vpc_config != null

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

  # SSM: arn:...:parameter/NAME for flat names, arn:...:parameter/a/b/NAME for hierarchies.
  parameter_arn_base = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/"
  instance_arn       = { for n, name in local.instance_parameter : n => "${local.parameter_arn_base}${trimprefix(name, "/")}" }
  shared_arn         = { for n, name in local.shared_parameter : n => "${local.parameter_arn_base}${trimprefix(name, "/")}" }

  # Secrets Manager: arn:...:secret:NAME-XXXXXX, the name verbatim (a leading '/' stays:
  # secret:/a/b/NAME-AbCdEf) plus the hyphen and six random characters AWS appends. '-??????'
  # matches exactly those six, so no other secret whose name merely starts with NAME matches.
  secret_arn_base     = "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:"
  instance_secret_arn = { for n, name in local.instance_parameter : n => "${local.secret_arn_base}${name}-??????" }
  shared_secret_arn   = { for n, name in local.shared_parameter : n => "${local.secret_arn_base}${name}-??????" }

  # KMS keys the execution role may use, each only through its service (iam.tf).
  ssm_kms_keys         = local.use_ssm && var.kms_key_arn != null ? [var.kms_key_arn] : []
  secrets_kms_keys     = local.use_secrets_manager && var.kms_key_arn != null ? [var.kms_key_arn] : []
  environment_kms_keys = var.environment_kms_key_arn == null ? [] : [var.environment_kms_key_arn]

  # VPC: the ENI resources the execution role may create or manage (iam.tf).
  vpc_eni_arn            = "arn:${local.partition}:ec2:${local.region}:${local.account}:network-interface/*"
  vpc_subnet_arns        = local.use_vpc ? [for s in var.vpc_config.subnet_ids : "arn:${local.partition}:ec2:${local.region}:${local.account}:subnet/${s}"] : []
  vpc_security_group_arn = local.use_vpc ? [for g in var.vpc_config.security_group_ids : "arn:${local.partition}:ec2:${local.region}:${local.account}:security-group/${g}"] : []

  # The front door's execute-api ARN, every method and path of the one stage (caller.tf).
  # Both branches are evaluated; only the chosen one's errors count, so [0] is safe.
  execute_api_invoke_arn = (
    local.use_http_api ? "${aws_apigatewayv2_api.proxy[0].execution_arn}/${var.api_gateway_stage_name}/*/*" :
    local.use_rest_api ? "${aws_api_gateway_rest_api.proxy[0].execution_arn}/${var.api_gateway_stage_name}/*/*" : null
  )

  base_url = (
    local.use_function_url ? aws_lambda_function_url.proxy[0].function_url :
    local.use_http_api ? "${trimsuffix(aws_apigatewayv2_stage.proxy[0].invoke_url, "/")}/" :
    "${trimsuffix(aws_api_gateway_stage.proxy[0].invoke_url, "/")}/"
  )
  # The SigV4 service name callers sign for.
  sigv4_service = local.use_function_url ? "lambda" : "execute-api"

  allowed_caller_arns = concat([aws_iam_role.caller.arn], var.additional_allowed_caller_arns)

  # Custom rules as stored: SSM parameters hold 8 KiB (Advanced tier), so larger YAML is
  # stored as base64 gzip, an encoding the binary reads (as Psoxy's rules module does).
  rules_yaml   = var.custom_rules_yaml
  rules_value  = local.rules_yaml == null ? null : (local.use_ssm && length(local.rules_yaml) > 8192 ? base64gzip(local.rules_yaml) : local.rules_yaml)
  rules_sha1   = local.rules_yaml == null ? null : sha1(local.rules_yaml)
  secrets_cli  = local.use_secrets_manager ? "secrets-manager" : "ssm"
  store_config = local.use_secrets_manager ? "AWS_SECRETS_MANAGER" : "AWS_SSM_PARAMETER_STORE"

  # Environment of proxy runtime spec §4. Secrets never go here: the binary ignores them in
  # Lambda mode and reads them from the store. Optional settings are omitted when unset.
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
      SECRETS_STORE                   = local.store_config
    },
    local.shared_prefix == "" ? {} : { PATH_TO_SHARED_CONFIG = local.shared_prefix },
    var.kms_key_arn == null ? {} : { PSOXY_KMS_KEY_ID = var.kms_key_arn },
    var.confluence_cloud_id == null ? {} : { CONFLUENCE_CLOUD_ID = var.confluence_cloud_id },
    var.email_canonicalization == null ? {} : { EMAIL_CANONICALIZATION = var.email_canonicalization },
    var.email_domain_handling == null ? {} : { EMAIL_DOMAIN_HANDLING = var.email_domain_handling },
    length(var.allowed_ip_blocks) == 0 ? {} : { ALLOWED_DATA_ACCESS_IP_BLOCKS = join(",", var.allowed_ip_blocks) },
    var.restrict_callers ? { ALLOWED_CALLER_ARNS = join(",", local.allowed_caller_arns) } : {},
    # API Gateway puts the stage in the path the function sees (/live/wiki/...).
    local.use_api_gateway ? { PATH_PREFIX = "/${var.api_gateway_stage_name}" } : {},
    # Not read for its value: a rules change alters the configuration, so Lambda starts
    # fresh instances that load the new RULES (Psoxy sets the same variable for this).
    local.rules_sha1 == null ? {} : { CUSTOM_RULES_SHA = local.rules_sha1 },
  )

  health_check_enabled = var.health_check_schedule != null
  # Seconds between scheduled checks: from rate(N unit); a cron() counts as daily.
  health_rate = try(regex("^rate\\(([0-9]+) (minute|minutes|hour|hours|day|days)\\)$", coalesce(var.health_check_schedule, "-")), null)
  health_check_period = local.health_rate == null ? 86400 : tonumber(local.health_rate[0]) * lookup(
    { minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 }, local.health_rate[1]
  )
}
