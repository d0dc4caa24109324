#!/usr/bin/env bash
# Startup time: from process start until the sanitizer is ready (rules compiled, secrets
# read), measured as the wall time of whole short-lived processes whose work after "ready"
# is negligible (docs/performance.md). Target: <= 20 ms.
#
#   scripts/bench-startup.sh [RUNS]      # default 50 runs per measurement
#
# Uses hyperfine when installed (`apt-get install hyperfine`), else a loop of `date +%s%N`
# (which adds about a millisecond of fork/exec overhead to every run).
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-50}"
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked --quiet --features bench-hooks
bin="$target_dir/release/pseudoproxy"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# measure LABEL COMMAND...: runs COMMAND (stdout discarded) RUNS times after 3 warm-ups and
# prints the median and the fastest wall time in milliseconds.
measure() {
    local label="$1"
    shift
    local median min
    if command -v hyperfine >/dev/null; then
        hyperfine --style none --shell none --warmup 3 --runs "$runs" \
            --export-json "$work/hyperfine.json" --output null -- "$(printf '%q ' "$@")" \
            >/dev/null 2>"$work/hyperfine.err" || { cat "$work/hyperfine.err" >&2; return 1; }
        read -r median min < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.2f %.2f" % (r["median"] * 1e3, r["min"] * 1e3))' "$work/hyperfine.json")
    else
        local i start end
        for i in 1 2 3; do "$@" >/dev/null; done
        : >"$work/times"
        for ((i = 0; i < runs; i++)); do
            start=$(date +%s%N)
            "$@" >/dev/null
            end=$(date +%s%N)
            echo $(((end - start) / 1000)) >>"$work/times"
        done
        read -r median min < <(sort -n "$work/times" | awk '
            { t[NR] = $1 }
            END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2;
                  printf "%.2f %.2f\n", m / 1000, t[1] / 1000 }')
    fi
    printf '%-52s median %7s ms   fastest %7s ms\n' "$label" "$median" "$min"
}

# ---------------------------------------------------------------------------------------
# 1. CLI: `pseudoproxy sanitize` of a tiny body with the shipped rules and both secrets.
#    Process start -> rules read and compiled (YAML, regexes, JSONPaths) -> secrets read
#    (salt and encryption key; the PBKDF2 key derivation is lazy and these rules never
#    need it) -> a 2-result body gated, sanitized and printed -> exit.
# ---------------------------------------------------------------------------------------
printf '{"results":[],"start":0,"limit":25,"size":0,"_links":{}}' >"$work/tiny.json"
url='/ex/confluence/acme-cloud-id/wiki/rest/api/content/search?cql=type%3Dpage&limit=25'
echo "CLI ($runs runs each; $(command -v hyperfine >/dev/null && echo hyperfine || echo 'date loop'))"
measure "process start/exit only (pseudoproxy --version)" "$bin" --version
measure "rules compiled (pseudoproxy rules check)" "$bin" rules check rules/confluence.yaml
measure "ready + tiny sanitize (pseudoproxy sanitize)" \
    "$bin" sanitize --rules rules/confluence.yaml --url "$url" \
    --salt bench-salt --encryption-key bench-key "$work/tiny.json"

# ---------------------------------------------------------------------------------------
# 2. Lambda path: process start -> ready (settings and secrets read through
#    `proxy::bootstrap::lambda_state`, rules compiled), with the parameters in a local
#    SSM-compatible server (moto on 127.0.0.1, via scripts/with-moto.sh) and, for
#    comparison, in a local secrets file (no store round trips at all). The binary runs in
#    Lambda mode with PSEUDOPROXY_EXIT_WHEN_READY=1, so it prints
#    `ready_us=… ssm_round_trips=… ssm_us=…` (time since main, SSM operations, the time
#    spent waiting for them) and exits before contacting the Lambda runtime API.
#    Run the whole script under moto: `scripts/with-moto.sh scripts/bench-startup.sh`;
#    without AWS_ENDPOINT_URL this section is skipped.
# ---------------------------------------------------------------------------------------
echo
if [[ -z "${AWS_ENDPOINT_URL:-}" ]]; then
    echo "Lambda path: skipped (run as: scripts/with-moto.sh scripts/bench-startup.sh)"
    exit 0
fi
python=".venv/bin/python"
[[ -x "$python" ]] || python=python3
# A deployment as Psoxy's Terraform lays it out: shared secrets under bare names, the
# instance's settings under PSOXY_CONFLUENCE_CLOUD_; everything else absent.
"$python" - <<'PY'
import boto3, os
# boto3 reads AWS_DEFAULT_REGION, not the AWS_REGION that with-moto.sh (like Lambda) sets.
ssm = boto3.client("ssm", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                   region_name=os.environ.get("AWS_REGION", "us-east-1"))
for name, value in {
    "PSOXY_SALT": "bench-salt",
    "PSOXY_ENCRYPTION_KEY": "bench-key",
    "PSOXY_CONFLUENCE_CLOUD_CONFLUENCE_CLOUD_ID": "acme-cloud-id",
    "PSOXY_CONFLUENCE_CLOUD_CLIENT_ID": "bench-client",
    "PSOXY_CONFLUENCE_CLOUD_CLIENT_SECRET": "bench-client-secret",
    "PSOXY_CONFLUENCE_CLOUD_ACCESS_TOKEN": "bench-access-token",
}.items():
    ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
PY
printf '{"PSOXY_SALT":"bench-salt","PSOXY_ENCRYPTION_KEY":"bench-key","PSOXY_CONFLUENCE_CLOUD_CONFLUENCE_CLOUD_ID":"acme-cloud-id"}' \
    >"$work/secrets.json"

# lambda_ready LABEL [VAR=VALUE...]: RUNS cold starts in Lambda mode; prints the medians of
# the wall time (fork/exec to exit), of ready (main -> ready), of the SSM wait, of ready
# minus the SSM wait (our own startup time without network round trips), and of the CPU
# time of the whole process, exec to exit (all threads, user + system, from getrusage of
# the child: the shipped rules compile beside the SSM wait, so CPU can exceed "ready
# without round trips"). SSL_CERT_FILE/SSL_CERT_DIR are unset, as
# on Lambda: when set they make the proxy parse that bundle (docs/configuration.md).
lambda_ready() {
    local label="$1"
    shift
    python3 - "$runs" "$label" env -u SSL_CERT_FILE -u SSL_CERT_DIR AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 \
        AWS_LAMBDA_FUNCTION_NAME=psoxy-confluence-cloud PSEUDOPROXY_EXIT_WHEN_READY=1 \
        RUST_LOG=warn "$@" "$bin" <<'PY'
import re, resource, statistics, subprocess, sys, time
runs, label, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
rows = []
for i in range(runs + 3):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = (time.perf_counter() - start) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    m = re.search(r"ready_us=(\d+) ssm_round_trips=(\d+) ssm_us=(\d+)", done.stderr)
    if done.returncode != 0 or not m:
        sys.exit(f"{label}: no ready line (exit {done.returncode}):\n{done.stderr}")
    if i >= 3:  # the first three are warm-ups
        rows.append((wall, int(m[1]) / 1e3, int(m[2]), int(m[3]) / 1e3, cpu * 1e3))
med = lambda k: statistics.median(r[k] for r in rows)
own = statistics.median(r[1] - r[3] for r in rows)
print(f"{label:<38} wall {med(0):6.2f} ms  ready {med(1):6.2f} ms  "
      f"SSM {med(2):.0f} ops {med(3):6.2f} ms  ready without them {own:6.2f} ms  "
      f"CPU {med(4):6.2f} ms")
PY
}
echo "Lambda path ($runs cold starts each; medians)"
lambda_ready "secrets file (no store round trips)" PSEUDOPROXY_SECRETS_FILE="$work/secrets.json"
lambda_ready "SSM on loopback (moto), batched reads"
