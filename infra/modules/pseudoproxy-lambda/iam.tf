# The function's execution role: exactly the parameters it reads and writes (no prefix
# wildcards), the two shared secrets read-only, KMS on the configured key only and only
# through SSM, and writing to its own log group.

data "aws_iam_policy_document" "execution_assume" {
  statement {
    sid     = "LambdaAssumes"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.function_name}-exec"
  assume_role_policy = data.aws_iam_policy_document.execution_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadInstanceParameters"
    effect    = "Allow"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"]
    resources = [for n in local.instance_read_names : local.instance_arn[n]]
  }

  statement {
    sid       = "WriteRotatedTokensAndLock"
    effect    = "Allow"
    actions   = ["ssm:PutParameter"]
    resources = [for n in local.instance_write_names : local.instance_arn[n]]
  }

  statement {
    sid       = "ReleaseRefreshLock"
    effect    = "Allow"
    actions   = ["ssm:DeleteParameter"]
    resources = [local.instance_arn[local.lock_name]]
  }

  statement {
    sid       = "ReadSharedSecrets"
    effect    = "Allow"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = [for n in local.shared_names : local.shared_arn[n]]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "SecureStringsWithConfiguredKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:Encrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.function_name}-exec"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}
