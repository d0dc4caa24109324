# What an operator needs next: where to call, which role to assume, which parameters to
# fill, and a command that proves it works.

output "function_name" {
  value = aws_lambda_function.proxy.function_name
}

output "function_url" {
  description = "The IAM-authenticated function URL (SigV4, service 'lambda')."
  value       = aws_lambda_function_url.proxy.function_url
}

output "caller_role_arn" {
  description = "Role the analytics platform assumes to call function_url."
  value       = aws_iam_role.caller.arn
}

output "execution_role_arn" {
  value = aws_iam_role.execution.arn
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.function.name
}

output "instance_parameter_prefix" {
  description = "Pass to `pseudoproxy auth --store ssm --prefix`."
  value       = local.instance_prefix
}

output "parameter_names" {
  description = "Full SSM names the function reads (instance and shared) and writes."
  value = {
    instance = local.instance_parameter
    shared   = local.shared_parameter
  }
}

output "consent_command" {
  description = "Fills CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN and TOKEN_FAMILY (run with credentials that may write them)."
  value       = "pseudoproxy auth --store ssm --prefix '${local.instance_prefix}'"
}

output "test_command" {
  description = "Calls the deployed proxy as the caller role (run with credentials allowed to assume it)."
  value       = "pseudoproxy call --role '${aws_iam_role.caller.arn}' '${aws_lambda_function_url.proxy.function_url}wiki/api/v2/spaces?limit=5'"
}

output "health_check_command" {
  description = "Runs the deep health check the schedule runs, with your own credentials."
  value       = "aws lambda invoke --function-name '${aws_lambda_function.proxy.function_name}' --cli-binary-format raw-in-base64-out --payload file://${path.module}/health-check-event.json /dev/stdout"
}
