# The role the analytics platform assumes to call the proxy. It may use exactly the one
# front door that exists (var.front_door):
# - function URL: InvokeFunctionUrl, plus InvokeFunction restricted by
#   lambda:InvokedViaFunctionUrl (AWS requires both for function URLs created since
#   October 2025; without the condition the role could invoke the function directly with a
#   hand-made event and forge the caller identity and IP the proxy checks);
# - API Gateway (HTTP or REST): execute-api:Invoke on this API's one stage, any method and
#   path, and nothing on the function itself.

data "aws_iam_policy_document" "caller_assume" {
  dynamic "statement" {
    for_each = length(var.caller_aws_principals) > 0 ? [1] : []
    content {
      sid     = "PlatformPrincipalsAssume"
      effect  = "Allow"
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = var.caller_aws_principals
      }
    }
  }

  dynamic "statement" {
    for_each = var.caller_web_identity == null ? [] : [var.caller_web_identity]
    content {
      sid     = "PlatformWebIdentityAssumes"
      effect  = "Allow"
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [statement.value.provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${statement.value.provider_host}:aud"
        values   = [statement.value.audience]
      }
      dynamic "condition" {
        for_each = statement.value.subject == null ? [] : [statement.value.subject]
        content {
          test     = "StringEquals"
          variable = "${statement.value.provider_host}:sub"
          values   = [condition.value]
        }
      }
    }
  }
}

resource "aws_iam_role" "caller" {
  name                 = "${var.function_name}-caller"
  description          = "Assumed by the analytics platform to call ${var.function_name} through its ${replace(var.front_door, "_", " ")}."
  assume_role_policy   = data.aws_iam_policy_document.caller_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = length(var.caller_aws_principals) > 0 || var.caller_web_identity != null
      error_message = "Set caller_aws_principals and/or caller_web_identity: someone must be able to assume the caller role."
    }
  }
}

data "aws_iam_policy_document" "caller" {
  dynamic "statement" {
    for_each = local.use_function_url ? [1] : []
    content {
      sid       = "InvokeThroughUrl"
      effect    = "Allow"
      actions   = ["lambda:InvokeFunctionUrl"]
      resources = [aws_lambda_function.proxy.arn]
      condition {
        test     = "StringEquals"
        variable = "lambda:FunctionUrlAuthType"
        values   = ["AWS_IAM"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.use_function_url ? [1] : []
    content {
      sid       = "InvokeOnlyViaUrl"
      effect    = "Allow"
      actions   = ["lambda:InvokeFunction"]
      resources = [aws_lambda_function.proxy.arn]
      condition {
        test     = "Bool"
        variable = "lambda:InvokedViaFunctionUrl"
        values   = ["true"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.use_api_gateway ? [1] : []
    content {
      sid       = "InvokeThroughApiGateway"
      effect    = "Allow"
      actions   = ["execute-api:Invoke"]
      resources = [local.execute_api_invoke_arn]
    }
  }
}

resource "aws_iam_role_policy" "caller" {
  # Name kept from the function-URL-only module: renaming would replace the policy.
  name   = "${var.function_name}-invoke-url"
  role   = aws_iam_role.caller.id
  policy = data.aws_iam_policy_document.caller.json
}
