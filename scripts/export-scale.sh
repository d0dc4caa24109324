#!/usr/bin/env bash
# Export at tenant scale (docs/performance.md, "Export at tenant scale"; issue 17):
# `pseudoproxy export --all` through `pseudoproxy serve` against the Confluence stand-in's
# generated tenant (default 100,000 content items, 5,000 users in 500 groups, 2,000
# spaces, 20,000 tasks) behind a rate limit that answers 429 with Retry-After and the
# Beta-RateLimit headers.
#
#   1. A full run: items/s, requests per endpoint family against the fewest the page
#      sizes need (each endpoint's largest `limit`), 429 answers, the rate limit's
#      theoretical minimum time and the ratio to it, the export's memory over time
#      (start/middle/end/peak), bytes it wrote against the NDJSON it produced, and every
#      listing checked exactly once (no duplicate, no gap) against the stand-in's manifest.
#   2. Kill and resume: a fresh export killed at random points (SIGKILL, the crash path,
#      then SIGTERM and SIGINT, its clean stop, in turn), resumed each time, then run to
#      the end; checked exactly once again.
#
#   scripts/export-scale.sh                          # 100k items at 100 requests/s
#   scripts/export-scale.sh --items 3000 --rate 300 --skip-full   # CI: kill and resume only
#   options: --rate R  --burst B  --kills K  --seed S  --profile release|debug
#            --search-links cursor|start  --export-arg ARG (repeatable, passed to export)
#            --keep (leave the output directories)
#
# Exit status 1 when an export fails or an output is not exactly once. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

items=100000
rate=100
burst=""
kills=5
seed="$RANDOM"
profile=release
skip_full=0
keep=0
search_links=cursor
export_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --items) items="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --burst) burst="$2"; shift 2 ;;
    --kills) kills="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --profile) profile="$2"; shift 2 ;;
    --skip-full) skip_full=1; shift ;;
    --keep) keep=1; shift ;;
    --search-links) search_links="$2"; shift 2 ;;
    --export-arg) export_args+=("$2"); shift 2 ;;
    -h | --help) print_help "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
burst="${burst:-$rate}"
users=$((items / 20 > 50 ? items / 20 : 50))
groups=$((items / 200 > 5 ? items / 200 : 5))
spaces=$((items / 50 > 20 ? items / 50 : 20))
tasks=$((items / 5))

make_work_dir "$keep"

log "building ($profile): pseudoproxy, confluence_standin"
bin_dir=$(build_targets "$profile" --bin pseudoproxy --example confluence_standin)

serve_pid=""
standin_port=$(free_port)
serve_port=$(free_port)
log "starting the stand-in: $items items, $users users, $groups groups, $spaces spaces, $tasks tasks; $rate requests/s (burst $burst)"
spawn standin_pid "$work/standin.log" "$bin_dir/examples/confluence_standin" \
  --listen "127.0.0.1:$standin_port" --items "$items" --users "$users" --groups "$groups" \
  --spaces "$spaces" --tasks "$tasks" --rate "$rate" --burst "$burst" \
  --client-id export-client --client-secret export-client-secret --refresh-token rt-export-0 \
  --search-links "$search_links" --bench-pages ""
wait_http "http://127.0.0.1:$standin_port/_standin/health" 120
curl -sf "http://127.0.0.1:$standin_port/_standin/manifest" >"$work/manifest.json"

salt="export-salt-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
write_secrets "$work/secrets.json" "PSOXY_SALT=$salt" "PSOXY_ENCRYPTION_KEY=export-key-$salt" \
  CLIENT_ID=export-client CLIENT_SECRET=export-client-secret REFRESH_TOKEN=rt-export-0
log "starting pseudoproxy serve on 127.0.0.1:$serve_port"
spawn serve_pid "$work/serve.log" env -u PSEUDOPROXY_AUTH_TOKEN -u PATH_TO_INSTANCE_CONFIG \
  -u PATH_TO_SHARED_CONFIG -u RULES -u AWS_LAMBDA_FUNCTION_NAME -u AWS_LAMBDA_RUNTIME_API \
  "REFRESH_ENDPOINT=http://127.0.0.1:$standin_port/oauth/token" \
  "$bin_dir/pseudoproxy" serve --listen "127.0.0.1:$serve_port" \
  --upstream "http://127.0.0.1:$standin_port" --cloud-id acme-cloud-id --secrets "$work/secrets.json"
wait_http "http://127.0.0.1:$serve_port/" 60 "X-Psoxy-Health-Check: true"

# The exactly-once check: every listing of the manifest has its NDJSON file with exactly
# the expected number of items, each identity (id; accountId for group members; entity
# id and version number for versions) once; no file the manifest does not list.
cat >"$work/check.py" <<'PY'
import json, os, sys
manifest = json.load(open(sys.argv[1]))["listings"]
out = sys.argv[2]
found = {}
for dirpath, _, files in os.walk(out):
    for name in files:
        if name.endswith(".ndjson"):
            found[name[: -len(".ndjson")]] = os.path.join(dirpath, name)


def identity(key, item):
    if key.endswith("-versions"):
        for kind in ("page", "blogpost"):
            entity = item.get(kind)
            if isinstance(entity, dict):
                return f"{entity.get('id')}#{item.get('number')}"
        return f"#{item.get('number')}"
    if key.endswith("-membersByGroupId"):
        return item.get("accountId")
    return item.get("id")


total = bytes_total = 0
missing, wrong, duplicated, unreadable, no_identity = [], [], [], [], []
for key, (expected, _) in manifest.items():
    path = found.get(key)
    if path is None:
        missing.append(key)
        continue
    seen, count = set(), 0
    with open(path, "rb") as handle:
        for raw in handle:
            bytes_total += len(raw)
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except ValueError:
                unreadable.append(key)
                continue
            count += 1
            ident = identity(key, item) if isinstance(item, dict) else None
            if ident is None:
                no_identity.append(key)
            elif ident in seen:
                duplicated.append(key)
            else:
                seen.add(ident)
    total += count
    if count != expected or len(seen) != expected:
        wrong.append(f"{key}: {count} items, {len(seen)} distinct, expected {expected}")
extra = sorted(set(found) - set(manifest))
ok = not (missing or wrong or duplicated or unreadable or no_identity or extra)
summary = {"ok": ok, "listings": len(manifest), "items": total, "ndjson_bytes": bytes_total,
           "missing": len(missing), "wrong_counts": len(wrong), "duplicates": len(duplicated),
           "unreadable": len(unreadable), "without_identity": len(no_identity),
           "extra_files": len(extra),
           "examples": (missing[:3] + wrong[:3] + sorted(set(duplicated))[:3] + extra[:3])}
print(json.dumps(summary))
sys.exit(0 if ok else 1)
PY

# sample PID START: one line "seconds rss_export_kb rss_serve_kb wchar".
sample() {
  local pid="$1" start="$2" now rss serve wchar
  now=$(date +%s.%N)
  rss=$(rss_kb "$pid" 2>/dev/null || echo 0)
  serve=$(rss_kb "$serve_pid" 2>/dev/null || echo 0)
  wchar=$(awk '/^wchar:/ { print $2 }' "/proc/$pid/io" 2>/dev/null || echo 0)
  awk -v n="$now" -v s="$start" -v r="${rss:-0}" -v v="${serve:-0}" -v w="${wchar:-0}" \
    'BEGIN { printf "%.2f %d %d %d\n", n - s, r, v, w }'
}

# run_export OUT LOG SAMPLES [KILL_AFTER_SECONDS SIGNAL]: one `export --all`; sets
# export_rc, export_wall and export_killed.
run_export() {
  local out="$1" logf="$2" samples="$3" kill_after="${4:-}" signal="${5:-}"
  local start pid rc=0 elapsed
  start=$(date +%s.%N)
  spawn pid "$logf" "$bin_dir/pseudoproxy" export --all --base "http://127.0.0.1:$serve_port" \
    --out "$out" "${export_args[@]}"
  export_killed=0
  while kill -0 "$pid" 2>/dev/null; do
    sample "$pid" "$start" >>"$samples" || true
    if [[ -n "$kill_after" ]]; then
      elapsed=$(awk -v n="$(date +%s.%N)" -v s="$start" 'BEGIN { printf "%.3f", n - s }')
      if awk -v e="$elapsed" -v k="$kill_after" 'BEGIN { exit !(e >= k) }'; then
        if is_our_child "$pid"; then
          kill "-$signal" "$pid" 2>/dev/null && export_killed=1
        fi
        break
      fi
    fi
    sleep 0.25
  done
  wait "$pid" 2>/dev/null || rc=$?
  forget_child "$pid"
  export_rc=$rc
  export_start=$start
  export_wall=$(awk -v n="$(date +%s.%N)" -v s="$start" 'BEGIN { printf "%.3f", n - s }')
}

stats() { curl -sf "http://127.0.0.1:$standin_port/_standin/stats"; }

report_args=()
status=0
if [[ "$skip_full" == 0 ]]; then
  log "full export (phase 1): this takes at least the rate limit's minimum time"
  stats >"$work/stats-before.json"
  run_export "$work/out-full" "$work/export-full.log" "$work/samples-full.txt"
  stats >"$work/stats-after.json"
  full_rc=$export_rc
  full_wall=$export_wall
  full_check=$(python3 "$work/check.py" "$work/manifest.json" "$work/out-full") || status=1
  [[ "$full_rc" == 0 ]] || status=1
  state_bytes=$(find "$work/out-full" -maxdepth 1 -name '*state*' -type f -printf '%s\n' 2>/dev/null |
    awk '{ s += $1 } END { print s + 0 }')
  # The first round (the listings without an id, which give the ids of the rest) ends
  # when the last of its files was last written.
  first_round=$(python3 - "$work/out-full" "$export_start" <<'PY'
import os, sys
out, start = sys.argv[1], float(sys.argv[2])
names = ["spaces", "tasks", "content-search", "group", "accessible-resources"]
times = [os.path.getmtime(os.path.join(out, n + ".ndjson")) for n in names
         if os.path.exists(os.path.join(out, n + ".ndjson"))]
print(f"{max(times) - start:.3f}" if times else "0")
PY
)
  report_args+=(--full "$full_rc" "$full_wall" "$full_check" "$work/samples-full.txt"
    "$work/stats-before.json" "$work/stats-after.json" "$state_bytes" "$first_round")
fi

log "kill and resume (phase 2): $kills kills, seed $seed"
read -r -a delays < <(python3 - "$work/manifest.json" "$rate" "$kills" "$seed" <<'PY'
import json, random, sys
manifest, rate, kills, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
requests = json.load(open(manifest))["totals"]["requests"]
estimate = requests / rate if rate > 0 else 10.0
rng = random.Random(seed)
ceiling = max(2.0, 2 * estimate / (kills + 1))
print(" ".join(f"{rng.uniform(0.5, ceiling):.2f}" for _ in range(kills)))
PY
)
signals=(KILL TERM INT)
kill_log=""
for ((k = 0; k < kills; k++)); do
  signal="${signals[$((k % 3))]}"
  run_export "$work/out-resume" "$work/export-resume-$k.log" "$work/samples-resume.txt" \
    "${delays[$k]}" "$signal"
  if [[ "$export_killed" == 1 ]]; then
    kill_log+="SIG$signal after ${delays[$k]} s (exit $export_rc); "
  else
    kill_log+="finished by itself before ${delays[$k]} s (exit $export_rc); "
    break
  fi
done
run_export "$work/out-resume" "$work/export-resume-final.log" "$work/samples-resume.txt"
resume_rc=$export_rc
resume_check=$(python3 "$work/check.py" "$work/manifest.json" "$work/out-resume") || status=1
[[ "$resume_rc" == 0 ]] || status=1
report_args+=(--resume "$resume_rc" "$export_wall" "$resume_check" "$kill_log")

python3 - "$work/manifest.json" "$rate" "$burst" "$items" "$users" "$groups" "$spaces" "$tasks" \
  "$profile" "$(machine_line)" "$search_links" "${report_args[@]}" <<'PY'
import json, statistics, sys, time

args = sys.argv[1:]
manifest = json.load(open(args[0]))
rate, burst = float(args[1]), float(args[2])
items, users, groups, spaces, tasks = args[3:8]
profile, machine, search_links = args[8], args[9], args[10]
rest = args[11:]
full = resume = None
while rest:
    if rest[0] == "--full":
        full, rest = rest[1:9], rest[9:]
    elif rest[0] == "--resume":
        resume, rest = rest[1:5], rest[5:]
    else:
        rest = rest[1:]

families = {"spaces": "spaces", "tasks": "tasks", "content-search": "content-search",
            "group": "group", "accessible-resources": "accessible-resources"}


def family(key):
    if key in families:
        return families[key]
    if key.endswith("-membersByGroupId"):
        return "members"
    if key.startswith("pages-"):
        return "page-versions"
    if key.startswith("blogposts-"):
        return "blogpost-versions"
    return "other"


minimum = {}
expected_items = 0
for key, (count, requests) in manifest["listings"].items():
    f = family(key)
    minimum[f] = minimum.get(f, 0) + requests
    expected_items += count
min_requests = manifest["totals"]["requests"]
min_time = max(0.0, (min_requests - burst) / rate) if rate > 0 else 0.0
out = [f"Export at tenant scale: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, "
       f"{profile} build, {machine}",
       f"tenant: {items} content items, {users} users in {groups} groups, {spaces} spaces, "
       f"{tasks} tasks; {len(manifest['listings'])} listings, {expected_items} items to export; "
       f"rate limit {rate:g} requests/s, burst {burst:g}; content search links: {search_links}; "
       f"largest limits {manifest['maxLimits']}", ""]
if full:
    rc, wall, check, samples_path, before_path, after_path, state_bytes, first_round = full
    first_round = float(first_round)
    wall = float(wall)
    check = json.loads(check)
    before, after = json.load(open(before_path)), json.load(open(after_path))
    ok_before, ok_after = before["api"]["okByFamily"], after["api"]["okByFamily"]
    made = {f: ok_after.get(f, 0) - ok_before.get(f, 0) for f in set(ok_after) | set(ok_before)}
    throttled = after["api"]["rateLimited"] - before["api"]["rateLimited"]
    made_total = sum(made.values())
    made_time = max(0.0, (made_total - burst) / rate) if rate > 0 else 0.0
    samples = [tuple(float(x) for x in line.split()) for line in open(samples_path) if line.strip()]
    rss = [s[1] / 1024 for s in samples]
    serve = [s[2] / 1024 for s in samples]
    # wchar only grows; the last sample can be of the exited process, which reads 0.
    wchar = max((s[3] for s in samples), default=0)

    def at(series, fraction):
        return series[min(len(series) - 1, int(len(series) * fraction))] if series else 0.0

    out.append("| figure | value |")
    out.append("|---|---|")
    out.append(f"| export exit status | {rc} |")
    out.append(f"| wall time | {wall:.1f} s |")
    out.append(f"| items exported | {check['items']} (expected {expected_items}) |")
    out.append(f"| items/s | {check['items'] / wall:.1f} |")
    out.append(f"| requests answered 200 | {made_total} (fewest at the largest limits: {min_requests}) |")
    out.append(f"| 429 answers | {throttled} |")
    out.append(f"| rate limit's minimum time for the fewest requests | {min_time:.1f} s |")
    if min_time:
        out.append(f"| wall time / that minimum | {wall / min_time:.2f} |")
    else:
        why = "no rate limit" if rate <= 0 else "fewer requests than the burst"
        out.append(f"| wall time / that minimum | — ({why}) |")
    out.append(f"| minimum time for the requests made / ratio | {made_time:.1f} s / "
               f"{(wall / made_time) if made_time else 0:.2f} |")
    first_families = ("spaces", "tasks", "content-search", "group", "accessible-resources")
    first_made = sum(made.get(f, 0) for f in first_families)
    second_made = made_total - first_made
    second_wall = max(0.001, wall - first_round)
    out.append(f"| first round (listings without an id): time / requests / requests/s | "
               f"{first_round:.1f} s / {first_made} / {first_made / max(0.001, first_round):.1f} |")
    out.append(f"| second round (versions, members): time / requests / requests/s | "
               f"{second_wall:.1f} s / {second_made} / {second_made / second_wall:.1f} |")
    out.append(f"| export RSS MB start / middle / end / peak | {at(rss, 0.02):.1f} / "
               f"{at(rss, 0.5):.1f} / {at(rss, 0.999):.1f} / {max(rss) if rss else 0:.1f} |")
    out.append(f"| serve RSS MB start / end | {at(serve, 0.02):.1f} / {at(serve, 0.999):.1f} |")
    out.append(f"| bytes the export wrote (wchar) / NDJSON bytes | {wchar:.0f} / "
               f"{check['ndjson_bytes']} ({(wchar / check['ndjson_bytes']) if check['ndjson_bytes'] else 0:.2f}×) |")
    out.append(f"| resume state file(s) at the end | {state_bytes} bytes |")
    out.append(f"| exactly once | {'yes' if check['ok'] else 'NO: ' + json.dumps(check)} |")
    out.append("")
    out.append("| endpoint family | requests answered 200 | fewest at the largest limit |")
    out.append("|---|---|---|")
    for f in sorted(set(minimum) | set(made)):
        if f in ("bench", "not-found", "bad-request"):
            continue
        out.append(f"| {f} | {made.get(f, 0)} | {minimum.get(f, 0)} |")
    out.append("")
if resume:
    rc, wall, check, kills = resume
    check = json.loads(check)
    out.append(f"Kill and resume: {kills.strip().rstrip(';') or 'no kill'}; final run exit {rc} after "
               f"{float(wall):.1f} s; {check['items']} items (expected {expected_items}); "
               f"exactly once: {'yes' if check['ok'] else 'NO: ' + json.dumps(check)}.")
print("\n".join(out))
PY
exit "$status"
