# The scheduled deep health check and the alarms that page an operator. EventBridge invokes
# the function directly with a function-URL-shaped event (health-check-event.json, also
# exercised by the Rust integration test infra_health_event) carrying
# `X-Psoxy-Health-Check: deep`: the function obtains a token (refreshing when due, which
# keeps an idle token family alive) and calls accessible-resources (which detects a revoked
# consent). Every deep check logs one JSON line (target pseudoproxy::health, fields.event
# "health_check", fields.outcome ok | transient | definitive) and, when the token family is
# known, one with fields.event "token_family" and fields.days_to_expiry. Metric filters turn
# those lines into metrics:
#
# - definitive failure (revoked consent, missing configuration, invalid rules, missing
#   scopes): alarm on the first one;
# - transient failure (token endpoint or Confluence unreachable, throttled, 5xx): alarm only
#   when it persists through 3 consecutive scheduled checks, so a brief Atlassian outage
#   pages nobody;
# - days_to_expiry below token_expiry_alarm_days (365-day or 90-day limit ahead);
# - a rotated refresh token the function could not store (target pseudoproxy::auth, fields.event
#   "refresh_token_unsaved"): alarm on any occurrence;
# - the function's Errors metric (crashes and timeouts, which log no such line).
resource "aws_cloudwatch_event_rule" "health" {
  count               = local.health_check_enabled ? 1 : 0
  name                = "${var.function_name}-deep-health"
  description         = "Scheduled deep health check of ${var.function_name}."
  schedule_expression = var.health_check_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "health" {
  count = local.health_check_enabled ? 1 : 0
  rule  = aws_cloudwatch_event_rule.health[0].name
  arn   = aws_lambda_function.proxy.arn
  input = file("${path.module}/health-check-event.json")

  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "health" {
  count         = local.health_check_enabled ? 1 : 0
  statement_id  = "DeepHealthCheckSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.proxy.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.health[0].arn
}

locals {
  metric_namespace = "pseudoproxy/${var.function_name}"
  # Log events the alarms key on (docs/operations.md, "Monitoring"): name => pattern.
  log_metric_patterns = {
    HealthCheckDefinitiveFailure = "{ ($.target = \"pseudoproxy::health\") && ($.fields.event = \"health_check\") && ($.fields.outcome = \"definitive\") }"
    HealthCheckTransientFailure  = "{ ($.target = \"pseudoproxy::health\") && ($.fields.event = \"health_check\") && ($.fields.outcome = \"transient\") }"
    RefreshTokenUnsaved          = "{ ($.target = \"pseudoproxy::auth\") && ($.fields.event = \"refresh_token_unsaved\") }"
  }
}

# Counts (1 per matching line). The days-to-expiry metric below is separate: its value is
# the logged number and it has no default, so lines without it emit nothing.
resource "aws_cloudwatch_log_metric_filter" "event_count" {
  for_each       = local.log_metric_patterns
  name           = "${var.function_name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = each.value

  metric_transformation {
    name          = each.key
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_log_metric_filter" "token_days_to_expiry" {
  name           = "${var.function_name}-TokenFamilyDaysToExpiry"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ ($.target = \"pseudoproxy::health\") && ($.fields.event = \"token_family\") }"

  metric_transformation {
    name      = "TokenFamilyDaysToExpiry"
    namespace = local.metric_namespace
    value     = "$.fields.days_to_expiry"
  }
}

resource "aws_cloudwatch_metric_alarm" "health_definitive" {
  alarm_name          = "${var.function_name}-health-check-definitive"
  alarm_description   = "A deep health check of ${var.function_name} failed for a reason that will not pass by itself (revoked consent, missing configuration, invalid rules, missing scopes): docs/operations.md, Troubleshooting. SOURCE_AUTH_REVOKED means re-run the consent command."
  namespace           = local.metric_namespace
  metric_name         = "HealthCheckDefinitiveFailure"
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "health_transient_persists" {
  count               = local.health_check_enabled ? 1 : 0
  alarm_name          = "${var.function_name}-health-check-transient-persists"
  alarm_description   = "Three consecutive scheduled deep health checks of ${var.function_name} could not reach the token endpoint or Confluence (or were throttled / got 5xx). One failed check is normal during an Atlassian incident; three in a row needs a look: status.atlassian.com, SSM/Secrets Manager throttling, VPC egress."
  namespace           = local.metric_namespace
  metric_name         = "HealthCheckTransientFailure"
  statistic           = "Sum"
  period              = local.health_check_period
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = local.health_check_period >= 3600 && local.health_check_period <= 172800
      error_message = "health_check_schedule: use a rate between 1 hour and 2 days (or a daily cron) so three consecutive checks fit CloudWatch's 7-day alarm window."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "token_family_expiring" {
  alarm_name          = "${var.function_name}-token-family-expiring"
  alarm_description   = "The Atlassian token family of ${var.function_name} expires in fewer than ${var.token_expiry_alarm_days} days (365 days after consent, or 90 days unused). Re-run the consent command before then: docs/operations.md, Monitoring."
  namespace           = local.metric_namespace
  metric_name         = "TokenFamilyDaysToExpiry"
  statistic           = "Minimum"
  period              = 86400
  evaluation_periods  = 1
  threshold           = var.token_expiry_alarm_days
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "refresh_token_unsaved" {
  alarm_name          = "${var.function_name}-refresh-token-unsaved"
  alarm_description   = "${var.function_name} rotated the Atlassian refresh token but could not store the new one: the stored token is spent and the new one lives only in memory. Fix store access now (IAM, KMS key policy, throttling): docs/operations.md, Monitoring."
  namespace           = local.metric_namespace
  metric_name         = "RefreshTokenUnsaved"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "${var.function_name} crashed or timed out (Lambda Errors metric)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.proxy.function_name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
