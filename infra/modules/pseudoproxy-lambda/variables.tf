# Inputs of one pseudoproxy connector deployment (Lambda + function URL + SSM + caller role).
# Defaults give the Confluence Cloud connector of docs/operations.md.

variable "function_name" {
  type        = string
  description = "Lambda function name. Also names the log group, roles, API and (when instance_parameter_prefix is null) the parameter prefix: upper-cased, '-' -> '_', plus '_'."
  default     = "pseudoproxy-confluence"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))
    error_message = "function_name: 1-56 letters, digits, '-' or '_' (room is left for the '-caller' role suffix)."
  }
}

variable "lambda_zip_path" {
  type        = string
  description = "Local path of the Lambda zip (one executable named bootstrap): a release asset (pseudoproxy-lambda-<arch>.zip, checksum verified) or the zip scripts/package-lambda.sh builds. Set this or lambda_s3_bucket/lambda_s3_key."
  default     = null
}

variable "lambda_s3_bucket" {
  type        = string
  description = "S3 bucket holding the Lambda zip (same region as the function), as an alternative to lambda_zip_path. The deployer needs s3:GetObject on the object."
  default     = null
}

variable "lambda_s3_key" {
  type        = string
  description = "S3 key of the Lambda zip in lambda_s3_bucket."
  default     = null
}

variable "lambda_s3_object_version" {
  type        = string
  description = "Object version of the zip in a versioned bucket; a new version redeploys the code."
  default     = null
}

variable "lambda_zip_base64sha256" {
  type        = string
  description = "With lambda_s3_*: the zip's SHA-256, base64-encoded (`openssl dgst -sha256 -binary FILE | base64`; the release publishes it as <zip>.base64sha256). Changing it redeploys the code; without it (or an object version) a new object under the same key is not noticed."
  default     = null
}

variable "architecture" {
  type        = string
  description = "Lambda architecture: x86_64 (default) or arm64 (build with scripts/package-lambda.sh --arm64)."
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_mb" {
  type        = number
  description = "Lambda memory in MB (CPU scales with it). 256 by default: docs/performance.md, \"Cost per million requests\" (a 6 MB page costs the same CPU-seconds at any size, the wait for Confluence is billed per MB, and 256 MB holds the largest page with room to spare)."
  default     = 256
}

variable "timeout_seconds" {
  type        = number
  description = "Lambda timeout. At least request_timeout_seconds + 90: a request may wait 20 s for the refresh lock, spend 60 s on a worst-case refresh with write-back, then the upstream timeout, plus 10 s headroom (checked by a precondition)."
  default     = 270

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be 1..900 (Lambda's maximum)."
  }
}

variable "request_timeout_seconds" {
  type        = number
  description = "REQUEST_TIMEOUT_SECONDS: upstream call timeout (Psoxy's default, 180)."
  default     = 180

  validation {
    condition     = var.request_timeout_seconds >= 1 && var.request_timeout_seconds <= 900
    error_message = "request_timeout_seconds must be 1..900."
  }
}

variable "reserved_concurrency" {
  type        = number
  description = "Reserved concurrent executions; null = unreserved (accounts with the default limit of 10 cannot reserve any)."
  default     = null
}

variable "instance_parameter_prefix" {
  type        = string
  description = "Prefix of this instance's parameters or secrets (PATH_TO_INSTANCE_CONFIG), e.g. PSOXY_CONFLUENCE_CLOUD_ (Psoxy's) or /corp/confluence/. null = derived from function_name as the binary would."
  default     = null

  validation {
    condition     = var.instance_parameter_prefix == null || can(regex("^[A-Za-z0-9_./-]+$", var.instance_parameter_prefix))
    error_message = "instance_parameter_prefix: letters, digits, '_', '.', '-' and '/' only (no wildcards)."
  }
}

variable "shared_parameter_prefix" {
  type        = string
  description = "Prefix of the shared PSOXY_SALT and PSOXY_ENCRYPTION_KEY (PATH_TO_SHARED_CONFIG). Empty = no prefix, Psoxy's default."
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]*$", var.shared_parameter_prefix))
    error_message = "shared_parameter_prefix: letters, digits, '_', '.', '-' and '/' only (no wildcards)."
  }
}

variable "manage_shared_parameters" {
  type        = bool
  description = "Create PSOXY_SALT and PSOXY_ENCRYPTION_KEY. false = they already exist (a Psoxy deployment or another connector owns them)."
  default     = true
}

variable "salt" {
  type        = string
  description = "PSOXY_SALT to store when manage_shared_parameters is true; null = generate one. Pseudonyms depend on it: once stored, a different value here fails the plan (it is never silently ignored nor overwritten)."
  default     = null
  sensitive   = true
}

variable "encryption_key" {
  type        = string
  description = "PSOXY_ENCRYPTION_KEY (reversible pseudonyms) to store when manage_shared_parameters is true; null = generate one. Like salt, a change after the first apply fails the plan."
  default     = null
  sensitive   = true
}

variable "create_placeholder_parameters" {
  type        = bool
  description = "Create CLIENT_ID, CLIENT_SECRET and REFRESH_TOKEN for `pseudoproxy auth` to fill: SSM parameters holding 'fill me', or empty Secrets Manager secrets (no version; see docs/operations.md). false when they already exist (Psoxy migration)."
  default     = true
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key ARN for the parameters or secrets (PSOXY_KMS_KEY_ID). null = the account's aws/ssm or aws/secretsmanager key. The function may use this key only through the chosen store (kms:ViaService)."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias or '*'."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's log group (audit lines). 365 keeps a year of audit trail."
  default     = 365
}

variable "log_kms_key_arn" {
  type        = string
  description = "KMS key for the log group; its key policy must allow logs.REGION.amazonaws.com. null = CloudWatch's own encryption."
  default     = null
}

variable "caller_aws_principals" {
  type        = list(string)
  description = "AWS principal ARNs (e.g. the analytics platform's role) allowed to assume the caller role."
  default     = []
}

variable "caller_web_identity" {
  type = object({
    provider_arn  = string           # e.g. arn:aws:iam::ACCOUNT:oidc-provider/accounts.google.com
    provider_host = string           # e.g. accounts.google.com (prefix of the condition keys)
    audience      = string           # required: without it any identity of the provider could assume the role
    subject       = optional(string) # e.g. the service account's unique id
  })
  description = "Optional web-identity federation (OIDC) allowed to assume the caller role."
  default     = null

  validation {
    condition     = var.caller_web_identity == null || try(length(trimspace(var.caller_web_identity.audience)) > 0, false)
    error_message = "caller_web_identity.audience must be set."
  }
}

variable "restrict_callers" {
  type        = bool
  description = "Set ALLOWED_CALLER_ARNS to the caller role (plus additional_allowed_caller_arns), so other principals with broad invoke grants get 403 UNAUTHORIZED_CALLER."
  default     = true
}

variable "additional_allowed_caller_arns" {
  type        = list(string)
  description = "Extra IAM ARNs for ALLOWED_CALLER_ARNS (e.g. a Psoxy-era caller role). Their IAM grants are yours to manage (docs/operations.md)."
  default     = []
}

variable "allowed_ip_blocks" {
  type        = list(string)
  description = "ALLOWED_DATA_ACCESS_IP_BLOCKS: caller IPs/CIDRs (v4 or v6). Empty = no IP allow-list."
  default     = []
}

variable "confluence_cloud_id" {
  type        = string
  description = "CONFLUENCE_CLOUD_ID (printed by `pseudoproxy auth`): enables short /wiki/... paths. null = callers send /ex/confluence/<cloudId>/wiki/..."
  default     = null
}

variable "email_canonicalization" {
  type        = string
  description = "EMAIL_CANONICALIZATION: STRICT or IGNORE_DOTS; null = the binary's default. Must match the Psoxy deployment being replaced."
  default     = null
}

variable "email_domain_handling" {
  type        = string
  description = "EMAIL_DOMAIN_HANDLING: PRESERVE, REDACT, TOKENIZE or ENCRYPT; null = the binary's default."
  default     = null
}

variable "custom_rules_yaml" {
  type        = string
  description = "Optional rules YAML stored as the instance RULES parameter or secret (base64 gzip when over 8 KiB in SSM); null = the rules built into the binary. A change redeploys the function (env CUSTOM_RULES_SHA)."
  default     = null
}

variable "development_mode" {
  type        = bool
  description = "IS_DEVELOPMENT_MODE. Keep false in production."
  default     = false
}

variable "health_check_schedule" {
  type        = string
  description = "EventBridge schedule of the deep health check (keeps an idle token family alive, detects revocation). null disables it and the alarms that read its log lines. A rate() of 1 hour to 2 days sets the transient alarm's period; a cron() is taken as daily."
  default     = "rate(1 day)"
}

variable "alarm_actions" {
  type        = list(string)
  description = "ARNs (e.g. an SNS topic) notified when an alarm fires or recovers."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource that takes them."
  default     = {}
}

# --- Deployment shapes (issue 15): every shape a Psoxy deployment can have. ---

variable "secrets_store" {
  type        = string
  description = "Where parameters live: \"ssm\" (SSM Parameter Store SecureStrings, default) or \"secrets_manager\" (one Secrets Manager secret per parameter, same names; sets SECRETS_STORE=AWS_SECRETS_MANAGER)."
  default     = "ssm"

  validation {
    condition     = contains(["ssm", "secrets_manager"], var.secrets_store)
    error_message = "secrets_store must be \"ssm\" or \"secrets_manager\"."
  }
}

variable "front_door" {
  type        = string
  description = "How callers reach the function: \"function_url\" (IAM-authenticated function URL, default), \"api_gateway_http\" (HTTP API, payload 2.0, IAM authorization) or \"api_gateway_rest\" (REST API, payload 1.0, AWS_IAM authorization). Exactly one exists; the caller role may invoke only it."
  default     = "function_url"

  validation {
    condition     = contains(["function_url", "api_gateway_http", "api_gateway_rest"], var.front_door)
    error_message = "front_door must be \"function_url\", \"api_gateway_http\" or \"api_gateway_rest\"."
  }
}

variable "api_gateway_stage_name" {
  type        = string
  description = "Stage of the API Gateway front doors (Psoxy's is \"live\"). It is the first path segment of base_url, so the function gets PATH_PREFIX=/<stage>."
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.api_gateway_stage_name))
    error_message = "api_gateway_stage_name: 1-64 letters, digits, '-' or '_' (no wildcards, not $default)."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "IAM permissions boundary (policy ARN) attached to every role this module creates (execution and caller roles); null = none."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "environment_kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key for the function's environment variables (kms_key_arn of the function); null = Lambda's AWS-owned key. The environment holds no secret either way."
  default     = null

  validation {
    condition     = var.environment_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.environment_kms_key_arn))
    error_message = "environment_kms_key_arn must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "vpc_config" {
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  description = "Run the function in these private subnets with these security groups; null = no VPC. The subnets need a route to the internet (a NAT gateway; with an Elastic IP, Atlassian IP allow-listing sees one fixed address) and to SSM/Secrets Manager (NAT or VPC endpoints)."
  default     = null

  validation {
    condition = var.vpc_config == null || try(
      length(var.vpc_config.subnet_ids) > 0 && length(var.vpc_config.security_group_ids) > 0 &&
      alltrue([for s in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))]) &&
      alltrue([for g in var.vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]+$", g))]),
    false)
    error_message = "vpc_config needs at least one subnet id (subnet-...) and one security group id (sg-...), ids only."
  }
}

# --- Monitoring (issue 18) ---

variable "token_expiry_alarm_days" {
  type        = number
  description = "Alarm when the token family has fewer than this many days left before its 365-day or 90-day expiry (from the deep health check's days_to_expiry)."
  default     = 30
}
