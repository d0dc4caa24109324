#!/usr/bin/env bash
# Validates the Terraform under infra/ offline (no terraform binary, no cloud):
#   1. every .tf file parses (python-hcl2) and the module's security properties hold,
#      including on mutated copies that must fail (pytest, infra/tests/);
#   2. checkov scans infra/ with no failing check; skips are inline, each with a reason,
#      and each is listed in docs/operations.md (checked by the tests);
#   3. checkov is shown to bite: a copy of the module with a public function URL fails.
# Tools come from PyPI into .venv-infra/ (two venvs: checkov pins its own fork of the
# hcl2 package, which would shadow python-hcl2 in a shared one).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the work tree

venv() { # venv DIR PACKAGE...: create DIR and install what is missing from it
  local dir=$1 package; shift
  [[ -x "$dir/bin/python" ]] || python3 -m venv "$dir"
  for package in "$@"; do
    "$dir/bin/python" -m pip show "$package" >/dev/null 2>&1 ||
      "$dir/bin/pip" install -q --disable-pip-version-check "$package"
  done
}
venv .venv-infra/hcl python-hcl2 pytest pyyaml
venv .venv-infra/checkov checkov

echo "--- parse + security properties (pytest)"
.venv-infra/hcl/bin/python -m pytest -q -p no:cacheprovider infra/tests

echo "--- checkov"
.venv-infra/checkov/bin/checkov -d infra --framework terraform --compact --quiet \
  --skip-download --download-external-modules false

echo "--- checkov fails on a public function URL (proves the scan is not vacuous)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r infra/modules/pseudoproxy-lambda "$tmp/module"
sed -i 's/authorization_type = "AWS_IAM"/authorization_type = "NONE"/' "$tmp/module/lambda.tf"
if .venv-infra/checkov/bin/checkov -d "$tmp/module" --framework terraform --compact --quiet \
  --skip-download --check CKV_AWS_258 >"$tmp/out" 2>&1; then
  cat "$tmp/out"
  echo "checkov passed a function URL with authorization_type NONE" >&2
  exit 1
fi
grep -q CKV_AWS_258 "$tmp/out" || { cat "$tmp/out"; echo "unexpected checkov failure" >&2; exit 1; }
echo "checkov rejected it (CKV_AWS_258), as it must"
