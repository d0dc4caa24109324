#!/usr/bin/env bash
# Peak memory (maximum resident set size) of `pseudoproxy sanitize` on generated
# content-search responses, against the target of 4 x the response size + 20 MB
# (docs/performance.md). The bodies come from the benchmarks' generator
# (`cargo run --release --example gen_content_search -- RESULTS`).
#
#   scripts/bench-memory.sh [RESULTS...]    # default: 920 (about 6 MB) and 2500 (16 MB)
set -euo pipefail
cd "$(dirname "$0")/.."

counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(920 2500)
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked --quiet --bin pseudoproxy --example gen_content_search
bin="$target_dir/release/pseudoproxy"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
url='/ex/confluence/acme-cloud-id/wiki/rest/api/content/search?cql=type%3Dpage&limit=250'

# peak_kb COMMAND...: runs COMMAND (stdout discarded) and prints its peak RSS in KiB.
peak_kb() {
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null
        tail -n 1 "$work/rss"
    else
        python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
    fi
}

printf '%8s %12s %14s %14s %s\n' results "body bytes" "peak RSS MB" "target MB" verdict
for count in "${counts[@]}"; do
    "$target_dir/release/examples/gen_content_search" "$count" >"$work/body.json"
    bytes=$(wc -c <"$work/body.json")
    kb=$(peak_kb "$bin" sanitize --rules rules/confluence.yaml --url "$url" \
        --salt bench-salt --encryption-key bench-key "$work/body.json")
    python3 - "$count" "$bytes" "$kb" <<'PY'
import sys
count, size, kb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
peak, target = kb * 1024 / 1e6, (4 * size + 20e6) / 1e6
print(f"{count:8d} {size:12d} {peak:14.1f} {target:14.1f} {'ok' if peak <= target else 'MISSED'}")
PY
done
