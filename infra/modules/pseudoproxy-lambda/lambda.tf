# The function and, with front_door = "function_url", its URL. The URL is IAM-authenticated
# (SigV4); there is no public mode. Configuration is the environment of proxy runtime spec
# §4 (see locals.tf); every secret is read from the secrets store at run time.

resource "aws_lambda_function" "proxy" {
  #checkov:skip=CKV_AWS_117:vpc_config is optional (var.vpc_config); by default the function reaches only Atlassian and AWS APIs over HTTPS and a VPC would add a NAT gateway and no protection (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_116:invoked synchronously through its front door; the one asynchronous caller, the health schedule, is watched by alarms (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_115:reserved_concurrency is a variable; reserving by default breaks deploys in accounts with the default limit of 10 (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_173:kms_key_arn is var.environment_kms_key_arn; null means Lambda's own key, and the environment holds no secret by design (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_272:no signing profile exists to verify against; release zips are verified by their published SHA-256 before deploy (docs/operations.md, checkov skips)
  function_name     = var.function_name
  description       = "pseudoproxy: privacy-sanitizing proxy for Confluence Cloud"
  role              = aws_iam_role.execution.arn
  runtime           = "provided.al2023"
  handler           = "bootstrap"
  architectures     = [var.architecture]
  filename          = var.lambda_zip_path
  s3_bucket         = var.lambda_s3_bucket
  s3_key            = var.lambda_s3_key
  s3_object_version = var.lambda_s3_object_version
  source_code_hash  = var.lambda_zip_path != null ? filebase64sha256(var.lambda_zip_path) : var.lambda_zip_base64sha256
  memory_size       = var.memory_mb
  timeout           = var.timeout_seconds
  kms_key_arn       = var.environment_kms_key_arn

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.environment
  }

  dynamic "vpc_config" {
    for_each = local.use_vpc ? [var.vpc_config] : []
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.execution]

  lifecycle {
    precondition {
      # Worst case of one request: 20 s waiting for the refresh lock + 60 s for a refresh
      # with its write-back + the upstream timeout + 10 s headroom. A shorter timeout could
      # kill the function between rotating the refresh token and storing it.
      condition     = var.timeout_seconds >= var.request_timeout_seconds + 90
      error_message = "timeout_seconds must be at least request_timeout_seconds + 90 (20 s lock wait + 60 s refresh with write-back + 10 s headroom): raise timeout_seconds (max 900) or lower request_timeout_seconds."
    }
    precondition {
      condition     = (var.lambda_zip_path != null) != (var.lambda_s3_bucket != null && var.lambda_s3_key != null)
      error_message = "Set exactly one code source: lambda_zip_path, or lambda_s3_bucket together with lambda_s3_key."
    }
  }
}

resource "aws_lambda_function_url" "proxy" {
  count              = local.use_function_url ? 1 : 0
  function_name      = aws_lambda_function.proxy.function_name
  authorization_type = "AWS_IAM"
}

# The URL was a single resource before front_door existed: keep its address (and so its
# random URL id, which the platform has configured) instead of re-creating it.
moved {
  from = aws_lambda_function_url.proxy
  to   = aws_lambda_function_url.proxy[0]
}
