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
cargo build --release --locked --quiet
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
# 2. Lambda path: process start -> ready, with the rules and secrets read from a local
#    SSM-compatible server on 127.0.0.1 (no network round trip beyond loopback).
#    TO BE FILLED when the Lambda runtime and the SSM secret source land: start the local
#    server (bounded lifetime, loopback only), seed the parameters the runtime reads,
#    then add a `measure "Lambda: ready (...)" <command that starts and exits when ready>`
#    line here, so both paths print side by side.
# ---------------------------------------------------------------------------------------
echo
echo "Lambda path: not measured yet (see section 2 of this script)"
