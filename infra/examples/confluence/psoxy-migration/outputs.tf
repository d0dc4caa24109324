output "function_url" {
  value = module.confluence.function_url
}

output "caller_role_arn" {
  value = module.confluence.caller_role_arn
}

output "parameter_names" {
  description = "Check these are Psoxy's existing names before switching the platform."
  value       = module.confluence.parameter_names
}

output "test_command" {
  value = module.confluence.test_command
}

output "health_check_command" {
  value = module.confluence.health_check_command
}
