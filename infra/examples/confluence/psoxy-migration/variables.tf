variable "aws_region" {
  type        = string
  description = "The Psoxy deployment's region (its parameters are regional)."
}

variable "function_name" {
  type        = string
  description = "Name of the new function (not Psoxy's, which stays deployed, stopped, for a rollback)."
  default     = "pseudoproxy-confluence"
}

variable "psoxy_instance_parameter_prefix" {
  type        = string
  description = "Prefix of the Psoxy instance's parameters or secrets, exactly as stored minus the short name: PSOXY_CONFLUENCE_CLOUD_ for PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN (environment \"psoxy\", connector confluence-cloud), /psoxy/PSOXY_CONFLUENCE_CLOUD_ with a root path."
}

variable "psoxy_shared_parameter_prefix" {
  type        = string
  description = "Prefix of Psoxy's PSOXY_SALT (its aws_ssm_param_root_path, or aws_secrets_manager_path with Secrets Manager): empty when it is named PSOXY_SALT, /psoxy/ for /psoxy/PSOXY_SALT."
  default     = ""
}

variable "psoxy_kms_key_arn" {
  type        = string
  description = "ARN of the KMS key Psoxy's parameters or secrets are encrypted with (its aws_ssm_key_id); null when they use the AWS-managed key."
  default     = null
}

variable "psoxy_caller_role_arns" {
  type        = list(string)
  description = "Role(s) the platform assumes today for Psoxy (e.g. ...SanitizedDataAccessor, older ...Caller), also admitted by ALLOWED_CALLER_ARNS; grant them the invoke policy from docs/migrating-from-psoxy.md."
  default     = []
}

variable "lambda_zip_path" {
  type        = string
  description = "Local Lambda zip: a release asset (pseudoproxy-lambda-<arch>.zip, checksum verified; docs/operations.md, \"Get the software\") or what scripts/package-lambda.sh printed. null when the zip is in S3."
  default     = "../../../../dist/lambda-x86_64/pseudoproxy/bootstrap.zip"
}

variable "lambda_s3_bucket" {
  type        = string
  description = "S3 bucket holding the Lambda zip (instead of lambda_zip_path; set lambda_zip_path = null)."
  default     = null
}

variable "lambda_s3_key" {
  type        = string
  description = "S3 key of the Lambda zip."
  default     = null
}

variable "lambda_s3_object_version" {
  type        = string
  description = "Object version of the zip (versioned bucket)."
  default     = null
}

variable "lambda_zip_base64sha256" {
  type        = string
  description = "With S3: the zip's base64 SHA-256 (the release's <zip>.base64sha256); a change redeploys."
  default     = null
}

variable "architecture" {
  type        = string
  description = "x86_64, or arm64 with the arm64 zip."
  default     = "x86_64"
}

variable "memory_mb" {
  type        = number
  description = "Lambda memory in MB (CPU scales with it). 256 by default: docs/performance.md, \"Cost per million requests\" (a 6 MB page costs the same CPU-seconds at any size, the wait for Confluence is billed per MB, and 256 MB holds the largest page with room to spare)."
  default     = 256
}

variable "timeout_seconds" {
  type        = number
  description = "Lambda timeout; at least request_timeout_seconds + 90."
  default     = 270
}

variable "request_timeout_seconds" {
  type        = number
  description = "Upstream (Confluence) call timeout."
  default     = 180
}

variable "reserved_concurrency" {
  type        = number
  description = "Reserved concurrent executions; null = unreserved."
  default     = null
}

variable "secrets_store" {
  type        = string
  description = "Where Psoxy keeps its secrets: \"ssm\" (Psoxy's secrets_store_implementation = aws_ssm_parameter_store, its default) or \"secrets_manager\" (aws_secrets_manager)."
  default     = "ssm"
}

variable "front_door" {
  type        = string
  description = "\"function_url\" (Psoxy's default), \"api_gateway_http\" (for a Psoxy deployment with use_api_gateway_v2 or vpc_config) or \"api_gateway_rest\"."
  default     = "function_url"
}

variable "api_gateway_stage_name" {
  type        = string
  description = "Stage of an API Gateway front door (Psoxy's is \"live\")."
  default     = "live"
}

variable "caller_aws_principals" {
  type        = list(string)
  description = "AWS principals (ARNs) of the analytics platform that may assume the caller role."
  default     = []
}

variable "caller_web_identity" {
  type = object({
    provider_arn  = string
    provider_host = string
    audience      = string
    subject       = optional(string)
  })
  description = "OIDC federation for the analytics platform (e.g. a Google service account); null = none."
  default     = null
}

variable "additional_allowed_caller_arns" {
  type        = list(string)
  description = "Extra caller ARNs admitted by ALLOWED_CALLER_ARNS, besides psoxy_caller_role_arns."
  default     = []
}

variable "restrict_callers" {
  type        = bool
  description = "Admit only the caller role (plus additional_allowed_caller_arns)."
  default     = true
}

variable "allowed_ip_blocks" {
  type        = list(string)
  description = "Caller IPs/CIDRs; empty = no IP allow-list."
  default     = []
}

variable "confluence_cloud_id" {
  type        = string
  description = "Printed by the consent command (and by test_command before it is set); enables short /wiki/... paths. Fill after consent and apply again."
  default     = null
}

variable "custom_rules_path" {
  type        = string
  description = "null (default): an existing Psoxy RULES parameter under the prefix is used as is, else the built-in rules. A path: rules YAML this root stores as RULES (only when Psoxy has none there, or with secrets_store = secrets_manager; docs/migrating-from-psoxy.md)."
  default     = null
}

variable "email_canonicalization" {
  type        = string
  description = "The Psoxy deployment's email_canonicalization (its default is STRICT). A different value changes pseudonyms."
  default     = null
}

variable "email_domain_handling" {
  type        = string
  description = "The Psoxy deployment's EMAIL_DOMAIN_HANDLING, if it set one. A different value changes pseudonyms."
  default     = null
}

variable "environment_kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key for the function's environment; null = Lambda's key."
  default     = null
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary for the roles the module creates; null = none."
  default     = null
}

variable "vpc_config" {
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  description = "Private subnets (with a NAT gateway route) and security groups for the function; null = no VPC."
  default     = null
}

variable "log_retention_days" {
  type        = number
  description = "Audit log retention."
  default     = 365
}

variable "log_kms_key_arn" {
  type        = string
  description = "KMS key for the log groups (its policy must allow the logs service); null = CloudWatch's encryption."
  default     = null
}

variable "health_check_schedule" {
  type        = string
  description = "Schedule of the deep health check; null disables it (not recommended: it keeps an idle token family alive)."
  default     = "rate(1 day)"
}

variable "token_expiry_alarm_days" {
  type        = number
  description = "Alarm when the token family has fewer days than this left."
  default     = 30
}

variable "alarm_actions" {
  type        = list(string)
  description = "SNS topic ARNs notified when an alarm fires or recovers."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource."
  default     = {}
}
