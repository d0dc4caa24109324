# The scheduled deep health check. EventBridge invokes the function directly with a
# function-URL-shaped event (health-check-event.json, also exercised by the Rust
# integration test infra_health_event) carrying `X-Psoxy-Health-Check: deep`: the function
# obtains a token (refreshing when due, which keeps an idle token family alive) and calls
# accessible-resources (which detects a revoked consent). A failed check answers 412 and
# logs an audit line with status 412 and no endpoint; a metric filter counts those, and
# alarms fire on it and on function errors (crashes, timeouts).

resource "aws_cloudwatch_event_rule" "health" {
  count               = local.health_check_enabled ? 1 : 0
  name                = "${var.function_name}-deep-health"
  description         = "Daily deep health check of ${var.function_name}."
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

resource "aws_cloudwatch_log_metric_filter" "health_failed" {
  count          = local.health_check_enabled ? 1 : 0
  name           = "${var.function_name}-health-check-failed"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ ($.target = \"pseudoproxy::audit\") && ($.fields.status = 412) && ($.fields.endpoint = \"-\") }"

  metric_transformation {
    name          = "HealthCheckFailed"
    namespace     = "pseudoproxy/${var.function_name}"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "health_failed" {
  count               = local.health_check_enabled ? 1 : 0
  alarm_name          = "${var.function_name}-health-check-failed"
  alarm_description   = "The deep health check of ${var.function_name} failed (412): see docs/operations.md, Troubleshooting. SOURCE_AUTH_REVOKED means re-run `pseudoproxy auth`."
  namespace           = "pseudoproxy/${var.function_name}"
  metric_name         = "HealthCheckFailed"
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
