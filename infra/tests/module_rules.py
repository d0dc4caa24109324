"""Security properties of the pseudoproxy Terraform module, checked on its parsed HCL.

`violations(module_dir, src_dir)` parses every .tf file of the module with python-hcl2
(no terraform binary, no network) and returns one readable message per broken property:

- every function URL uses AWS_IAM auth; every API Gateway route/method uses IAM auth;
  each front door exists only when var.front_door chooses it;
- every IAM policy is an aws_iam_policy_document with literal actions, none containing
  `*`; no statement has a bare `*` resource (except EC2 Describe* for a VPC, which AWS
  cannot scope); no managed policy is attached anywhere; every role has the permissions
  boundary variable;
- SSM statements name parameters with no wildcard; Secrets Manager statements name secrets
  with no wildcard but AWS's `-??????` suffix; each store's statements exist only for that
  store; DeleteParameter/DeleteSecret only on the refresh lock; shared secrets read-only;
- KMS statements allow only the actions the store uses (SSM: Decrypt/Encrypt; Secrets
  Manager: Decrypt/GenerateDataKey; Lambda environment: Decrypt), only on the configured
  key, only via that service;
- the caller role may only use the one front door: the function URL (InvokeFunctionUrl with
  AWS_IAM, InvokeFunction only with lambda:InvokedViaFunctionUrl = true) or execute-api:Invoke
  on exactly the API's stage ARN;
- salt and encryption key survive destroy (prevent_destroy), are never rewritten
  (ignore_changes), and a different var.salt/var.encryption_key fails the plan; no
  Terraform-owned version of a secret the function rotates;
- the Lambda timeout covers request_timeout_seconds + 90 (precondition, defaults 270/180);
- the alarms of docs/operations.md exist with the metric filters on the log events of the
  Rust/infra contract;
- every log group has a retention, and the function logs into the module's group;
- the Lambda environment sets only names the binary reads (string literals of src/),
  never a secret, and always the spec §4 connector settings.

python-hcl2 (v7+) keeps string literals quoted ('"AWS_IAM"') and expressions as
'${...}'; `literal()` tells them apart. Run as a script: prints violations, exits 1.
"""

from __future__ import annotations

import functools
import io
import re
import sys
from pathlib import Path

import hcl2

CALLER_ACTIONS = {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction", "execute-api:Invoke"}
# kms:ViaService value (prefix) -> (allowed actions, the gating local, the key variable).
KMS_RULES = {
    "ssm.": ({"kms:Decrypt", "kms:Encrypt"}, "local.ssm_kms_keys", "var.kms_key_arn"),
    "secretsmanager.": ({"kms:Decrypt", "kms:GenerateDataKey"}, "local.secrets_kms_keys", "var.kms_key_arn"),
    "lambda.": ({"kms:Decrypt"}, "local.environment_kms_keys", "var.environment_kms_key_arn"),
}
SECRETS_ACTIONS = {
    "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue",
    "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret",
}
SECRETS_READ = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
EC2_ACTIONS = {
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}
# EC2 Describe* has no resource-level permissions: the only actions allowed on "*".
UNSCOPABLE_ACTIONS = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}
# Which local must gate a statement by its action's service (only that store/option has it).
SERVICE_GATES = {"ssm": "local.use_ssm", "secretsmanager": "local.use_secrets_manager", "ec2": "local.use_vpc"}
# Spec §4: the connector's settings the module must always set.
REQUIRED_ENV = {
    "TARGET_HOST",
    "SOURCE",
    "SOURCE_AUTH_STRATEGY_IDENTIFIER",
    "GRANT_TYPE",
    "REFRESH_ENDPOINT",
    "USE_SHARED_TOKEN",
    "PATH_TO_INSTANCE_CONFIG",
}
# Written by `pseudoproxy auth` and the token manager (OAuth contract §7); accepted before
# that code lands in src/, after which the literal scan finds it anyway.
CONTRACT_PARAMETERS = {"TOKEN_FAMILY"}
# Environment variables Terraform sets before the binary reads them (none now: SECRETS_STORE,
# PATH_PREFIX and CUSTOM_RULES_SHA are in src/config/names.rs).
CONTRACT_ENV: set[str] = set()
# The salt and encryption key as stored (resource type, name, value attribute or None).
SHARED_SECRET_RESOURCES = [
    ("aws_ssm_parameter", "salt", "value"),
    ("aws_ssm_parameter", "encryption_key", "value"),
    ("aws_secretsmanager_secret", "salt", None),
    ("aws_secretsmanager_secret", "encryption_key", None),
    ("aws_secretsmanager_secret_version", "salt", "secret_string"),
    ("aws_secretsmanager_secret_version", "encryption_key", "secret_string"),
]
# Log events of the Rust/infra contract the alarms key on: metric -> pattern clauses.
ALARM_EVENTS = {
    "HealthCheckDefinitiveFailure": ['$.target = "pseudoproxy::health"', '$.fields.event = "health_check"',
                                     '$.fields.outcome = "definitive"'],
    "HealthCheckTransientFailure": ['$.target = "pseudoproxy::health"', '$.fields.event = "health_check"',
                                    '$.fields.outcome = "transient"'],
    "RefreshTokenUnsaved": ['$.target = "pseudoproxy::auth"', '$.fields.event = "refresh_token_unsaved"'],
    "TokenFamilyDaysToExpiry": ['$.target = "pseudoproxy::health"', '$.fields.event = "token_family"'],
}


def literal(value):
    """The text of a quoted HCL string literal without interpolation, else None."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return None if "${" in inner else inner
    return None


def text(value) -> str:
    """Any parsed value flattened to text (for reference and wildcard searches)."""
    if isinstance(value, (list, tuple)):
        return " ".join(text(v) for v in value)
    if isinstance(value, dict):
        return " ".join(text(v) for k, v in value.items() if not k.startswith("__"))
    return str(value)


def unq(name: str) -> str:
    return name.strip('"')


@functools.lru_cache(maxsize=256)
def parse(source: str) -> dict:
    """Parsed HCL of one file's text (cached: mutated copies differ in one file only)."""
    return hcl2.load(io.StringIO(source))


class Module:
    """The merged blocks of every .tf file in one directory."""

    def __init__(self, directory: Path):
        self.resources: dict[str, dict[str, dict]] = {}
        self.data: dict[str, dict[str, dict]] = {}
        self.locals: dict[str, object] = {}
        self.variables: dict[str, dict] = {}
        for path in sorted(directory.glob("*.tf")):
            parsed = parse(path.read_text())
            for kind, target in (("resource", self.resources), ("data", self.data)):
                for block in parsed.get(kind, []):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            target.setdefault(unq(rtype), {})[unq(name)] = body
            for block in parsed.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
            for block in parsed.get("variable", []):
                for name, body in block.items():
                    self.variables[unq(name)] = body

    def expand(self, value, depth: int = 8) -> str:
        """Text of `value` with every local.NAME replaced by its definition, transitively."""
        out = text(value)
        for _ in range(depth):
            names = set(re.findall(r"local\.([A-Za-z0-9_]+)", out))
            known = [n for n in names if n in self.locals]
            if not known:
                break
            for n in known:
                out = re.sub(rf"local\.{n}\b", lambda _m, n=n: f"({text(self.locals[n])})", out)
        return out


def statements(document: dict) -> list[tuple[dict, str | None]]:
    """(statement, for_each text or None) for plain and dynamic statements."""
    out = [(s, None) for s in document.get("statement", [])]
    for dyn in document.get("dynamic", []):
        for name, body in dyn.items():
            if unq(name) == "statement":
                for content in body.get("content", []):
                    out.append((content, text(body.get("for_each", ""))))
    return out


def actions_of(stmt: dict) -> list[str | None]:
    acts = stmt.get("actions", [])
    return [literal(a) for a in acts] if isinstance(acts, list) else [None]


def resources_of(stmt: dict) -> list:
    res = stmt.get("resources", [])
    return res if isinstance(res, list) else [res]


def conditions_of(stmt: dict) -> set[tuple[str, str, tuple]]:
    out = set()
    for c in stmt.get("condition", []):
        values = tuple(literal(v) for v in c.get("values", []))
        out.add((literal(c.get("test")), literal(c.get("variable")), values))
    return out



def check_policies(m: Module, problems: list[str]) -> None:
    for where in ("aws_iam_role_policy", "aws_iam_policy"):
        for name, body in m.resources.get(where, {}).items():
            if not re.fullmatch(r"\$\{data\.aws_iam_policy_document\.\w+\.json\}", str(body.get("policy"))):
                problems.append(f"{where}.{name}: policy must be an aws_iam_policy_document (checked here)")
    if m.resources.get("aws_iam_role_policy_attachment") or m.resources.get("aws_iam_policy_attachment"):
        problems.append("managed policy attachments are not allowed (they escape these checks)")
    for name, role in m.resources.get("aws_iam_role", {}).items():
        if "managed_policy_arns" in role or "inline_policy" in role:
            problems.append(f"aws_iam_role.{name}: managed_policy_arns/inline_policy not allowed")
    for doc_name, doc in m.data.get("aws_iam_policy_document", {}).items():
        for stmt, for_each in statements(doc):
            where = f"policy document {doc_name}, statement {literal(stmt.get('sid'))}"
            acts = actions_of(stmt)
            known = {a for a in acts if a}
            if "not_actions" in stmt or "not_resources" in stmt:
                problems.append(f"{where}: not_actions/not_resources are not allowed")
            if any(a is None for a in acts):
                problems.append(f"{where}: actions must be literal strings")
            for a in acts:
                if a is not None and "*" in a:
                    problems.append(f"{where}: wildcard action {a!r}")
            for r in resources_of(stmt):
                if literal(r) == "*" and not (known and known <= UNSCOPABLE_ACTIONS):
                    problems.append(f"{where}: bare '*' resource")
            services = {a.split(":")[0] for a in known}
            for service, gate in SERVICE_GATES.items():
                if service in services and gate not in (for_each or ""):
                    problems.append(f"{where}: {service} statements must exist only with {gate} (for_each)")
            if "ssm" in services:
                expanded = m.expand(resources_of(stmt))
                if "*" in expanded:
                    problems.append(f"{where}: wildcard SSM resource (expanded: {expanded[:200]})")
                check_validated_vars(m, expanded, where, "SSM", problems)
            if "secretsmanager" in services:
                check_secrets_statement(m, stmt, where, known, problems)
            if "ec2" in services:
                check_vpc_statement(m, stmt, where, known, problems)
            if "kms" in services:
                check_kms(m, stmt, for_each, where, known, problems)


def check_validated_vars(m: Module, expanded: str, where: str, kind: str, problems: list[str]) -> None:
    for var in sorted(set(re.findall(r"var\.(\w+)", expanded))):
        if not m.variables.get(var, {}).get("validation"):
            problems.append(f"{where}: {kind} resource uses var.{var}, which has no validation")


def check_secrets_statement(m: Module, stmt, where, acts: set[str], problems: list[str]) -> None:
    """Exact secret ARNs: the only wildcard is AWS's '-??????' random suffix."""
    if not acts <= SECRETS_ACTIONS:
        problems.append(f"{where}: Secrets Manager actions {sorted(acts - SECRETS_ACTIONS)} beyond the contract's")
    resources = [text(r) for r in resources_of(stmt)]
    expanded = m.expand(resources_of(stmt))
    bare = expanded.replace("-??????", "").replace(" ? ", " ")  # the suffix; conditional operators
    if "*" in bare or "?" in bare:
        problems.append(f"{where}: wildcard Secrets Manager resource (expanded: {expanded[:200]})")
    if "-??????" not in expanded:
        problems.append(f"{where}: Secrets Manager resources must end in AWS's '-??????' suffix")
    check_validated_vars(m, expanded, where, "Secrets Manager", problems)
    if "secretsmanager:DeleteSecret" in acts and resources != ["${local.instance_secret_arn[local.lock_name]}"]:
        problems.append(f"{where}: secretsmanager:DeleteSecret only on the refresh lock, got {resources}")
    if any("shared_secret_arn" in r for r in resources) and not acts <= SECRETS_READ:
        problems.append(f"{where}: the shared salt/key secrets must be read-only, got {sorted(acts)}")


def check_vpc_statement(m: Module, stmt, where, acts: set[str], problems: list[str]) -> None:
    if not acts <= EC2_ACTIONS:
        problems.append(f"{where}: EC2 actions {sorted(acts - EC2_ACTIONS)} beyond Lambda's VPC needs")
    resources = [text(r) for r in resources_of(stmt)]
    if resources == ['"*"']:
        return  # only Describe* (checked in check_policies)
    expanded = m.expand(resources_of(stmt))
    if "*" in expanded.replace("network-interface/*", ""):
        problems.append(f"{where}: EC2 resources beyond network interfaces, the configured subnets and security groups (expanded: {expanded[:200]})")
    check_validated_vars(m, expanded, where, "EC2", problems)


def check_kms(m: Module, stmt, for_each, where, acts: set[str], problems) -> None:
    via = [text(c.get("values")) for c in stmt.get("condition", []) if literal(c.get("variable")) == "kms:ViaService"]
    if not via:
        problems.append(f"{where}: KMS use must be limited by kms:ViaService")
        return
    service = via[0].lstrip("[ '\"")
    rule = next((r for prefix, r in KMS_RULES.items() if service.startswith(prefix)), None)
    if rule is None:
        problems.append(f"{where}: kms:ViaService {via[0]} is not a service this module uses")
        return
    allowed, gate, key_var = rule
    if not acts <= allowed:
        problems.append(f"{where}: KMS actions {sorted(acts - allowed)} beyond {'/'.join(sorted(a.split(':')[1] for a in allowed))}")
    res = [text(r) for r in resources_of(stmt)]
    gate_ok = for_each is not None and for_each.strip() == "${" + gate + "}"
    expanded = m.expand(for_each or "")
    vars_used = set(re.findall(r"var\.\w+", expanded)) - {"var.secrets_store"}
    if res != ["${statement.value}"] or not gate_ok or vars_used != {key_var} or "*" in expanded:
        problems.append(f"{where}: KMS resources must be exactly {key_var} (through {gate}), got {res} for_each {for_each}")


def check_caller(m: Module, problems: list[str]) -> None:
    policies = [
        (name, body)
        for name, body in m.resources.get("aws_iam_role_policy", {}).items()
        if text(body.get("role")) == "${aws_iam_role.caller.id}"
    ]
    if len(policies) != 1:
        problems.append(f"caller role: expected exactly one inline policy, found {len(policies)}")
        return
    doc_name = re.sub(r"^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$", r"\1", text(policies[0][1].get("policy")))
    doc = m.data.get("aws_iam_policy_document", {}).get(doc_name)
    if doc is None:
        problems.append("caller role: its policy document is missing")
        return
    for stmt, for_each in statements(doc):
        sid = literal(stmt.get("sid"))
        acts = set(actions_of(stmt))
        if not acts <= CALLER_ACTIONS:
            problems.append(f"caller role, {sid}: actions {sorted(map(str, acts))} beyond invoking the front door")
            continue
        resources = [text(r) for r in resources_of(stmt)]
        conditions = conditions_of(stmt)
        if acts & {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}:
            if "execute-api:Invoke" in acts:
                problems.append(f"caller role, {sid}: one statement per front door")
            if "local.use_function_url" not in (for_each or ""):
                problems.append(f"caller role, {sid}: function URL grants must exist only with the function URL front door")
            if resources != ["${aws_lambda_function.proxy.arn}"]:
                problems.append(f"caller role, {sid}: resources must be exactly this function's ARN")
            if "lambda:InvokeFunction" in acts and ("Bool", "lambda:InvokedViaFunctionUrl", ("true",)) not in conditions:
                problems.append(f"caller role, {sid}: lambda:InvokeFunction without lambda:InvokedViaFunctionUrl = true")
            if "lambda:InvokeFunctionUrl" in acts and ("StringEquals", "lambda:FunctionUrlAuthType", ("AWS_IAM",)) not in conditions:
                problems.append(f"caller role, {sid}: lambda:InvokeFunctionUrl without FunctionUrlAuthType = AWS_IAM")
        if "execute-api:Invoke" in acts:
            if "local.use_api_gateway" not in (for_each or ""):
                problems.append(f"caller role, {sid}: execute-api grants must exist only with an API Gateway front door")
            if resources != ["${local.execute_api_invoke_arn}"]:
                problems.append(f"caller role, {sid}: execute-api:Invoke must be on exactly local.execute_api_invoke_arn, got {resources}")
            else:
                check_execute_api_arn(m, sid, problems)


def check_execute_api_arn(m: Module, sid, problems: list[str]) -> None:
    """The API's own execution ARN, then exactly the configured stage, any method and path."""
    arn = text(m.locals.get("execute_api_invoke_arn", ""))
    allowed = {
        "aws_apigatewayv2_api.proxy[0].execution_arn}/${var.api_gateway_stage_name}/*/*",
        "aws_api_gateway_rest_api.proxy[0].execution_arn}/${var.api_gateway_stage_name}/*/*",
    }
    found = set(re.findall(r"aws_api\w*\.proxy\[0\]\.execution_arn\}[^\"]*", arn))
    rest = arn
    for piece in allowed:
        rest = rest.replace(piece, "")
    if not found or not found <= allowed or "*" in rest or "arn:" in rest:
        problems.append(f"caller role, {sid}: execute-api resource must be this API's execution ARN + /<stage>/*/*, got {arn[:240]}")
    if not m.variables.get("api_gateway_stage_name", {}).get("validation"):
        problems.append(f"caller role, {sid}: var.api_gateway_stage_name has no validation")


def check_front_doors(m: Module, problems: list[str]) -> None:
    """Exactly the chosen front door exists, and every way in is IAM-authenticated."""
    gates = {
        "aws_lambda_function_url": "local.use_function_url",
        "aws_apigatewayv2_api": "local.use_http_api", "aws_apigatewayv2_route": "local.use_http_api",
        "aws_apigatewayv2_stage": "local.use_http_api", "aws_apigatewayv2_integration": "local.use_http_api",
        "aws_api_gateway_rest_api": "local.use_rest_api", "aws_api_gateway_stage": "local.use_rest_api",
        "aws_api_gateway_resource": "local.use_rest_api", "aws_api_gateway_deployment": "local.use_rest_api",
    }
    for rtype, gate in gates.items():
        for name, body in m.resources.get(rtype, {}).items():
            count = text(body.get("count", "")) + text(body.get("for_each", ""))
            if gate not in count:
                problems.append(f"{rtype}.{name}: must exist only when {gate} (count/for_each)")
    for name, route in m.resources.get("aws_apigatewayv2_route", {}).items():
        if literal(route.get("authorization_type")) != "AWS_IAM":
            problems.append(f"aws_apigatewayv2_route.{name}: authorization_type must be \"AWS_IAM\"")
    for name, method in m.resources.get("aws_api_gateway_method", {}).items():
        if literal(method.get("authorization")) != "AWS_IAM":
            problems.append(f"aws_api_gateway_method.{name}: authorization must be \"AWS_IAM\"")
        if "local.rest_resources" not in text(method.get("for_each", "")):
            problems.append(f"aws_api_gateway_method.{name}: must exist only for the REST front door")
    for name, integ in m.resources.get("aws_apigatewayv2_integration", {}).items():
        if literal(integ.get("payload_format_version")) != "2.0":
            problems.append(f"aws_apigatewayv2_integration.{name}: payload_format_version must be \"2.0\"")
    if m.resources.get("aws_apigatewayv2_api") or m.resources.get("aws_api_gateway_rest_api"):
        env = text(m.locals.get("environment", ""))
        if not re.search(r"local\.use_api_gateway \? \{ ?PATH_PREFIX = \"/\$\{var\.api_gateway_stage_name\}\"", env):
            problems.append("environment: PATH_PREFIX=/<stage> must be set with an API Gateway front door")


def check_roles(m: Module, problems: list[str]) -> None:
    for name, role in m.resources.get("aws_iam_role", {}).items():
        if text(role.get("permissions_boundary", "")) != "${var.permissions_boundary_arn}":
            problems.append(f"aws_iam_role.{name}: permissions_boundary must be var.permissions_boundary_arn")


def lifecycle_of(body: dict) -> dict:
    blocks = body.get("lifecycle", [])
    return blocks[0] if blocks else {}


def check_shared_secrets(m: Module, problems: list[str]) -> None:
    """Salt and key: never destroyed, never rewritten, a different value refused at plan."""
    for rtype, name, value_attr in SHARED_SECRET_RESOURCES:
        body = m.resources.get(rtype, {}).get(name)
        if body is None:
            problems.append(f"{rtype}.{name}: missing (salt/encryption key storage)")
            continue
        life = lifecycle_of(body)
        if life.get("prevent_destroy") is not True:
            problems.append(f"{rtype}.{name}: lifecycle.prevent_destroy must be true (the salt must survive destroy)")
        if value_attr and value_attr not in [unq(str(x)) for x in life.get("ignore_changes", [])]:
            problems.append(f"{rtype}.{name}: lifecycle.ignore_changes must hold {value_attr} (never rewritten)")
    conditions = []
    for rtype, named in m.resources.items():
        for body in named.values():
            for pre in lifecycle_of(body).get("precondition", []):
                conditions.append(text(pre.get("condition")))
    for secret in ("salt", "encryption_key"):
        stored = {f"aws_ssm_parameter.{secret}[0].value", f"aws_secretsmanager_secret_version.{secret}[0].secret_string"}
        if not any(f"sha256(var.{secret}) == sha256(" in c and all(s in c for s in stored) for c in conditions):
            problems.append(f"no precondition compares var.{secret} with the stored value: a change would pass silently")
    for name, version in m.resources.get("aws_secretsmanager_secret_version", {}).items():
        if "aws_secretsmanager_secret.placeholder" in text(version.get("secret_id")):
            problems.append(f"aws_secretsmanager_secret_version.{name}: Terraform must not own a version of a secret the function rotates")


def check_timeouts(m: Module, problems: list[str]) -> None:
    defaults = {k: m.variables.get(k, {}).get("default") for k in ("timeout_seconds", "request_timeout_seconds")}
    if defaults != {"timeout_seconds": 270, "request_timeout_seconds": 180}:
        problems.append(f"timeout defaults must be 270/180 (contract), got {defaults}")
    for name, fn in m.resources.get("aws_lambda_function", {}).items():
        conds = [text(p.get("condition")) for p in lifecycle_of(fn).get("precondition", [])]
        if "${var.timeout_seconds >= var.request_timeout_seconds + 90}" not in conds:
            problems.append(f"aws_lambda_function.{name}: precondition timeout_seconds >= request_timeout_seconds + 90 missing")
        if text(fn.get("timeout")) != "${var.timeout_seconds}":
            problems.append(f"aws_lambda_function.{name}: timeout must be var.timeout_seconds")


def unescape(pattern: str) -> str:
    return pattern.replace('\\"', '"').strip('"')


def check_alarms(m: Module, problems: list[str]) -> None:
    """Metric filters on the contract's log events, and an alarm on each metric."""
    filters: dict[str, dict] = {}
    for name, f in m.resources.get("aws_cloudwatch_log_metric_filter", {}).items():
        transform = f.get("metric_transformation", [{}])[0]
        if text(f.get("for_each")) == "${local.log_metric_patterns}":
            for metric, pattern in m.locals.get("log_metric_patterns", {}).items():
                if metric.startswith("__"):
                    continue
                filters[metric] = {"pattern": unescape(pattern), "value": literal(transform.get("value")),
                                   "default": transform.get("default_value"), "namespace": text(transform.get("namespace"))}
        else:
            metric = literal(transform.get("name"))
            filters[metric] = {"pattern": unescape(str(f.get("pattern"))), "value": literal(transform.get("value")),
                               "default": transform.get("default_value"), "namespace": text(transform.get("namespace"))}
        if "${aws_cloudwatch_log_group.function.name}" != text(f.get("log_group_name")):
            problems.append(f"aws_cloudwatch_log_metric_filter.{name}: must read the function's log group")
    for metric, clauses in ALARM_EVENTS.items():
        f = filters.get(metric)
        if f is None:
            problems.append(f"no metric filter produces {metric}")
            continue
        for clause in clauses:
            if clause not in f["pattern"]:
                problems.append(f"metric filter {metric}: pattern lacks {clause!r} (got {f['pattern']})")
    days = filters.get("TokenFamilyDaysToExpiry")
    if days and (days["value"] != "$.fields.days_to_expiry" or days["default"] is not None):
        problems.append("metric filter TokenFamilyDaysToExpiry: value must be $.fields.days_to_expiry with no default_value (a default would log 0 days for every other line)")
    alarms = {}
    for name, a in m.resources.get("aws_cloudwatch_metric_alarm", {}).items():
        alarms[literal(a.get("metric_name"))] = (name, a)
        if text(a.get("alarm_actions")) != "${var.alarm_actions}":
            problems.append(f"aws_cloudwatch_metric_alarm.{name}: alarm_actions must be var.alarm_actions")
    expect = {
        "HealthCheckDefinitiveFailure": ("GreaterThanOrEqualToThreshold", 1, 1),
        "RefreshTokenUnsaved": ("GreaterThanOrEqualToThreshold", 1, 1),
        "HealthCheckTransientFailure": ("GreaterThanOrEqualToThreshold", 3, 3),
        "TokenFamilyDaysToExpiry": ("LessThanThreshold", 1, 1),
    }
    for metric, (operator, periods, datapoints) in expect.items():
        if metric not in alarms:
            problems.append(f"no alarm on {metric}")
            continue
        name, a = alarms[metric]
        where = f"aws_cloudwatch_metric_alarm.{name}"
        if literal(a.get("comparison_operator")) != operator:
            problems.append(f"{where}: comparison_operator must be {operator}")
        if a.get("evaluation_periods") != periods or a.get("datapoints_to_alarm", periods) != datapoints:
            problems.append(f"{where}: must alarm after {datapoints} of {periods} periods (a transient failure must persist for 3 scheduled checks; others page at once)")
        if metric in filters and text(a.get("namespace")) != filters[metric]["namespace"]:
            problems.append(f"{where}: namespace differs from its metric filter's")
    if "TokenFamilyDaysToExpiry" in alarms:
        name, a = alarms["TokenFamilyDaysToExpiry"]
        if text(a.get("threshold")) != "${var.token_expiry_alarm_days}" or m.variables.get("token_expiry_alarm_days", {}).get("default") != 30:
            problems.append(f"aws_cloudwatch_metric_alarm.{name}: threshold must be var.token_expiry_alarm_days (default 30)")
        if literal(a.get("statistic")) != "Minimum":
            problems.append(f"aws_cloudwatch_metric_alarm.{name}: statistic must be Minimum")
    if "HealthCheckTransientFailure" in alarms:
        name, a = alarms["HealthCheckTransientFailure"]
        if text(a.get("period")) != "${local.health_check_period}":
            problems.append(f"aws_cloudwatch_metric_alarm.{name}: period must be the schedule's interval (local.health_check_period)")


def check_lambda(m: Module, problems: list[str]) -> None:
    urls = m.resources.get("aws_lambda_function_url", {})
    if not urls:
        problems.append("no aws_lambda_function_url")
    for name, url in urls.items():
        if literal(url.get("authorization_type")) != "AWS_IAM":
            problems.append(f"aws_lambda_function_url.{name}: authorization_type must be \"AWS_IAM\"")
    groups = m.resources.get("aws_cloudwatch_log_group", {})
    if not groups:
        problems.append("no aws_cloudwatch_log_group: Lambda would create one with infinite retention")
    for name, group in groups.items():
        retention = group.get("retention_in_days")
        var = re.fullmatch(r"\$\{var\.(\w+)\}", str(retention))
        default = m.variables.get(var.group(1), {}).get("default") if var else retention
        if not isinstance(default, int) or default <= 0:
            problems.append(f"aws_cloudwatch_log_group.{name}: retention_in_days not set (got {retention!r})")
    for name, fn in m.resources.get("aws_lambda_function", {}).items():
        logging = fn.get("logging_config", [{}])[0]
        if not str(logging.get("log_group", "")).startswith("${aws_cloudwatch_log_group."):
            problems.append(f"aws_lambda_function.{name}: must log into the module's log group")


def check_health(m: Module, module_dir: Path, problems: list[str]) -> None:
    """The schedule sends the function-URL event with `X-Psoxy-Health-Check: deep`, and
    only that rule may invoke the function."""
    import json

    targets = m.resources.get("aws_cloudwatch_event_target", {})
    for name, target in targets.items():
        if "health-check-event.json" not in text(target.get("input")):
            problems.append(f"aws_cloudwatch_event_target.{name}: input must be health-check-event.json")
    event = json.loads((module_dir / "health-check-event.json").read_text())
    headers = {k.lower(): v for k, v in event.get("headers", {}).items()}
    if event.get("version") != "2.0" or headers.get("x-psoxy-health-check") != "deep":
        problems.append("health-check-event.json: must be a v2.0 function-URL event with X-Psoxy-Health-Check: deep")
    for name, permission in m.resources.get("aws_lambda_permission", {}).items():
        if literal(permission.get("principal")) == "*" or "source_arn" not in permission:
            problems.append(f"aws_lambda_permission.{name}: must name a service principal and a source_arn")


def rust_names(src_dir: Path) -> tuple[set[str], set[str]]:
    """Upper-case string literals of the binary's sources, and the secret settings of its
    names table (src/config/names.rs: `layered(NAME, true)` and every `lifecycle(...)`)."""
    names: set[str] = set()
    for path in src_dir.rglob("*.rs"):
        names |= set(re.findall(r'"([A-Z][A-Za-z0-9_]{2,})"', path.read_text()))
    table = (src_dir / "config" / "names.rs").read_text()
    constants = dict(re.findall(r'pub(?:\(crate\))? const ([A-Z][A-Z0-9_]*): &str = "([^"]+)";', table))
    secret_constants = re.findall(r"layered\(([A-Z][A-Z0-9_]*), true\)", table)
    secret_constants += re.findall(r"lifecycle\(([A-Z][A-Z0-9_]*),", table)
    secrets = {constants[c] for c in secret_constants if c in constants}
    return names, secrets


def check_environment(m: Module, src_dir: Path, problems: list[str]) -> None:
    names, secrets = rust_names(src_dir)
    if not secrets:
        problems.append("no secret settings found in src/config/names.rs (SETTINGS table)")
    env = text(m.locals.get("environment", ""))
    keys = set(re.findall(r"\b([A-Z][A-Z0-9_]+)\s*=(?!=)", env))
    for fn_name, fn in m.resources.get("aws_lambda_function", {}).items():
        variables = text(fn.get("environment", [{}])[0].get("variables"))
        if variables != "${local.environment}":
            problems.append(f"aws_lambda_function.{fn_name}: environment must be local.environment")
    for key in sorted(keys - names - CONTRACT_ENV):
        problems.append(f"environment variable {key} is not read by the binary")
    for key in sorted(keys & secrets):
        problems.append(f"environment variable {key} is a secret: it belongs in SSM")
    for key in sorted(REQUIRED_ENV - keys):
        problems.append(f"environment variable {key} (spec §4) is missing")
    for local in ("instance_read_names", "instance_write_names", "shared_names"):
        for entry in m.locals.get(local, []):
            name = literal(entry)
            if name is None or name not in names | CONTRACT_PARAMETERS:
                problems.append(f"local.{local}: {entry} is not a parameter the binary uses")


def violations(module_dir: Path, src_dir: Path) -> list[str]:
    m = Module(module_dir)
    problems: list[str] = []
    check_lambda(m, problems)
    check_policies(m, problems)
    check_caller(m, problems)
    check_front_doors(m, problems)
    check_roles(m, problems)
    check_shared_secrets(m, problems)
    check_timeouts(m, problems)
    check_alarms(m, problems)
    check_environment(m, src_dir, problems)
    check_health(m, module_dir, problems)
    return problems


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    found = violations(root / "infra/modules/pseudoproxy-lambda", root / "src")
    for problem in found:
        print(f"VIOLATION: {problem}")
    print(f"module security properties: {len(found)} violation(s)")
    sys.exit(1 if found else 0)
