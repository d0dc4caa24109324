# Inputs of one pseudoproxy connector deployment (Lambda + function URL + SSM + caller role).
# Defaults give the Confluence Cloud connector of docs/operations.md.

variable "function_name" {
  type        = string
  description = "Lambda function name. Also names the log group, roles and (when instance_parameter_prefix is null) the SSM prefix: upper-cased, '-' -> '_', plus '_'."
  default     = "pseudoproxy-confluence"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))
    error_message = "function_name: 1-56 letters, digits, '-' or '_' (room is left for the '-caller' role suffix)."
  }
}

variable "lambda_zip_path" {
  type        = string
  description = "Path of the zip built by scripts/package-lambda.sh (one executable named bootstrap)."
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
  description = "Lambda memory (CPU scales with it). Sanitizing a 250-item page is CPU-bound."
  default     = 512
}

variable "timeout_seconds" {
  type        = number
  description = "Lambda timeout. Must exceed request_timeout_seconds so the proxy answers with its own 504 first."
  default     = 60
}

variable "request_timeout_seconds" {
  type        = number
  description = "REQUEST_TIMEOUT_SECONDS: upstream call timeout."
  default     = 55

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
  description = "SSM prefix of this instance's parameters (PATH_TO_INSTANCE_CONFIG), e.g. PSOXY_CONFLUENCE_ or /corp/confluence/. null = derived from function_name as the binary would."
  default     = null

  validation {
    condition     = var.instance_parameter_prefix == null || can(regex("^[A-Za-z0-9_./-]+$", var.instance_parameter_prefix))
    error_message = "instance_parameter_prefix: letters, digits, '_', '.', '-' and '/' only (no wildcards)."
  }
}

variable "shared_parameter_prefix" {
  type        = string
  description = "SSM prefix of the shared PSOXY_SALT and PSOXY_ENCRYPTION_KEY (PATH_TO_SHARED_CONFIG). Empty = no prefix, Psoxy's default."
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
  description = "PSOXY_SALT to store when manage_shared_parameters is true; null = generate one. Pseudonyms depend on it: never change it after data has been exported."
  default     = null
  sensitive   = true
}

variable "encryption_key" {
  type        = string
  description = "PSOXY_ENCRYPTION_KEY (reversible pseudonyms) to store when manage_shared_parameters is true; null = generate one."
  default     = null
  sensitive   = true
}

variable "create_placeholder_parameters" {
  type        = bool
  description = "Create 'fill me' placeholders for CLIENT_ID, CLIENT_SECRET and REFRESH_TOKEN (filled by `pseudoproxy auth`). false when they already exist (Psoxy migration)."
  default     = true
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key ARN for the SecureString parameters (PSOXY_KMS_KEY_ID). null = the account's aws/ssm key. The function gets kms:Decrypt/Encrypt on this key only, via SSM only."
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
  description = "Set ALLOWED_CALLER_ARNS to the caller role (plus additional_allowed_caller_arns), so other principals with broad lambda:InvokeFunctionUrl grants get 403 UNAUTHORIZED_CALLER."
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
  description = "Optional rules YAML stored as the instance RULES parameter; null = the rules built into the binary."
  default     = null
}

variable "development_mode" {
  type        = bool
  description = "IS_DEVELOPMENT_MODE. Keep false in production."
  default     = false
}

variable "health_check_schedule" {
  type        = string
  description = "EventBridge schedule of the deep health check (keeps an idle token family alive, detects revocation). null disables it and its alarm."
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
