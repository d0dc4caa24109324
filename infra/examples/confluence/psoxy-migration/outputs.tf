# The outputs docs/operations.md uses (infra/tests checks every example root has each).

# For the analytics platform's connection form.
output "base_url" {
  description = "Proxy base URL (function URL or API Gateway stage URL), ending in '/'."
  value       = module.confluence.base_url
}

output "caller_role_arn" {
  description = "Role the platform assumes to call base_url."
  value       = module.confluence.caller_role_arn
}

output "region" {
  value = module.confluence.region
}

output "sigv4_service" {
  description = "SigV4 service callers sign with: lambda or execute-api."
  value       = module.confluence.sigv4_service
}

# For the operator.
output "function_url" {
  value = module.confluence.function_url
}

output "function_name" {
  value = module.confluence.function_name
}

output "log_group_name" {
  value = module.confluence.log_group_name
}

output "front_door" {
  value = module.confluence.front_door
}

output "secrets_store" {
  value = module.confluence.secrets_store
}

output "instance_parameter_prefix" {
  value = module.confluence.instance_parameter_prefix
}

output "parameter_names" {
  description = "Check these are Psoxy's existing names before switching the platform."
  value       = module.confluence.parameter_names
}

output "alarm_names" {
  value = module.confluence.alarm_names
}

output "consent_command" {
  description = "Creates (or renews) the Atlassian token family."
  value       = module.confluence.consent_command
}

output "health_check_command" {
  description = "Deep health check with your own AWS credentials."
  value       = module.confluence.health_check_command
}

output "test_command" {
  description = "A call through the front door as the caller role."
  value       = module.confluence.test_command
}
