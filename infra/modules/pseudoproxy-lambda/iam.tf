# The function's execution role: exactly the parameters (or secrets) it reads and writes,
# no prefix wildcards; the two shared secrets read-only; KMS on the configured key only and
# only through the chosen store; writing to its own log group; with a VPC, creating and
# managing its network interfaces in the configured subnets. Only the statements of the
# chosen secrets store exist. Every role of this module carries var.permissions_boundary_arn.

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
  name                 = "${var.function_name}-exec"
  assume_role_policy   = data.aws_iam_policy_document.execution_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "execution" {
  # --- SSM Parameter Store (secrets_store = "ssm") ---
  dynamic "statement" {
    for_each = local.use_ssm ? [1] : []
    content {
      sid       = "ReadInstanceParameters"
      effect    = "Allow"
      actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"]
      resources = [for n in local.instance_read_names : local.instance_arn[n]]
    }
  }

  dynamic "statement" {
    for_each = local.use_ssm ? [1] : []
    content {
      sid       = "WriteRotatedTokensAndLock"
      effect    = "Allow"
      actions   = ["ssm:PutParameter"]
      resources = [for n in local.instance_write_names : local.instance_arn[n]]
    }
  }

  dynamic "statement" {
    for_each = local.use_ssm ? [1] : []
    content {
      sid       = "ReleaseRefreshLock"
      effect    = "Allow"
      actions   = ["ssm:DeleteParameter"]
      resources = [local.instance_arn[local.lock_name]]
    }
  }

  dynamic "statement" {
    for_each = local.use_ssm ? [1] : []
    content {
      sid       = "ReadSharedSecrets"
      effect    = "Allow"
      actions   = ["ssm:GetParameter", "ssm:GetParameters"]
      resources = [for n in local.shared_names : local.shared_arn[n]]
    }
  }

  dynamic "statement" {
    for_each = local.ssm_kms_keys
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

  # --- Secrets Manager (secrets_store = "secrets_manager") ---
  dynamic "statement" {
    for_each = local.use_secrets_manager ? [1] : []
    content {
      sid       = "ReadInstanceSecrets"
      effect    = "Allow"
      actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      resources = [for n in local.instance_read_names : local.instance_secret_arn[n]]
    }
  }

  dynamic "statement" {
    for_each = local.use_secrets_manager ? [1] : []
    content {
      sid       = "WriteRotatedTokensAndLockSecrets"
      effect    = "Allow"
      actions   = ["secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"]
      resources = [for n in local.instance_write_names : local.instance_secret_arn[n]]
    }
  }

  dynamic "statement" {
    for_each = local.use_secrets_manager ? [1] : []
    content {
      sid       = "ReleaseRefreshLockSecret"
      effect    = "Allow"
      actions   = ["secretsmanager:DeleteSecret"]
      resources = [local.instance_secret_arn[local.lock_name]]
    }
  }

  dynamic "statement" {
    for_each = local.use_secrets_manager ? [1] : []
    content {
      sid       = "ReadSharedSecretsManagerSecrets"
      effect    = "Allow"
      actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      resources = [for n in local.shared_names : local.shared_secret_arn[n]]
    }
  }

  # Secrets Manager encrypts new versions with a data key (GenerateDataKey) and decrypts
  # with Decrypt; it never calls Encrypt.
  dynamic "statement" {
    for_each = local.secrets_kms_keys
    content {
      sid       = "SecretsWithConfiguredKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }

  # --- Environment encrypted with a customer key ---
  dynamic "statement" {
    for_each = local.environment_kms_keys
    content {
      sid       = "DecryptOwnEnvironment"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["lambda.${local.region}.amazonaws.com"]
      }
    }
  }

  # --- VPC (vpc_config set): what AWSLambdaVPCAccessExecutionRole grants, scoped. ---
  # Describe* supports no resource-level permission: AWS requires "*" for it.
  dynamic "statement" {
    for_each = local.use_vpc ? [1] : []
    content {
      sid       = "DescribeNetworkForEnis"
      effect    = "Allow"
      actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
      resources = ["*"]
    }
  }

  # CreateNetworkInterface is authorized on the new interface, its subnet and its security
  # groups: only the configured subnets and groups, in this account and region.
  dynamic "statement" {
    for_each = local.use_vpc ? [1] : []
    content {
      sid       = "CreateEnisInConfiguredSubnets"
      effect    = "Allow"
      actions   = ["ec2:CreateNetworkInterface"]
      resources = concat([local.vpc_eni_arn], local.vpc_subnet_arns, local.vpc_security_group_arn)
    }
  }

  # Lambda deletes and re-addresses the interfaces it made; AWS documents that a
  # DeleteNetworkInterface grant narrower than every interface ID can break VPC access.
  dynamic "statement" {
    for_each = local.use_vpc ? [1] : []
    content {
      sid       = "ManageEnisInAccountRegion"
      effect    = "Allow"
      actions   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
      resources = [local.vpc_eni_arn]
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
