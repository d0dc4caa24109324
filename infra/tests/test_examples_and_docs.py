"""What the docs promise an operator, checked against the Terraform and the release workflow:

- every `terraform output NAME` the docs use exists in every example root, and every
  example output reads a module output that exists;
- every example root passes the module its operator settings, only arguments the module
  declares, and only variables the root declares (the part of `terraform validate` that
  needs no terraform binary and no providers);
- the migration root reuses Psoxy's names and never creates Psoxy's parameters;
- the release workflow builds both Lambda zips with scripts/package-lambda.sh, the CLIs,
  and SHA-256 checksums, on a version tag.

Each check is also run on a broken copy (a renamed output, a dropped argument, ...) that it
must reject, so none of them passes vacuously.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import hcl2
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from module_rules import Module, text, unq  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "infra" / "modules" / "pseudoproxy-lambda"
EXAMPLES = [ROOT / "infra" / "examples" / "confluence", ROOT / "infra" / "examples" / "confluence" / "psoxy-migration"]
DOCS = [ROOT / "docs" / "operations.md", ROOT / "docs" / "migrating-from-psoxy.md"]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"

# Operator settings every example root must pass through to the module (issue 18).
OPERATOR_SETTINGS = {
    "secrets_store", "front_door", "api_gateway_stage_name", "caller_aws_principals", "caller_web_identity",
    "additional_allowed_caller_arns", "custom_rules_yaml", "timeout_seconds", "request_timeout_seconds",
    "manage_shared_parameters", "shared_parameter_prefix", "permissions_boundary_arn", "environment_kms_key_arn",
    "vpc_config", "lambda_zip_path", "lambda_s3_bucket", "lambda_s3_key", "alarm_actions", "health_check_schedule",
    "confluence_cloud_id", "kms_key_arn",
}


def outputs_in_docs(paths=DOCS) -> set[str]:
    """NAME of every `terraform output [-raw|-json] NAME` in the docs."""
    names = set()
    for path in paths:
        names |= set(re.findall(r"terraform output(?:\s+-(?:raw|json))*\s+([a-z_][a-z0-9_]*)", path.read_text()))
    return names


def root_blocks(directory: Path) -> dict:
    merged: dict[str, list] = {}
    for path in sorted(directory.glob("*.tf")):
        for kind, blocks in hcl2.load(path.open()).items():
            if not kind.startswith("__"):
                merged.setdefault(kind, []).extend(blocks)
    return merged


def names_of(blocks: list) -> dict[str, dict]:
    return {unq(k): v for block in blocks for k, v in block.items() if not k.startswith("__")}


def example_problems(directory: Path, module_dir: Path = MODULE, doc_outputs: set[str] | None = None) -> list[str]:
    problems = []
    blocks = root_blocks(directory)
    outputs = names_of(blocks.get("output", []))
    variables = set(names_of(blocks.get("variable", [])))
    module = Module(module_dir)
    module_outputs = set(names_of(root_blocks(module_dir).get("output", [])))
    calls = names_of(blocks.get("module", []))
    call = calls.get("confluence")
    if call is None:
        return [f"{directory.name}: no module \"confluence\""]
    for name in sorted((doc_outputs if doc_outputs is not None else outputs_in_docs()) - set(outputs)):
        problems.append(f"{directory.name}: the docs use `terraform output {name}`, which this root lacks")
    for name, body in outputs.items():
        for ref in re.findall(r"module\.confluence\.(\w+)", text(body.get("value"))):
            if ref not in module_outputs:
                problems.append(f"{directory.name}: output {name} reads module.confluence.{ref}, which the module lacks")
    args = {k for k in call if not k.startswith("__") and k != "source"}
    for arg in sorted(args - set(module.variables)):
        problems.append(f"{directory.name}: module argument {arg} is not a module variable")
    for arg in sorted(OPERATOR_SETTINGS - args):
        problems.append(f"{directory.name}: operator setting {arg} is not passed to the module")
    required = {n for n, v in module.variables.items() if "default" not in v}
    for arg in sorted(required - args):
        problems.append(f"{directory.name}: required module variable {arg} is not set")
    used = set()
    for kind in ("module", "provider", "output", "locals"):
        used |= set(re.findall(r"var\.(\w+)", text(blocks.get(kind, []))))
    for var in sorted(used - variables):
        problems.append(f"{directory.name}: var.{var} is used but not declared")
    return problems


def test_the_docs_use_terraform_outputs():
    # The check below is only as good as this list: the docs must keep using outputs.
    assert {"base_url", "caller_role_arn", "region", "consent_command", "health_check_command",
            "test_command", "instance_parameter_prefix"} <= outputs_in_docs()


@pytest.mark.parametrize("directory", EXAMPLES, ids=[d.name for d in EXAMPLES])
def test_every_example_root_serves_the_docs(directory):
    assert example_problems(directory) == []


def test_the_example_check_can_fail(tmp_path):
    copy = tmp_path / "root"
    copy.mkdir()
    for path in EXAMPLES[0].glob("*.tf"):
        (copy / path.name).write_text(path.read_text())
    main = (copy / "main.tf").read_text()
    (copy / "main.tf").write_text(main.replace("  secrets_store            = var.secrets_store\n", "")
                                  .replace("function_name = var.function_name", "function_name = var.function_nme"))
    outputs = (copy / "outputs.tf").read_text()
    (copy / "outputs.tf").write_text(outputs.replace('output "consent_command"', 'output "consent_cmd"')
                                     .replace("module.confluence.base_url", "module.confluence.url"))
    found = example_problems(copy)
    for expected in ("`terraform output consent_command`", "module.confluence.url", "secrets_store is not passed",
                     "var.function_nme is used"):
        assert any(expected in p for p in found), (expected, found)
    (copy / "main.tf").write_text(main.replace("module \"confluence\" {", "module \"confluence\" {\n  no_such_setting = 1"))
    assert any("no_such_setting is not a module variable" in p for p in example_problems(copy))


def test_the_migration_root_reuses_psoxys_names():
    call = names_of(root_blocks(EXAMPLES[1]).get("module", []))["confluence"]
    assert call["manage_shared_parameters"] is False and call["create_placeholder_parameters"] is False
    assert text(call["instance_parameter_prefix"]) == "${var.psoxy_instance_parameter_prefix}"
    tfvars = (EXAMPLES[1] / "terraform.tfvars.example").read_text()
    # Psoxy's Confluence connector is `confluence-cloud`: PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN etc.
    assert re.search(r'^psoxy_instance_parameter_prefix = "PSOXY_CONFLUENCE_CLOUD_"$', tfvars, re.M), tfvars
    assert "PSOXY_CONFLUENCE_\"" not in tfvars


def workflow_problems(workflow: dict) -> list[str]:
    problems = []
    on = workflow.get(True, workflow.get("on", {}))  # YAML 1.1 reads the key `on` as True
    tags = (on or {}).get("push", {}).get("tags", [])
    if not any(t.startswith("v") for t in tags):
        problems.append("release must run on version tags (push: tags: v*)")
    runs = "\n".join(step.get("run", "") for job in workflow.get("jobs", {}).values() for step in job.get("steps", []))
    lambda_job = workflow.get("jobs", {}).get("lambda", {})
    archs = {m.get("arch") for m in lambda_job.get("strategy", {}).get("matrix", {}).get("include", [])}
    if archs != {"x86_64", "arm64"}:
        problems.append(f"release must build the Lambda zip for x86_64 and arm64, got {sorted(map(str, archs))}")
    if "scripts/package-lambda.sh" not in runs:
        problems.append("release must build the zips with scripts/package-lambda.sh (the glibc gate, the shipped profile)")
    if "sha256sum" not in runs or "SHA256SUMS" not in runs:
        problems.append("release must publish SHA256SUMS")
    if "base64sha256" not in runs:
        problems.append("release must publish each zip's base64 SHA-256 (lambda_zip_base64sha256)")
    if "pseudoproxy-macos-" not in runs or "pseudoproxy-linux-" not in runs:
        problems.append("release must publish CLI binaries for Linux and macOS")
    if workflow.get("permissions", {}).get("contents") != "read":
        problems.append("workflow-wide permissions must be contents: read (only the publishing job writes)")
    return problems


def test_the_release_workflow():
    assert workflow_problems(yaml.safe_load(WORKFLOW.read_text())) == []


def test_the_release_check_can_fail():
    broken = yaml.safe_load(WORKFLOW.read_text().replace("--arm64", "--arm").replace("arch: arm64", "arch: aarch")
                            .replace("SHA256SUMS", "SUMS").replace('tags: ["v*"]', 'branches: ["main"]'))
    found = workflow_problems(broken)
    for expected in ("x86_64 and arm64", "SHA256SUMS", "version tags"):
        assert any(expected in p for p in found), (expected, found)
