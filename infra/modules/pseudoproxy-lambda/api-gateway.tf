# API Gateway front doors (front_door = "api_gateway_http" or "api_gateway_rest"), for
# deployments whose policies forbid function URLs or that came from a Psoxy deployment on
# API Gateway. One API per function, every route IAM-authorized, one named stage
# (var.api_gateway_stage_name), which is the first segment of every path the function sees:
# the function gets PATH_PREFIX=/<stage> and trims it before matching rules.
#
# Both integrations time out after 29-30 s (API Gateway's limit), far below
# request_timeout_seconds: a slower upstream answer reaches the caller as API Gateway's 504
# while the function finishes (and stores any rotated token) on its own.

# --- HTTP API (payload 2.0) ---

resource "aws_apigatewayv2_api" "proxy" {
  count         = local.use_http_api ? 1 : 0
  name          = var.function_name
  protocol_type = "HTTP"
  description   = "pseudoproxy ${var.function_name}: IAM-authorized HTTP API in front of the function."
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "proxy" {
  count                  = local.use_http_api ? 1 : 0
  api_id                 = aws_apigatewayv2_api.proxy[0].id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.proxy.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

# `ANY /{proxy+}` serves every API path; `ANY /` lets a health check on the base URL through.
resource "aws_apigatewayv2_route" "proxy" {
  for_each           = local.use_http_api ? toset(["ANY /{proxy+}", "ANY /"]) : toset([])
  api_id             = aws_apigatewayv2_api.proxy[0].id
  route_key          = each.key
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.proxy[0].id}"
}

resource "aws_apigatewayv2_stage" "proxy" {
  count       = local.use_http_api ? 1 : 0
  api_id      = aws_apigatewayv2_api.proxy[0].id
  name        = var.api_gateway_stage_name
  auto_deploy = true
  tags        = var.tags

  # Requests API Gateway refuses (bad signature, no permission) never reach the function's
  # audit log; these lines record them.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access[0].arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      principal      = "$context.identity.userArn"
      method         = "$context.httpMethod"
      path           = "$context.path"
      status         = "$context.status"
      error          = "$context.error.message"
      integrationErr = "$context.integrationErrorMessage"
      latencyMs      = "$context.responseLatency"
    })
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_158:kms_key_id is var.log_kms_key_arn; null means CloudWatch's own encryption, because the key policy must name the logs service and this module does not own the key (docs/operations.md, checkov skips)
  count             = local.use_http_api ? 1 : 0
  name              = "/aws/apigateway/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# --- REST API (payload 1.0) ---

resource "aws_api_gateway_rest_api" "proxy" {
  count       = local.use_rest_api ? 1 : 0
  name        = var.function_name
  description = "pseudoproxy ${var.function_name}: AWS_IAM-authorized REST API in front of the function."
  # Gzip answers (Accept-Encoding: gzip) pass through as binary only for listed media types.
  binary_media_types = ["*/*"]
  tags               = var.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "proxy" {
  count       = local.use_rest_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.proxy[0].id
  parent_id   = aws_api_gateway_rest_api.proxy[0].root_resource_id
  path_part   = "{proxy+}"
}

locals {
  # The `{proxy+}` resource serves every API path; the root lets a health check on the base URL through.
  rest_resources = local.use_rest_api ? {
    root  = aws_api_gateway_rest_api.proxy[0].root_resource_id
    proxy = aws_api_gateway_resource.proxy[0].id
  } : {}
}

resource "aws_api_gateway_method" "proxy" {
  #checkov:skip=CKV2_AWS_53:request validation belongs to the proxy, which checks every path, query parameter and method against its rules (docs/operations.md, checkov skips)
  for_each      = local.rest_resources
  rest_api_id   = aws_api_gateway_rest_api.proxy[0].id
  resource_id   = each.value
  http_method   = "ANY"
  authorization = "AWS_IAM"
}

resource "aws_api_gateway_integration" "proxy" {
  for_each                = local.rest_resources
  rest_api_id             = aws_api_gateway_rest_api.proxy[0].id
  resource_id             = each.value
  http_method             = aws_api_gateway_method.proxy[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.proxy.invoke_arn
  timeout_milliseconds    = 29000
}

resource "aws_api_gateway_deployment" "proxy" {
  count       = local.use_rest_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.proxy[0].id

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.proxy[0].id,
      [for m in aws_api_gateway_method.proxy : m.id],
      [for i in aws_api_gateway_integration.proxy : i.id],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "proxy" {
  #checkov:skip=CKV_AWS_76:REST access logging needs the account-wide API Gateway CloudWatch role, which one module must not own; the function's audit log records every request that reaches it (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_73:X-Ray tracing is off as on the function (PassThrough); the audit log carries request ids and timings (docs/operations.md, checkov skips)
  #checkov:skip=CKV_AWS_120:caching would serve one caller's sanitized answer to another and hide upstream changes; every request must reach the proxy (docs/operations.md, checkov skips)
  #checkov:skip=CKV2_AWS_51:callers authenticate with SigV4 (AWS_IAM); client certificates are for backends that cannot check IAM (docs/operations.md, checkov skips)
  #checkov:skip=CKV2_AWS_29:a WAF adds no protection to an IAM-authorized API with one caller role; its cost is the operator's choice (docs/operations.md, checkov skips)
  #checkov:skip=CKV2_AWS_4:execution logging needs the account-wide API Gateway CloudWatch role (see CKV_AWS_76) (docs/operations.md, checkov skips)
  count         = local.use_rest_api ? 1 : 0
  rest_api_id   = aws_api_gateway_rest_api.proxy[0].id
  deployment_id = aws_api_gateway_deployment.proxy[0].id
  stage_name    = var.api_gateway_stage_name
  tags          = var.tags
}

# --- Either API may invoke the function, from its own stages only ---

resource "aws_lambda_permission" "api_gateway" {
  count         = local.use_api_gateway ? 1 : 0
  statement_id  = "ApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.proxy.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn = local.use_http_api ? "${aws_apigatewayv2_api.proxy[0].execution_arn}/*" : (
    "${aws_api_gateway_rest_api.proxy[0].execution_arn}/*"
  )
}
