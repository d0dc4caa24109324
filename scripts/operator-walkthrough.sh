#!/usr/bin/env bash
# An operator's first day and first year, executed (issue 18). The shell blocks of
# docs/operations.md and docs/migrating-from-psoxy.md marked `<!-- walkthrough: NAME -->`
# are extracted at run time and run as an operator pastes them (bash -e -o pipefail, in
# the example root's directory), against loopback stand-ins:
#
#   AWS        moto (SSM, IAM, STS) through AWS_ENDPOINT_URL; Lambda through
#              AWS_ENDPOINT_URL_LAMBDA: scripts/operator_walkthrough.py answers Invoke,
#              UpdateFunctionConfiguration (a fresh instance), reserved concurrency, and
#              serves a function URL that checks the SigV4 scope and puts the signer's ARN
#              (from moto's STS) into the event, as AWS does.
#   function   the real binary in Lambda mode: under `cargo lambda watch` when CI=true or
#              PSEUDOPROXY_E2E=1 (cargo-lambda from PyPI into .venv/, as
#              scripts/e2e-cargo-lambda.sh), else target/debug/pseudoproxy under the
#              walkthrough's own Lambda Runtime API (one process per instance, the
#              invocation deadline of the function's timeout). WALKTHROUGH_LAMBDA=watch|binary
#              forces one.
#   Atlassian  examples/confluence_standin (token family, API) behind an authorization
#              server (consent screen, authorization code, the app's client secrets).
#   terraform  `terraform output` is evaluated from the .tf files for the deployment that
#              the root's terraform.tfvars.example describes; `apply` is the walkthrough's
#              (moto parameters and roles, the function's environment from local.environment,
#              with TARGET_HOST and REFRESH_ENDPOINT pointed at the loopback Atlassian).
#   aws, jq    the installed AWS CLI v2 and jq; a minimal stand-in of each otherwise.
#
# A marker the walkthrough does not know, or a block it expects and does not find, fails:
# the docs cannot drift away from what runs. Checks that fail are collected and listed at
# the end (exit 1); a failure that makes the rest meaningless stops at once.
#
# Builds what it runs itself (debug profile: the pseudoproxy binary and
# examples/confluence_standin); an up-to-date build costs a second.
#   scripts/operator-walkthrough.sh                      # about 40 s
#   PSEUDOPROXY_E2E=1 scripts/operator-walkthrough.sh    # under cargo lambda watch (about 65 s)
# WALKTHROUGH_KEEP=1 keeps the work directory (logs, blocks, outputs).
# WALKTHROUGH_DROP_ENV=NAME,… (development only) removes variables the module sets from
# the function's environment, to look past one known failure and see the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$SECONDS
export PYTHONDONTWRITEBYTECODE=1

W=$root/scripts/operator_walkthrough.py
OPS=$root/docs/operations.md
MIG=$root/docs/migrating-from-psoxy.md
A=$root/infra/examples/confluence
M=$root/infra/examples/confluence/psoxy-migration
target_dir=${CARGO_TARGET_DIR:-$root/target}
BIN=$target_dir/debug/pseudoproxy
STANDIN=$target_dir/debug/examples/confluence_standin
OPS_BLOCKS=(platform-values consent health-check test-call call call-curl rotate-client-secret rotate-refresh-now)
MIG_BLOCKS=(psoxy-names stop-psoxy verify-migration rollback)

step() { printf '\n==> walkthrough: %s   [%ds]\n' "$*" $((SECONDS - t0)); }
failures=()
# expect WHAT CMD...: a check; a failure is listed at the end.
expect() {
  local what=$1
  shift
  if ! "$@"; then
    failures+=("$what")
    echo "  ^ FAILED: $what"
  fi
}
# die MESSAGE: a failure that makes the rest meaningless.
die() {
  echo
  echo "operator-walkthrough: $*" >&2
  show_logs
  exit 1
}
show_logs() {
  [[ -n "${work:-}" && -d "$work" ]] || return 0
  local log
  for log in "$work"/function-*.log "$work"/serve.log "$work"/standin.log; do
    [[ -s "$log" ]] || continue
    echo "--- last lines of $(basename "$log")" >&2
    tail -15 "$log" | cut -c1-400 >&2
  done
}

lambda_kind=binary
[[ "${CI:-}" == "true" || "${PSEUDOPROXY_E2E:-}" == "1" ]] && lambda_kind=watch
lambda_kind=${WALKTHROUGH_LAMBDA:-$lambda_kind}

step "build (debug): pseudoproxy and examples/confluence_standin"
cargo build --locked --quiet --bin pseudoproxy --example confluence_standin ||
  die "cargo build --bin pseudoproxy --example confluence_standin failed"
[[ -x "$BIN" ]] || die "$BIN is missing after the build (CARGO_TARGET_DIR=$target_dir)"
[[ -x "$STANDIN" ]] || die "$STANDIN is missing after the build (CARGO_TARGET_DIR=$target_dir)"

step "tools (.venv: moto, boto3; .venv-infra/hcl: python-hcl2; cargo-lambda when under watch)"
venv() { # venv DIR PACKAGE...: as scripts/with-moto.sh and scripts/check-infra.sh
  local dir=$1 package
  shift
  [[ -x "$dir/bin/python" ]] || python3 -m venv "$dir"
  for package in "$@"; do
    "$dir/bin/python" -m pip show "${package%%[<>=\[]*}" >/dev/null 2>&1 ||
      "$dir/bin/pip" install -q --disable-pip-version-check "$package"
  done
}
venv .venv 'moto[server]>=5,<6'
venv .venv-infra/hcl python-hcl2
PYM=$root/.venv/bin/python       # boto3 (a moto dependency)
PYH=$root/.venv-infra/hcl/bin/python
cargo_lambda=""
if [[ $lambda_kind == watch ]]; then
  venv .venv cargo-lambda
  cargo_lambda=$root/.venv/bin/cargo-lambda
fi
echo "function runs as: $lambda_kind"

work=$(mktemp -d -t operator-walkthrough.XXXXXX)
mkdir -p "$work/bin" "$work/blocks" "$work/run" "$work/out"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${WALKTHROUGH_KEEP:-}" == "1" ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "the blocks the docs mark for execution"
extract_all() { # DOC NAME...: each marked block into $work/blocks; every marker must be known
  local doc=$1
  shift
  local name
  for name in "$@"; do
    "$PYM" "$W" extract "$doc" "$name" >"$work/blocks/$name.sh" || die "see above"
  done
  local known
  known=$(printf '%s\n' "$@" | sort)
  [[ "$("$PYM" "$W" markers "$doc" | sort)" == "$known" ]] ||
    die "$doc marks blocks the walkthrough does not run (or twice): $("$PYM" "$W" markers "$doc" | sort | tr '\n' ' ')— expected: $(tr '\n' ' ' <<<"$known")"
}
extract_all "$OPS" "${OPS_BLOCKS[@]}"
extract_all "$MIG" "${MIG_BLOCKS[@]}"
ls "$work/blocks"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL WHAT PID
  local _
  for _ in $(seq 1 150); do
    kill -0 "$3" 2>/dev/null || die "$2 exited early"
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.2
  done
  die "$2 did not answer on $1"
}
python3 -c 'import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",8976)); s.listen()' 2>/dev/null ||
  die "port 8976 (the consent command's default callback) is in use"

step "stand-ins: moto, the Confluence stand-in, Atlassian's authorization server, Lambda"
moto_port=$(free_port)
"$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$moto_port/moto-api/" moto $!
MOTO=http://127.0.0.1:$moto_port
CLOUD_ID=walkthrough-cloud-id
READER=walkthrough-reader-token # the stand-in's static token: the walkthrough's own raw reads
standin_pid=""
start_standin() { # FIRST_REFRESH_TOKEN
  [[ -n "$standin_pid" ]] && { kill "$standin_pid"; wait "$standin_pid" 2>/dev/null || true; }
  standin_port=$(free_port)
  "$STANDIN" --listen "127.0.0.1:$standin_port" --items 300 --users 60 --groups 6 --spaces 12 \
    --bench-pages "" --cloud-id "$CLOUD_ID" --client-id standin-engine \
    --client-secret standin-engine-secret --refresh-token "$1" --static-token "$READER" \
    >>"$work/standin.log" 2>&1 &
  standin_pid=$!
  pids+=("$standin_pid")
  wait_http "http://127.0.0.1:$standin_port/_standin/health" "the Confluence stand-in" "$standin_pid"
}
start_standin rt-family-0
"$PYM" "$W" serve --ports-file "$work/ports.json" --moto "$MOTO" --region us-east-1 \
  --workdir "$work" --binary "$BIN" ${cargo_lambda:+--cargo-lambda "$cargo_lambda"} >"$work/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 1 100); do [[ -s "$work/ports.json" ]] && break; sleep 0.1; done
[[ -s "$work/ports.json" ]] || die "the walkthrough's Atlassian/Lambda stand-ins did not start"
port() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/ports.json" "$1"; }
ATL=http://127.0.0.1:$(port atlassian)
LAMBDA_API=http://127.0.0.1:$(port lambda)
FUNCTION_URL=http://127.0.0.1:$(port url)/
atlassian() { # JSON: configure the authorization server
  curl -sf -X POST "$ATL/_walkthrough/config" -H 'content-type: application/json' -d "$1" >/dev/null
}
atl_log_length() { curl -sf "$ATL/_walkthrough/log" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# The operator's shell: their own AWS credentials (moto accepts any), the tools on PATH.
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export AWS_ACCESS_KEY_ID=operator AWS_SECRET_ACCESS_KEY=operator-secret AWS_REGION=us-east-1 \
  AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" \
  AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials \
  AWS_ENDPOINT_URL=$MOTO AWS_ENDPOINT_URL_LAMBDA=$LAMBDA_API \
  WALKTHROUGH_TF_STATE=$work/tfstate.json WALKTHROUGH_FUNCTION_URL=$FUNCTION_URL
cat >"$work/bin/terraform" <<EOF
#!/bin/sh
exec "$PYH" "$W" terraform "\$@"
EOF
# The one addition to the docs' pseudoproxy commands: where Atlassian is (hidden flags).
cat >"$work/bin/pseudoproxy" <<EOF
#!/bin/sh
if [ "\$1" = auth ]; then
  shift
  exec "$BIN" auth --authorize-url "$ATL/authorize" --token-url "$ATL/oauth/token" --api-base "$ATL" "\$@"
fi
exec "$BIN" "\$@"
EOF
if aws --version 2>&1 | grep -q '^aws-cli/2'; then
  echo "aws: $(aws --version 2>&1)"
else
  echo "aws: the walkthrough's stand-in (no AWS CLI v2 installed: $(aws --version 2>&1 | head -1 || true))"
  printf '#!/bin/sh\nexec "%s" "%s" aws "$@"\n' "$PYM" "$W" >"$work/bin/aws"
fi
if ! command -v jq >/dev/null; then
  echo "jq: the walkthrough's stand-in"
  printf '#!/bin/sh\nexec "%s" "%s" jq "$@"\n' "$PYM" "$W" >"$work/bin/jq"
fi
chmod +x "$work"/bin/*
export PATH=$work/bin:$PATH

# run NAME... -- CWD [STDIN]: the blocks NAME... as one script (one shell, as pasted one
# after the other), placeholders filled; output shown and kept in $work/out/NAME.txt.
run() {
  local names=() name
  while [[ $1 != -- ]]; do names+=("$1"); shift; done
  shift
  local cwd=$1 stdin=${2:-} script=$work/run/${names[0]}.sh
  for name in "${names[@]}"; do cat "$work/blocks/$name.sh"; done |
    sed -e "s/<cloudId>/$CLOUD_ID/g" >"$script"
  if sed -E 's/(^|[[:space:]])#.*//' "$script" | grep -nE '<[A-Za-z][A-Za-z0-9_-]*>'; then
    die "block ${names[*]} has a placeholder the walkthrough cannot fill"
  fi
  echo "\$ (cd ${cwd#"$root"/} && <block ${names[*]}>)"
  "$PYM" "$W" run-block "$script" "$cwd" "$work/out/${names[0]}.txt" "$stdin"
}
out() { echo "$work/out/$1.txt"; }
snapshot() { "$PYM" "$W" ssm-snapshot "$work/$1.json"; }
raw_spaces() { # the stand-in's own answer (no proxy): what the proxy must pseudonymize
  curl -sf -H "Authorization: Bearer $READER" \
    "http://127.0.0.1:$standin_port/ex/confluence/$CLOUD_ID/wiki/api/v2/spaces?limit=5" >"$work/raw-spaces.json"
}
apply() { # ROOT [VAR=HCL]...: the walkthrough's `terraform apply`
  local root_dir=$1
  shift
  "$PYH" "$W" apply "$root_dir" "$@" >"$work/plan.json" || die "terraform apply (evaluated) failed"
  "$PYM" "$W" deploy "$work/plan.json" "$LAMBDA_API" "$ATL" "$lambda_kind" || die "deploy failed"
}
recycle() { aws lambda update-function-configuration --function-name "$1" --description "walkthrough $(date +%s)" >/dev/null; }

APP_ID=walkthrough-app
OLD_SECRET=walkthrough-secret-1-$RANDOM$RANDOM
NEW_SECRET=walkthrough-secret-2-$RANDOM$RANDOM
atlassian "{\"upstream\": \"http://127.0.0.1:$standin_port\", \"upstream_client\": [\"standin-engine\", \"standin-engine-secret\"],
  \"client_id\": \"$APP_ID\", \"secrets\": [\"$OLD_SECRET\"], \"family_token\": \"rt-family-0\", \"log\": []}"

# ------------------------------------------------------------------------------------
step "deploy: terraform apply in infra/examples/confluence with terraform.tfvars.example"
apply "$A"
FN=$(cd "$A" && terraform output -raw function_name)
PREFIX=$(cd "$A" && terraform output -raw instance_parameter_prefix)
echo "function $FN, instance prefix $PREFIX"

step "the operator checks the deployment before consent (Check it works): 412"
run health-check -- "$A"
expect "health check before consent answers 412" "$PYM" "$W" check-health "$(out health-check)" 412

step "consent (Consent bootstrap): the browser flow, then --no-browser, into SSM under the module's prefix"
snapshot ssm-before-consent
"$PYM" "$W" drive-consent "$work/blocks/consent.sh" "$A" "$(out consent)" "$APP_ID" "$OLD_SECRET" ||
  die "the consent block failed"
family=$(curl -sf "$ATL/_walkthrough/family-token")
expect "consent stored the family under the prefix" \
  "$PYM" "$W" check-consent "$work/ssm-before-consent.json" "$PREFIX" "$APP_ID" "$OLD_SECRET" "$family" "$(out consent)"
printed_cloud_id=$(sed -n 's/^cloudId: //p' "$(out consent)" | tail -1)
[[ "$printed_cloud_id" == "$CLOUD_ID" ]] || die "consent printed cloudId '$printed_cloud_id', expected $CLOUD_ID"

step "without a redeploy, the instance that answered before consent serves (test_command without the cloud id)"
if ! run test-call -- "$A" || ! "$PYM" "$W" check-calls "$(out test-call)" 2; then
  failures+=("a running instance notices consent without a redeploy (issue 18: changes take effect without a redeploy)")
  echo "  ^ FAILED: the instance started before consent did not pick it up; the next apply starts a fresh one"
fi

step "deploy step 6: confluence_cloud_id from the consent output, apply again (a fresh instance)"
apply "$A" confluence_cloud_id="\"$printed_cloud_id\""
grep -q "wiki/api/v2/spaces" <<<"$(cd "$A" && terraform output -raw test_command)" ||
  die "test_command does not fetch spaces once confluence_cloud_id is set"
SALT=$(aws ssm get-parameter --name PSOXY_SALT --with-decryption --query Parameter.Value --output text)

step "check it works: deep health check with the operator's own credentials"
run health-check -- "$A"
expect "deep health check answers 200 (operator's credentials)" "$PYM" "$W" check-health "$(out health-check)" 200 "$SALT"

step "check it works: test_command and the deep check through the front door, as the caller role"
raw_spaces
run test-call -- "$A" || true
expect "test_command and the front-door deep check answer 200" "$PYM" "$W" check-calls "$(out test-call)" 2
expect "test_command's spaces carry the deployment's pseudonyms" \
  "$PYM" "$W" check-pseudonyms "$(out test-call)" "$work/raw-spaces.json" "$SALT"

step "deploy step 8: the three values for the platform's connection form"
run platform-values -- "$A"
mapfile -t values <"$(out platform-values)"
expect "base_url, caller_role_arn and region, one per line" test "${#values[@]}" -eq 3
expect "base_url is the function URL, ending in '/'" test "${values[0]:-}" == "$FUNCTION_URL"
expect "caller_role_arn is the caller role" test "${values[1]:-}" == "arn:aws:iam::123456789012:role/$FN-caller"
expect "region" test "${values[2]:-}" == us-east-1

step "call it: pseudoproxy call (short and long form), then curl --aws-sigv4"
curl_version=$(curl --version | head -1 | cut -d' ' -f2)
if python3 -c 'import sys; v=tuple(map(int,sys.argv[1].split(".")[:2])); sys.exit(v < (7,75))' "$curl_version"; then
  run call call-curl -- "$A" || true
  expect "curl --aws-sigv4 as the caller role gets the sanitized spaces" \
    "$PYM" "$W" check-pseudonyms "$(out call)" "$work/raw-spaces.json" "$SALT" --last
else
  echo "curl $curl_version has no --aws-sigv4 (7.75+): the curl block is not run"
  run call -- "$A" || true
fi
expect "both pseudoproxy calls answer 200" "$PYM" "$W" check-calls "$(out call)" 2
expect "the calls carry the deployment's pseudonyms and no raw id" \
  "$PYM" "$W" check-pseudonyms "$(out call)" "$work/raw-spaces.json" "$SALT"

step "rotate the client secret (Rotate the client secret)"
echo "console: a new secret is generated and, for this proof, the old one revoked at once"
atlassian "{\"secrets\": [\"$NEW_SECRET\"]}"
ROLE=$(cd "$A" && terraform output -raw caller_role_arn)
deep_check() { pseudoproxy call --health-check deep --role "$ROLE" --region us-east-1 "$FUNCTION_URL" >"$work/out/$1.txt" 2>&1 || true; }
echo "before the docs' steps, a refresh is forced and must fail with the old secret:"
mark=$(atl_log_length)
# The shared access token set to the value the function treats as absent (the docs'
# step 3 deletes it; it must still exist for that).
aws ssm put-parameter --overwrite --type SecureString --name "${PREFIX}ACCESS_TOKEN" --value 'fill me' >/dev/null
recycle "$FN"
deep_check deep-old-secret
expect "with the old secret the refresh is refused and the deep check fails" \
  "$PYM" "$W" check-secret-refused "$ATL" "$mark" "$OLD_SECRET" "$(out deep-old-secret)"
mark=$(atl_log_length)
run rotate-client-secret -- "$A" "$NEW_SECRET"$'\n' || die "the rotate-client-secret block failed"
stored=$(aws ssm get-parameter --name "${PREFIX}CLIENT_SECRET" --with-decryption --query Parameter.Value --output text)
expect "CLIENT_SECRET now holds the new secret" test "$stored" == "$NEW_SECRET"
not_in() { ! grep -qF -- "$1" "$2"; }
expect "the secret was not echoed" not_in "$NEW_SECRET" "$(out rotate-client-secret)"
run rotate-refresh-now -- "$A" || die "the rotate-refresh-now block failed"
run health-check -- "$A"
expect "deep health check after the rotation answers 200" "$PYM" "$W" check-health "$(out health-check)" 200 "$SALT"
deep_check deep-new-secret
expect "the front-door deep check after the rotation answers 200" grep -q '^status: 200' "$(out deep-new-secret)"
expect "the refresh after the docs' steps sent the NEW secret, and only it" \
  "$PYM" "$W" check-secret-used "$ATL" "$mark" "$NEW_SECRET" "$OLD_SECRET"

step "no secret or token in any log"
snapshot ssm-new-deployment
expect "logs are free of secrets (new deployment)" \
  "$PYM" "$W" check-logs "$work/ssm-new-deployment.json" "$work"/function-*.log "$work/serve.log"

# ------------------------------------------------------------------------------------
step "migration: a namespace laid out like a Psoxy deployment's (environment psoxy, connector confluence-cloud)"
curl -sf -X POST "$MOTO/moto-api/reset" >/dev/null
curl -sf -X POST "$LAMBDA_API/_walkthrough/reset" >/dev/null
mv "$work/tfstate.json" "$work/tfstate-new-deployment.json"
for f in "$work"/function-*.log; do mv "$f" "${f%.log}.new-deployment.log"; done
start_standin rt-psoxy-family-7
atlassian "{\"upstream\": \"http://127.0.0.1:$standin_port\", \"client_id\": \"psoxy-app\",
  \"secrets\": [\"psoxy-app-secret\"], \"family_token\": \"rt-psoxy-family-7\", \"log\": []}"
"$PYM" "$W" psoxy-layout "$work/psoxy-layout.json" psoxy-app psoxy-app-secret rt-psoxy-family-7
curl -sf -X POST "$LAMBDA_API/_walkthrough/function" -H 'content-type: application/json' \
  -d '{"name": "psoxy-confluence-cloud", "kind": "dummy"}' >/dev/null
PSOXY_SALT=$(aws ssm get-parameter --name PSOXY_SALT --with-decryption --query Parameter.Value --output text)
snapshot ssm-psoxy

step "migration step 1: read Psoxy's names off the store"
run psoxy-names -- "$M" || die "the psoxy-names block failed"
expect "the block lists Psoxy's Confluence names, salt and key" \
  "$PYM" "$W" check-psoxy-names "$(out psoxy-names)" "$work/psoxy-layout.json"

step "migration steps 2-3: apply the migration root (terraform.tfvars.example); it creates no parameter"
apply "$M"
expect "the migration root creates no SSM parameter" \
  python3 -c 'import json,sys; sys.exit(bool(json.load(open(sys.argv[1]))["ssm_parameters"]))' "$work/plan.json"
(cd "$M" && terraform output -json parameter_names) >"$work/parameter-names.json"
expect "parameter_names are Psoxy's names" \
  "$PYM" "$W" check-parameter-names "$work/parameter-names.json" "$(out psoxy-names)"
MFN=$(cd "$M" && terraform output -raw function_name)

step "migration step 4: stop Psoxy"
run stop-psoxy -- "$M" || die "the stop-psoxy block failed"
expect "Psoxy's function is throttled" "$PYM" "$W" check-concurrency "$LAMBDA_API" psoxy-confluence-cloud=0

step "migration step 5: health check, test call, and a known space's pseudonyms"
raw_spaces
run verify-migration -- "$M" || true
expect "migrated: deep health check answers 200 with Psoxy's salt" \
  "$PYM" "$W" check-health "$(out verify-migration)" 200 "$PSOXY_SALT"
expect "migrated: test_command answers 200 without a consent" "$PYM" "$W" check-calls "$(out verify-migration)" 1
MROLE=$(cd "$M" && terraform output -raw caller_role_arn)
MURL=$(cd "$M" && terraform output -raw base_url)
pseudoproxy call --role "$MROLE" --region us-east-1 "${MURL}ex/confluence/$CLOUD_ID/wiki/api/v2/spaces?limit=5" \
  >"$work/out/migrated-spaces.txt" 2>&1 || true
expect "migrated: the space listing answers 200" grep -q '^status: 200' "$work/out/migrated-spaces.txt"
expect "migrated: pseudonyms are Psoxy's (same salt)" \
  "$PYM" "$W" check-pseudonyms "$work/out/migrated-spaces.txt" "$work/raw-spaces.json" "$PSOXY_SALT"
expect "migrated: Psoxy's token family carried over, rotated in place, Psoxy's format" \
  "$PYM" "$W" check-migrated "$work/ssm-psoxy.json" "$work/psoxy-layout.json" "$ATL"

step "migration: roll back to Psoxy"
run rollback -- "$M" || die "the rollback block failed"
expect "pseudoproxy stopped, Psoxy started" \
  "$PYM" "$W" check-concurrency "$LAMBDA_API" "$MFN=0" psoxy-confluence-cloud=none

step "no secret or token in any log (migration)"
snapshot ssm-migrated
expect "logs are free of secrets (migration)" \
  "$PYM" "$W" check-logs "$work/ssm-migrated.json" "$work"/function-*.log "$work/serve.log"

# ------------------------------------------------------------------------------------
if ((${#failures[@]})); then
  step "FAILED: ${#failures[@]} check(s)"
  printf '  - %s\n' "${failures[@]}"
  show_logs
  exit 1
fi
step "operator walkthrough passed (function under $lambda_kind)"
