variable "aws_region" {
  type        = string
  description = "Region to deploy into."
}

variable "function_name" {
  type        = string
  description = "Lambda function name; also derives the SSM prefix (pseudoproxy-confluence -> PSEUDOPROXY_CONFLUENCE_)."
  default     = "pseudoproxy-confluence"
}

variable "lambda_zip_path" {
  type        = string
  description = "The zip printed by scripts/package-lambda.sh."
  default     = "../../../dist/lambda-x86_64/pseudoproxy/bootstrap.zip"
}

variable "architecture" {
  type        = string
  description = "x86_64, or arm64 with a zip from scripts/package-lambda.sh --arm64."
  default     = "x86_64"
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

variable "allowed_ip_blocks" {
  type        = list(string)
  description = "Caller IPs/CIDRs; empty = no IP allow-list."
  default     = []
}

variable "confluence_cloud_id" {
  type        = string
  description = "Printed by `pseudoproxy auth`; enables short /wiki/... paths. Fill after the consent bootstrap and apply again."
  default     = null
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key for the SecureString parameters; null = aws/ssm."
  default     = null
}

variable "log_retention_days" {
  type        = number
  description = "Audit log retention."
  default     = 365
}

variable "alarm_actions" {
  type        = list(string)
  description = "SNS topic ARNs to notify when the deep health check fails or the function errors."
  default     = []
}
