# Provider requirements. aws >= 5.31 for aws_lambda_function.logging_config (JSON logs into
# the module's own log group); random for the generated salt and encryption key.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.31, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5, < 4.0"
    }
  }
}
