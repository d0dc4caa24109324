"""The Terraform module's security properties (module_rules.py), on the real module and on
mutated copies: each mutation breaks one property and must be reported, so the checks are
known to be able to fail. Also: every .tf file under infra/ parses with python-hcl2."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hcl2
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from module_rules import violations  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "infra" / "modules" / "pseudoproxy-lambda"
SRC = ROOT / "src"


def test_every_tf_file_parses():
    files = sorted((ROOT / "infra").rglob("*.tf"))
    assert len(files) >= 12, files
    for path in files:
        with path.open() as f:
            parsed = hcl2.load(f)
        assert parsed, f"{path} parsed to nothing"


def test_the_module_has_no_violation():
    assert violations(MODULE, SRC) == []


# (file, text to replace, replacement, substring the violation must contain)
MUTATIONS = [
    ("lambda.tf", 'authorization_type = "AWS_IAM"', 'authorization_type = "NONE"', "authorization_type"),
    ("iam.tf", 'actions   = ["ssm:DeleteParameter"]', 'actions   = ["ssm:*"]', "wildcard action"),
    ("iam.tf", 'actions   = ["ssm:PutParameter"]', 'actions   = ["ssm:Put*"]', "wildcard action"),
    ("iam.tf", "resources = [local.instance_arn[local.lock_name]]",
     'resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/*"]', "wildcard SSM resource"),
    ("locals.tf", '"RULES", "CONFLUENCE_CLOUD_ID"]', '"RULES", "CONFLUENCE_CLOUD_ID", "*"]', "wildcard SSM resource"),
    ("locals.tf", ':parameter/"', ':parameter/*"', "wildcard SSM resource"),
    ("iam.tf", 'resources = ["${aws_cloudwatch_log_group.function.arn}:log-stream:*"]',
     'resources = ["*"]', "bare '*' resource"),
    ("iam.tf", 'actions   = ["kms:Decrypt", "kms:Encrypt"]',
     'actions   = ["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant"]', "beyond Decrypt/Encrypt"),
    ("iam.tf", 'actions   = ["kms:Decrypt", "kms:Encrypt"]\n      resources = [statement.value]',
     'actions   = ["kms:Decrypt", "kms:Encrypt"]\n      resources = ["arn:aws:kms:us-east-1:123456789012:key/other"]',
     "exactly var.kms_key_arn"),
    ("iam.tf", 'variable = "kms:ViaService"\n        values   = ["ssm.',
     'variable = "kms:CallerAccount"\n        values   = ["ssm.', "kms:ViaService"),
    ("logs.tf", "retention_in_days = var.log_retention_days\n", "", "retention_in_days"),
    ("variables.tf", "default     = 365", "default     = 0", "retention_in_days"),
    ("caller.tf", 'actions   = ["lambda:InvokeFunctionUrl"]',
     'actions   = ["lambda:InvokeFunctionUrl", "lambda:UpdateFunctionCode"]', "beyond invoking"),
    ("caller.tf", 'variable = "lambda:InvokedViaFunctionUrl"', 'variable = "aws:SecureTransport"',
     "without lambda:InvokedViaFunctionUrl"),
    ("caller.tf", 'values   = ["AWS_IAM"]', 'values   = ["NONE"]', "FunctionUrlAuthType"),
    ("caller.tf", "resources = [aws_lambda_function.proxy.arn]\n      condition {\n        test     = \"Bool\"",
     "resources = [\"arn:aws:lambda:us-east-1:123456789012:function:*\"]\n      condition {\n        test     = \"Bool\"",
     "exactly this function"),
    ("locals.tf", 'USE_SHARED_TOKEN                = "TRUE"',
     'USE_SHARED_TOKEN                = "TRUE"\n      PSOXY_SALT = "x"', "is a secret"),
    ("locals.tf", "REQUEST_TIMEOUT_SECONDS         =", "REQUEST_TIMEOUT_SECS =", "not read by the binary"),
    ("locals.tf", 'TARGET_HOST                     = "api.atlassian.com"\n', "", "TARGET_HOST (spec §4) is missing"),
    ("locals.tf", '"TOKEN_FAMILY", "OAUTH_REFRESH_TOKEN_lock", "RULES"', '"TOKEN_FAMILY", "OAUTH_LOCK", "RULES"',
     "not a parameter the binary uses"),
    ("iam.tf", "policy = data.aws_iam_policy_document.execution.json",
     'policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })',
     "must be an aws_iam_policy_document"),
    ("caller.tf", "  policy = data.aws_iam_policy_document.caller.json\n}",
     "  policy = data.aws_iam_policy_document.caller.json\n}\n"
     'resource "aws_iam_role_policy_attachment" "admin" {\n  role       = aws_iam_role.caller.name\n'
     '  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}', "managed policy attachments"),
    ("health-check-event.json", '"x-psoxy-health-check": "deep"', '"x-psoxy-health-check": "true"',
     "X-Psoxy-Health-Check: deep"),
    ("health.tf", '  source_arn    = aws_cloudwatch_event_rule.health[0].arn\n', "", "source_arn"),
    ("health.tf", 'input = file("${path.module}/health-check-event.json")', 'input = jsonencode({})',
     "input must be health-check-event.json"),
    ("variables.tf", '    condition     = var.instance_parameter_prefix == null || can(regex("^[A-Za-z0-9_./-]+$", var.instance_parameter_prefix))\n'
     '    error_message = "instance_parameter_prefix: letters, digits, \'_\', \'.\', \'-\' and \'/\' only (no wildcards)."\n',
     "", "has no validation"),
    # --- Secrets Manager scoping (issue 15) ---
    ("locals.tf", '"${local.secret_arn_base}${name}-??????" }\n  shared_secret_arn',
     '"${local.secret_arn_base}${name}*" }\n  shared_secret_arn', "wildcard Secrets Manager resource"),
    ("locals.tf", 'shared_secret_arn   = { for n, name in local.shared_parameter : n => "${local.secret_arn_base}${name}-??????" }',
     'shared_secret_arn   = { for n, name in local.shared_parameter : n => "${local.secret_arn_base}${name}" }',
     "'-??????' suffix"),
    ("iam.tf", "resources = [local.instance_secret_arn[local.lock_name]]",
     'resources = [local.instance_secret_arn["REFRESH_TOKEN"]]', "DeleteSecret only on the refresh lock"),
    ("iam.tf", 'actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]\n'
     '      resources = [for n in local.shared_names',
     'actions   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]\n'
     '      resources = [for n in local.shared_names', "must be read-only"),
    ("iam.tf", '"secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"]',
     '"secretsmanager:PutSecretValue", "secretsmanager:CreateSecret", "secretsmanager:PutResourcePolicy"]',
     "beyond the contract's"),
    ("iam.tf", 'for_each = local.use_secrets_manager ? [1] : []\n    content {\n      sid       = "ReadInstanceSecrets"',
     'for_each = [1]\n    content {\n      sid       = "ReadInstanceSecrets"', "exist only with local.use_secrets_manager"),
    ("iam.tf", 'for_each = local.use_ssm ? [1] : []\n    content {\n      sid       = "ReleaseRefreshLock"',
     'for_each = [1]\n    content {\n      sid       = "ReleaseRefreshLock"', "exist only with local.use_ssm"),
    ("iam.tf", 'actions   = ["kms:Decrypt", "kms:GenerateDataKey"]',
     'actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"]', "beyond Decrypt/GenerateDataKey"),
    ("iam.tf", 'values   = ["secretsmanager.${local.region}.amazonaws.com"]',
     'values   = ["ssm.${local.region}.amazonaws.com"]', "through local.ssm_kms_keys"),
    ("secretsmanager.tf", 'tags        = var.tags\n}\n\nresource "aws_secretsmanager_secret" "rules"',
     'tags        = var.tags\n}\n\nresource "aws_secretsmanager_secret_version" "placeholder" {\n'
     '  for_each      = aws_secretsmanager_secret.placeholder\n'
     '  secret_id     = aws_secretsmanager_secret.placeholder[each.key].id\n'
     '  secret_string = "fill me"\n}\n\nresource "aws_secretsmanager_secret" "rules"', "must not own a version"),
    # --- API Gateway front doors and the caller role (issue 15) ---
    ("locals.tf", 'execution_arn}/${var.api_gateway_stage_name}/*/*" :\n    local.use_rest_api',
     'execution_arn}/*" :\n    local.use_rest_api', "execution ARN + /<stage>/*/*"),
    ("caller.tf", "resources = [local.execute_api_invoke_arn]", 'resources = ["arn:aws:execute-api:*:*:*"]',
     "exactly local.execute_api_invoke_arn"),
    ("caller.tf", 'actions   = ["execute-api:Invoke"]', 'actions   = ["execute-api:Invoke", "execute-api:ManageConnections"]',
     "beyond invoking the front door"),
    ("caller.tf", "for_each = local.use_api_gateway ? [1] : []", "for_each = [1]", "only with an API Gateway front door"),
    ("caller.tf", 'for_each = local.use_function_url ? [1] : []\n    content {\n      sid       = "InvokeThroughUrl"',
     'for_each = [1]\n    content {\n      sid       = "InvokeThroughUrl"', "only with the function URL front door"),
    ("api-gateway.tf", 'route_key          = each.key\n  authorization_type = "AWS_IAM"',
     'route_key          = each.key\n  authorization_type = "NONE"', "aws_apigatewayv2_route.proxy: authorization_type"),
    ("api-gateway.tf", 'http_method   = "ANY"\n  authorization = "AWS_IAM"', 'http_method   = "ANY"\n  authorization = "NONE"',
     "aws_api_gateway_method.proxy: authorization"),
    ("api-gateway.tf", 'payload_format_version = "2.0"', 'payload_format_version = "1.0"', "payload_format_version"),
    ("lambda.tf", "count              = local.use_function_url ? 1 : 0", "count              = 1",
     "only when local.use_function_url"),
    ("variables.tf", '    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.api_gateway_stage_name))\n'
     '    error_message = "api_gateway_stage_name: 1-64 letters, digits, \'-\' or \'_\' (no wildcards, not $default)."\n',
     "", "api_gateway_stage_name has no validation"),
    ("locals.tf", 'local.use_api_gateway ? { PATH_PREFIX = "/${var.api_gateway_stage_name}" } : {},', "", "PATH_PREFIX"),
    # --- VPC (issue 15) ---
    ("iam.tf", "resources = concat([local.vpc_eni_arn], local.vpc_subnet_arns, local.vpc_security_group_arn)",
     'resources = ["*"]', "bare '*' resource"),
    ("iam.tf", 'actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]',
     'actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface"]',
     "bare '*' resource"),
    ("locals.tf", 'subnet/${s}"]', 'subnet/*"]', "EC2 resources beyond"),
    ("iam.tf", '"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]',
     '"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", "ec2:ModifyNetworkInterfaceAttribute"]',
     "beyond Lambda's VPC needs"),
    ("iam.tf", 'for_each = local.use_vpc ? [1] : []\n    content {\n      sid       = "ManageEnisInAccountRegion"',
     'for_each = [1]\n    content {\n      sid       = "ManageEnisInAccountRegion"', "exist only with local.use_vpc"),
    # --- permissions boundary on every role (issue 15) ---
    ("caller.tf", "  permissions_boundary = var.permissions_boundary_arn\n", "", "aws_iam_role.caller: permissions_boundary"),
    ("iam.tf", "  permissions_boundary = var.permissions_boundary_arn\n", "", "aws_iam_role.execution: permissions_boundary"),
    # --- salt and encryption key safety (issue 18) ---
    ("ssm.tf", "    prevent_destroy = true\n    # Never rewritten", "    # Never rewritten",
     "aws_ssm_parameter.salt: lifecycle.prevent_destroy"),
    ("secretsmanager.tf", "secret_string = local.salt_value\n\n  lifecycle {\n    prevent_destroy = true",
     "secret_string = local.salt_value\n\n  lifecycle {\n    prevent_destroy = false",
     "aws_secretsmanager_secret_version.salt: lifecycle.prevent_destroy"),
    ("ssm.tf", '    ignore_changes = [value]\n  }\n}\n\nresource "aws_ssm_parameter" "encryption_key"',
     '  }\n}\n\nresource "aws_ssm_parameter" "encryption_key"', "aws_ssm_parameter.salt: lifecycle.ignore_changes"),
    ("salt-guard.tf", "sha256(var.salt) == sha256(", "sha256(var.salt) != sha256(", "compares var.salt"),
    ("salt-guard.tf", "secret_string : aws_ssm_parameter.encryption_key[0].value",
     "secret_string : var.encryption_key", "compares var.encryption_key"),
    # --- timeout sizing (contract) ---
    ("lambda.tf", "condition     = var.timeout_seconds >= var.request_timeout_seconds + 90",
     "condition     = var.timeout_seconds > var.request_timeout_seconds", "request_timeout_seconds + 90"),
    ("variables.tf", "  default     = 270\n", "  default     = 60\n", "270/180"),
    # --- alarms on the contract's log events (issue 18) ---
    ("health.tf", '($.fields.outcome = \\"definitive\\")', '($.fields.outcome = \\"failed\\")',
     "HealthCheckDefinitiveFailure: pattern lacks"),
    ("health.tf", '($.fields.event = \\"refresh_token_unsaved\\")', '($.fields.event = \\"refresh_token_not_saved\\")',
     "RefreshTokenUnsaved: pattern lacks"),
    ("health.tf", '($.fields.event = \\"token_family\\") }', '($.fields.event = \\"tokenFamily\\") }',
     "TokenFamilyDaysToExpiry: pattern lacks"),
    ("health.tf", '    value     = "$.fields.days_to_expiry"\n',
     '    value     = "$.fields.days_to_expiry"\n    default_value = "0"\n', "no default_value"),
    ("health.tf", "  evaluation_periods  = 3\n  datapoints_to_alarm = 3\n", "  evaluation_periods  = 1\n",
     "must persist for 3 scheduled checks"),
    ("health.tf", '  metric_name         = "HealthCheckDefinitiveFailure"', '  metric_name         = "HealthCheckFailed"',
     "no alarm on HealthCheckDefinitiveFailure"),
    ("health.tf", '  comparison_operator = "LessThanThreshold"', '  comparison_operator = "LessThanOrEqualToThreshold"',
     "comparison_operator must be LessThanThreshold"),
]


def mutated_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / "module"
    shutil.copytree(MODULE, copy)
    target = copy / file
    source = target.read_text()
    assert source.count(old) == 1, f"mutation anchor not found exactly once in {file}: {old!r}"
    if file == "variables.tf" and new == "":
        # Drop the whole validation block around the removed lines.
        source = source.replace("\n  validation {\n" + old + "  }\n", "\n")
        assert old not in source, "validation block not removed"
    else:
        source = source.replace(old, new)
    target.write_text(source)
    return copy


@pytest.mark.parametrize("file,old,new,expected", MUTATIONS, ids=[m[3] + "|" + m[0] for m in MUTATIONS])
def test_each_mutation_is_reported(tmp_path, file, old, new, expected):
    found = violations(mutated_copy(tmp_path, file, old, new), SRC)
    assert any(expected in v for v in found), f"{expected!r} not reported; got {found}"


def test_every_checkov_skip_has_a_reason_and_is_documented():
    import re

    docs = (ROOT / "docs" / "operations.md").read_text()
    skips = []
    for path in sorted((ROOT / "infra").rglob("*.tf")):
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                match = re.search(r"#checkov:skip=(CKV2?_[A-Z]+_\d+):(.{20,})", line)
                assert match, f"{path.name}: skip without an ID and a reason: {line.strip()}"
                skips.append(match.group(1))
    for check in sorted(set(skips)):
        assert f"`{check}`" in docs, f"{check} is skipped but not explained in docs/operations.md"
