"""Security properties of the pseudoproxy Terraform module, checked on its parsed HCL.

`violations(module_dir, src_dir)` parses every .tf file of the module with python-hcl2
(no terraform binary, no network) and returns one readable message per broken property:

- every function URL uses AWS_IAM auth;
- every IAM policy is an aws_iam_policy_document with literal actions, none containing
  `*`; no statement has a bare `*` resource; no managed policy is attached anywhere;
- SSM statements name parameters with no wildcard, after expanding the locals they use;
- KMS statements allow only kms:Decrypt/kms:Encrypt, only on var.kms_key_arn, via SSM;
- the caller role may only invoke this function through its URL (InvokeFunctionUrl with
  AWS_IAM, InvokeFunction only with lambda:InvokedViaFunctionUrl = true);
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

CALLER_ACTIONS = {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
KMS_ACTIONS = {"kms:Decrypt", "kms:Encrypt"}
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
            if "not_actions" in stmt or "not_resources" in stmt:
                problems.append(f"{where}: not_actions/not_resources are not allowed")
            if any(a is None for a in acts):
                problems.append(f"{where}: actions must be literal strings")
            for a in acts:
                if a is not None and "*" in a:
                    problems.append(f"{where}: wildcard action {a!r}")
            for r in resources_of(stmt):
                if literal(r) == "*":
                    problems.append(f"{where}: bare '*' resource")
            if any(a and a.startswith("ssm:") for a in acts):
                expanded = m.expand(resources_of(stmt))
                if "*" in expanded:
                    problems.append(f"{where}: wildcard SSM resource (expanded: {expanded[:200]})")
                for var in sorted(set(re.findall(r"var\.(\w+)", expanded))):
                    if not m.variables.get(var, {}).get("validation"):
                        problems.append(f"{where}: SSM resource uses var.{var}, which has no validation")
            if any(a and a.startswith("kms:") for a in acts):
                check_kms(stmt, for_each, where, acts, problems)


def check_kms(stmt, for_each, where, acts, problems) -> None:
    if not set(acts) <= KMS_ACTIONS:
        problems.append(f"{where}: KMS actions {sorted(set(acts) - KMS_ACTIONS)} beyond Decrypt/Encrypt")
    res = [text(r) for r in resources_of(stmt)]
    via_key = res == ["${var.kms_key_arn}"] or (
        res == ["${statement.value}"]
        and for_each is not None
        and set(re.findall(r"var\.\w+", for_each)) == {"var.kms_key_arn"}
        and "*" not in for_each
    )
    if not via_key:
        problems.append(f"{where}: KMS resources must be exactly var.kms_key_arn, got {res}")
    if not any(v == "kms:ViaService" for _, v, _ in conditions_of(stmt)):
        problems.append(f"{where}: KMS use must be limited by kms:ViaService")


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
        if for_each is not None or not acts <= CALLER_ACTIONS:
            problems.append(f"caller role, {sid}: actions {sorted(map(str, acts))} beyond invoking the function URL")
        if [text(r) for r in resources_of(stmt)] != ["${aws_lambda_function.proxy.arn}"]:
            problems.append(f"caller role, {sid}: resources must be exactly this function's ARN")
        conditions = conditions_of(stmt)
        if "lambda:InvokeFunction" in acts and ("Bool", "lambda:InvokedViaFunctionUrl", ("true",)) not in conditions:
            problems.append(f"caller role, {sid}: lambda:InvokeFunction without lambda:InvokedViaFunctionUrl = true")
        if "lambda:InvokeFunctionUrl" in acts and ("StringEquals", "lambda:FunctionUrlAuthType", ("AWS_IAM",)) not in conditions:
            problems.append(f"caller role, {sid}: lambda:InvokeFunctionUrl without FunctionUrlAuthType = AWS_IAM")


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
    """Upper-case string literals of the binary's sources, and its SECRET_SETTINGS."""
    names: set[str] = set()
    for path in src_dir.rglob("*.rs"):
        names |= set(re.findall(r'"([A-Z][A-Za-z0-9_]{2,})"', path.read_text()))
    resolve = (src_dir / "config" / "resolve.rs").read_text()
    block = re.search(r"SECRET_SETTINGS[^=]*=\s*\[(.*?)\];", resolve, re.S)
    secrets = set(re.findall(r'"([A-Z0-9_]+)"', block.group(1))) if block else set()
    return names, secrets


def check_environment(m: Module, src_dir: Path, problems: list[str]) -> None:
    names, secrets = rust_names(src_dir)
    if not secrets:
        problems.append("SECRET_SETTINGS not found in src/config/resolve.rs")
    env = text(m.locals.get("environment", ""))
    keys = set(re.findall(r"\b([A-Z][A-Z0-9_]+)\s*=(?!=)", env))
    for fn_name, fn in m.resources.get("aws_lambda_function", {}).items():
        variables = text(fn.get("environment", [{}])[0].get("variables"))
        if variables != "${local.environment}":
            problems.append(f"aws_lambda_function.{fn_name}: environment must be local.environment")
    for key in sorted(keys - names):
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
