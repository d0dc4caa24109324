# The function and its URL. The URL is IAM-authenticated (SigV4); there is no public
# mode. Configuration is the environment of proxy runtime spec §4 (see locals.tf); every
# secret is read from SSM at run time.

resource "aws_lambda_function" "proxy" {
  #checkov:skip=CKV_AWS_117:needs outbound HTTPS to Atlassian; a VPC would add a NAT gateway and no protection for a function with no VPC resources to reach (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_116:invoked synchronously through its URL; the one asynchronous caller, the health schedule, is watched by an alarm (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_115:reserved_concurrency is a variable; reserving by default breaks deploys in accounts with the default limit of 10 (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_173:the environment holds no secret by design (the binary ignores secrets there in Lambda mode); AWS encrypts it at rest (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_272:the zip is built from source by the operator (scripts/package-lambda.sh); there is no signing profile to verify against (docs/operations.md, checkov skips)
  function_name    = var.function_name
  description      = "pseudoproxy: privacy-sanitizing proxy for Confluence Cloud"
  role             = aws_iam_role.execution.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  memory_size      = var.memory_mb
  timeout          = var.timeout_seconds

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.environment
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
      condition     = var.timeout_seconds > var.request_timeout_seconds
      error_message = "timeout_seconds must exceed request_timeout_seconds."
    }
  }
}

resource "aws_lambda_function_url" "proxy" {
  function_name      = aws_lambda_function.proxy.function_name
  authorization_type = "AWS_IAM"
}
