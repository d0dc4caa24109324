variable "aws_region" {
  type        = string
  description = "The Psoxy deployment's region (its parameters are regional)."
}

variable "function_name" {
  type        = string
  description = "Name of the new function (not Psoxy's)."
  default     = "pseudoproxy-confluence"
}

variable "lambda_zip_path" {
  type        = string
  description = "The zip printed by scripts/package-lambda.sh."
  default     = "../../../../dist/lambda-x86_64/pseudoproxy/bootstrap.zip"
}

variable "architecture" {
  type    = string
  default = "x86_64"
}

variable "psoxy_instance_parameter_prefix" {
  type        = string
  description = "Prefix of the Psoxy instance's parameters, exactly as in SSM minus the short name: PSOXY_CONFLUENCE_ for PSOXY_CONFLUENCE_REFRESH_TOKEN, or /psoxy/PSOXY_CONFLUENCE_ for a path."
}

variable "psoxy_shared_parameter_prefix" {
  type        = string
  description = "Prefix of Psoxy's PSOXY_SALT: empty when it is named PSOXY_SALT, /psoxy/ for /psoxy/PSOXY_SALT."
  default     = ""
}

variable "psoxy_kms_key_arn" {
  type        = string
  description = "The KMS key Psoxy's SecureStrings are encrypted with; null when they use aws/ssm."
  default     = null
}

variable "email_canonicalization" {
  type        = string
  description = "The Psoxy deployment's EMAIL_CANONICALIZATION, if it set one."
  default     = null
}

variable "email_domain_handling" {
  type        = string
  description = "The Psoxy deployment's EMAIL_DOMAIN_HANDLING, if it set one."
  default     = null
}

variable "caller_aws_principals" {
  type        = list(string)
  description = "AWS principals that may assume the new caller role."
  default     = []
}

variable "psoxy_caller_role_arns" {
  type        = list(string)
  description = "Role(s) the platform assumes today for Psoxy, also admitted by ALLOWED_CALLER_ARNS; grant them the invoke policy from docs/operations.md."
  default     = []
}

variable "confluence_cloud_id" {
  type        = string
  description = "The site's cloudId (Psoxy's callers use /ex/confluence/<cloudId>/... paths, which keep working without it)."
  default     = null
}

variable "alarm_actions" {
  type    = list(string)
  default = []
}
