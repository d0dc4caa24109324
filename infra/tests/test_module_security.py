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
    ("iam.tf", "resources = [statement.value]", 'resources = ["arn:aws:kms:us-east-1:123456789012:key/other"]',
     "exactly var.kms_key_arn"),
    ("iam.tf", 'variable = "kms:ViaService"', 'variable = "kms:CallerAccount"', "kms:ViaService"),
    ("logs.tf", "retention_in_days = var.log_retention_days\n", "", "retention_in_days"),
    ("variables.tf", "default     = 365", "default     = 0", "retention_in_days"),
    ("caller.tf", 'actions   = ["lambda:InvokeFunctionUrl"]',
     'actions   = ["lambda:InvokeFunctionUrl", "lambda:UpdateFunctionCode"]', "beyond invoking"),
    ("caller.tf", 'variable = "lambda:InvokedViaFunctionUrl"', 'variable = "aws:SecureTransport"',
     "without lambda:InvokedViaFunctionUrl"),
    ("caller.tf", 'values   = ["AWS_IAM"]', 'values   = ["NONE"]', "FunctionUrlAuthType"),
    ("caller.tf", "resources = [aws_lambda_function.proxy.arn]\n    condition {\n      test     = \"Bool\"",
     "resources = [\"arn:aws:lambda:us-east-1:123456789012:function:*\"]\n    condition {\n      test     = \"Bool\"",
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
