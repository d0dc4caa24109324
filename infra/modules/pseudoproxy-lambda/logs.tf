# The function's log group: JSON lines (one audit line per request, spec §6), bounded
# retention, optional KMS. Created before the function so Lambda never creates an
# unmanaged group with infinite retention.

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:kms_key_id is var.log_kms_key_arn; null means CloudWatch's own encryption, because the key policy must name the logs service and this module does not own the key (docs/operations.md, checkov skips)
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}
