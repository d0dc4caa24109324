# What an operator needs next, and what the analytics platform's connection form asks for:
# base_url + caller_role_arn + region. Commands are printed ready to run.

locals {
  health_event_payload = jsonencode(jsondecode(file("${path.module}/health-check-event.json")))
  test_path            = var.confluence_cloud_id == null ? "oauth/token/accessible-resources" : "wiki/api/v2/spaces?limit=5"
}

output "base_url" {
  description = "The proxy's base URL, ending in '/': the function URL or the API Gateway stage URL. Give it to the analytics platform."
  value       = local.base_url
}

output "caller_role_arn" {
  description = "Role the analytics platform assumes to call base_url."
  value       = aws_iam_role.caller.arn
}

output "region" {
  description = "Region of the deployment (callers sign requests for it)."
  value       = local.region
}

output "sigv4_service" {
  description = "SigV4 service name callers sign with: lambda (function URL) or execute-api (API Gateway)."
  value       = local.sigv4_service
}

output "front_door" {
  value = var.front_door
}

output "function_url" {
  description = "The IAM-authenticated function URL (SigV4, service 'lambda'); null with an API Gateway front door."
  value       = try(aws_lambda_function_url.proxy[0].function_url, null)
}

output "function_name" {
  value = aws_lambda_function.proxy.function_name
}

output "function_arn" {
  value = aws_lambda_function.proxy.arn
}

output "execution_role_arn" {
  value = aws_iam_role.execution.arn
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.function.name
}

output "secrets_store" {
  description = "ssm or secrets_manager."
  value       = var.secrets_store
}

output "instance_parameter_prefix" {
  description = "Prefix of this instance's parameters or secrets: pass to `pseudoproxy auth --prefix`."
  value       = local.instance_prefix
}

output "parameter_names" {
  description = "Full names (SSM parameters or Secrets Manager secrets) the function reads (instance and shared) and writes."
  value = {
    instance = local.instance_parameter
    shared   = local.shared_parameter
  }
}

output "alarm_names" {
  description = "CloudWatch alarms notifying alarm_actions."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.health_definitive.alarm_name,
      aws_cloudwatch_metric_alarm.token_family_expiring.alarm_name,
      aws_cloudwatch_metric_alarm.refresh_token_unsaved.alarm_name,
      aws_cloudwatch_metric_alarm.errors.alarm_name,
    ],
    aws_cloudwatch_metric_alarm.health_transient_persists[*].alarm_name,
  )
}

output "consent_command" {
  description = "Creates the token family: fills CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN and TOKEN_FAMILY (run with credentials that may write them)."
  value = join("", [
    "pseudoproxy auth --store ${local.secrets_cli} --prefix '${local.instance_prefix}' --region '${local.region}'",
    var.kms_key_arn == null ? "" : " --kms-key-id '${var.kms_key_arn}'",
  ])
}

output "health_check_command" {
  description = "Runs the deep health check the schedule runs, with your own credentials (lambda:InvokeFunction on the function); prints the function's answer (statusCode 200 = healthy, 412 = see the body)."
  value       = "aws lambda invoke --region '${local.region}' --function-name '${aws_lambda_function.proxy.function_name}' --cli-binary-format raw-in-base64-out --payload '${local.health_event_payload}' /dev/stdout"
}

output "test_command" {
  description = "Calls the deployed proxy through its front door as the caller role (run with credentials allowed to assume it). Without confluence_cloud_id it lists the sites the consent covers (their id is the cloud id); with it, five spaces."
  value       = "pseudoproxy call --role '${aws_iam_role.caller.arn}' --region '${local.region}' '${local.base_url}${local.test_path}'"
}
