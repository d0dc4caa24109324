#!/usr/bin/env bash
# Soak (docs/performance.md, "Soak"; issue 17): three `pseudoproxy serve` instances sharing
# one SSM-compatible store (moto on loopback, via scripts/with-moto.sh), the OAuth token
# manager against the Confluence stand-in's token endpoint with access tokens that expire
# every few minutes, a steady mixed load over every endpoint for --minutes (default 20),
# with injected upstream faults. Reports resident memory, open file descriptors and
# threads of each instance at start, middle and end, p50/p99 per interval and instance,
# refreshes against token lifetimes, and every answer that was not a 200 or an injected
# fault. Stops by itself; traffic stays on 127.0.0.1.
#
#   scripts/soak.sh                          # 20 minutes, 60 s intervals
#   scripts/soak.sh --minutes 1              # CI: 1 minute, 15 s intervals
#   options: --interval S  --rate REQ_PER_S  --connections N  --token-ttl S  --fail-every N
#            --token-fail-every N  --items N  --warmup S  --profile release|debug
#
# Token lifetime: the proxy refreshes when less than a margin drawn from 1-10 minutes is
# left (src/auth/manager.rs), so a lifetime of at most 10 minutes would refresh on every
# request; the default, 660 s, makes a token last 1-10 minutes.
#
# Exit status 1 when an answer was neither 200 nor an injected fault, a request reached
# the stand-in with an expired or unknown token, the token family was revoked, a refresh
# was redundant (two within one lifetime), or a figure is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

original_args=("$@")
source scripts/bench-lib.sh

minutes=20
interval=60
rate=150
connections=2
token_ttl=660
fail_every=500
token_fail_every=0
items=5000
warmup=10
profile=release
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --token-ttl) token_ttl="$2"; shift 2 ;;
    --fail-every) fail_every="$2"; shift 2 ;;
    --token-fail-every) token_fail_every="$2"; shift 2 ;;
    --items) items="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --profile) profile="$2"; shift 2 ;;
    -h | --help) print_help "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -z "${AWS_ENDPOINT_URL:-}" ]]; then
  exec scripts/with-moto.sh "$root/scripts/soak.sh" ${original_args[@]+"${original_args[@]}"}
fi
case "$AWS_ENDPOINT_URL" in
  http://127.0.0.1:* | http://localhost:*) ;;
  *) echo "soak: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL is not a loopback moto; refusing" >&2; exit 2 ;;
esac

make_work_dir

ensure_wrk
log "building ($profile): pseudoproxy, confluence_standin"
bin_dir=$(build_targets "$profile" --bin pseudoproxy --example confluence_standin)

standin_port=$(free_port)
prefix="/pseudoproxy-soak-$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
log "starting the stand-in on 127.0.0.1:$standin_port (token ttl ${token_ttl}s, fault every $fail_every)"
spawn standin_pid "$work/standin.log" "$bin_dir/examples/confluence_standin" \
  --listen "127.0.0.1:$standin_port" --items "$items" --users 500 --groups 50 --spaces 100 \
  --client-id soak-client --client-secret soak-client-secret --refresh-token rt-soak-0 \
  --token-ttl "$token_ttl" --fail-every "$fail_every" --token-fail-every "$token_fail_every" \
  --bench-pages ""
wait_http "http://127.0.0.1:$standin_port/_standin/health" 60

log "seeding SSM (moto at $AWS_ENDPOINT_URL) under $prefix/"
"$root/.venv/bin/python" - "$prefix" <<'PY'
import boto3, os, secrets, sys
prefix = sys.argv[1]
ssm = boto3.client("ssm", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                   region_name=os.environ.get("AWS_REGION", "us-east-1"))
for name, value in {
    f"{prefix}/shared/PSOXY_SALT": "soak-salt-" + secrets.token_hex(8),
    f"{prefix}/shared/PSOXY_ENCRYPTION_KEY": "soak-key-" + secrets.token_hex(8),
    f"{prefix}/confluence/CLIENT_ID": "soak-client",
    f"{prefix}/confluence/CLIENT_SECRET": "soak-client-secret",
    f"{prefix}/confluence/REFRESH_TOKEN": "rt-soak-0",
}.items():
    ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
PY

instances=(a b c)
ports=()
pids=()
for name in "${instances[@]}"; do
  port=$(free_port)
  ports+=("$port")
  spawn pid "$work/serve-$name.log" env -u PSEUDOPROXY_AUTH_TOKEN -u RULES \
    -u AWS_LAMBDA_FUNCTION_NAME -u AWS_LAMBDA_RUNTIME_API \
    "PATH_TO_INSTANCE_CONFIG=$prefix/confluence/" "PATH_TO_SHARED_CONFIG=$prefix/shared/" \
    "REFRESH_ENDPOINT=http://127.0.0.1:$standin_port/oauth/token" \
    "$bin_dir/pseudoproxy" serve --listen "127.0.0.1:$port" --secrets ssm \
    --upstream "http://127.0.0.1:$standin_port" --cloud-id acme-cloud-id
  pids+=("$pid")
done
for port in "${ports[@]}"; do
  wait_http "http://127.0.0.1:$port/" 60 "X-Psoxy-Health-Check: true"
done

curl -sf "http://127.0.0.1:$standin_port/_standin/sample-paths" |
  python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)))' >"$work/paths.txt"
log "$(wc -l <"$work/paths.txt") request paths over every endpoint; first request through each instance"
for port in "${ports[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$port$(head -n 1 "$work/paths.txt")")
  [[ "$code" == 200 ]] || { echo "soak: first request through 127.0.0.1:$port answered $code" >&2; exit 1; }
done

cat >"$work/soak.lua" <<'LUA'
-- Cycles through the request paths of a file, waiting `pause` ms before each request of a
-- connection (a steady rate), counts answers by status and X-Psoxy-Error, and prints the
-- summary as one JSON line (latencies in microseconds). Args: PATHS_FILE PAUSE_MS OFFSET.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

paths = {}
counter = 0
pause = 0
counts = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  pause = tonumber(args[2]) or 0
  counter = tonumber(args[3]) or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function delay()
  return pause
end

function response(status, headers, body)
  local code = headers["x-psoxy-error"] or headers["X-Psoxy-Error"] or "-"
  local key = status .. " " .. code
  counts[key] = (counts[key] or 0) + 1
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts") or {}
    for key, n in pairs(c) do total[key] = (total[key] or 0) + n end
  end
  local parts = {}
  for key, n in pairs(total) do parts[#parts + 1] = string.format('"%s":%d', key, n) end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"answers":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, e.status, table.concat(parts, ",")))
end
LUA

log "soak: $minutes min, ${interval}s intervals, $rate req/s over 3 instances x $connections connections"
SOAK_MINUTES="$minutes" SOAK_INTERVAL="$interval" SOAK_RATE="$rate" SOAK_CONNECTIONS="$connections" \
  SOAK_WARMUP="$warmup" SOAK_TTL="$token_ttl" SOAK_FAIL_EVERY="$fail_every" \
  SOAK_TOKEN_FAIL_EVERY="$token_fail_every" SOAK_PROFILE="$profile" SOAK_LUA="$work/soak.lua" \
  SOAK_PATHS="$work/paths.txt" SOAK_LOGS="$work" STANDIN_URL="http://127.0.0.1:$standin_port" \
  SOAK_PORTS="${ports[*]}" SOAK_PIDS="${pids[*]}" MACHINE="$(machine_line)" \
  COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+dirty')" \
  python3 - <<'PY'
import json, math, os, re, statistics, subprocess, sys, time, urllib.request

env = os.environ
minutes, interval = float(env["SOAK_MINUTES"]), float(env["SOAK_INTERVAL"])
total_s = minutes * 60
count = max(1, round(total_s / interval))
if count < 4:  # a short run still gets a start, a middle and an end
    interval = max(5.0, total_s / 4)
    count = max(1, round(total_s / interval))
interval_s = max(1, int(round(interval)))
rate, connections = float(env["SOAK_RATE"]), int(env["SOAK_CONNECTIONS"])
ttl = int(env["SOAK_TTL"])
names = ["a", "b", "c"]
ports = env["SOAK_PORTS"].split()
pids = [int(p) for p in env["SOAK_PIDS"].split()]
per_connection_rate = rate / (len(names) * connections)
pause_ms = max(0, int(1000 / per_connection_rate)) if per_connection_rate > 0 else 0


def stats():
    with urllib.request.urlopen(env["STANDIN_URL"] + "/_standin/stats", timeout=10) as r:
        return json.load(r)


def proc(pid):
    status = open(f"/proc/{pid}/status").read()
    rss = int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))
    threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss_mb": rss / 1024, "fds": fds, "threads": threads}


def load(seconds, offset):
    procs = []
    for i, port in enumerate(ports):
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
               "-H", "Accept-Encoding: gzip", "-s", env["SOAK_LUA"], f"http://127.0.0.1:{port}",
               "--", env["SOAK_PATHS"], str(pause_ms), str(offset + 7 * i)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    results = []
    for p in procs:
        out, err = p.communicate(timeout=seconds + 120)
        lines = [l for l in out.splitlines() if l.startswith("{")]
        if p.returncode != 0 or not lines:
            sys.exit(f"soak: wrk failed ({p.returncode}): {err.strip()[:300]}")
        results.append(json.loads(lines[-1]))
    return results


started_wall = time.time()
started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
load_before = open("/proc/loadavg").read().split()[:3]
print(f"warm-up {env['SOAK_WARMUP']} s", file=sys.stderr)
load(max(1, int(env["SOAK_WARMUP"])), 0)
samples = {"start": [proc(p) for p in pids]}
first = stats()
rows, previous = [], first
middle_after = math.ceil(count / 2)
for i in range(count):
    results = load(interval_s, 1000 * (i + 1))
    now = stats()
    injected = now["api"]["injectedFaults"] - previous["api"]["injectedFaults"]
    previous = now
    answers = {}
    for r in results:
        for key, n in r["answers"].items():
            answers[key] = answers.get(key, 0) + n
    faults_seen = answers.get("500 API_ERROR", 0)
    unexpected = {k: n for k, n in answers.items() if k not in ("200 -", "500 API_ERROR")}
    socket = sum(r["connect"] + r["read"] + r["write"] + r["timeout"] for r in results)
    requests = sum(r["requests"] for r in results)
    seconds = max(r["duration_us"] for r in results) / 1e6
    row = {"interval": i + 1, "requests": requests, "rps": requests / seconds if seconds else 0,
           "p50_ms": [r["p50_us"] / 1e3 for r in results],
           "p99_ms": [r["p99_us"] / 1e3 for r in results],
           "max_ms": max(r["max_us"] for r in results) / 1e3,
           "faults_seen": faults_seen, "faults_injected": injected,
           "unexpected": unexpected, "socket_errors": socket,
           "rss_mb": [proc(p)["rss_mb"] for p in pids]}
    rows.append(row)
    print(f"interval {i + 1}/{count}: {row['rps']:.1f} req/s, p99 "
          f"{'/'.join(f'{v:.1f}' for v in row['p99_ms'])} ms, faults {faults_seen}/{injected}, "
          f"unexpected {sum(unexpected.values())}", file=sys.stderr)
    if i + 1 == middle_after:
        samples["middle"] = [proc(p) for p in pids]
samples["end"] = [proc(p) for p in pids]
final = stats()
ended_wall = time.time()
load_after = open("/proc/loadavg").read().split()[:3]

oauth, api = final["oauth"], final["api"]
grants = [t / 1000 for t in oauth["grantTimesMs"]]
gaps = [b - a for a, b in zip(grants, grants[1:])]
redundant_below = ttl - 600  # the largest margin: no correct refresh comes sooner
redundant = [g for g in gaps if redundant_below > 0 and g < redundant_below]
expired_during = sum(1 for g in grants if g + ttl <= ended_wall)

out = [f"Soak: {started}, commit {env['COMMIT']}, {env['SOAK_PROFILE']} build, {env['MACHINE']}",
       f"load average before {' '.join(load_before)}, after {' '.join(load_after)}; "
       f"{count} intervals of {interval_s} s after a {env['SOAK_WARMUP']} s warm-up; 3 instances x "
       f"{connections} connections, about {rate:g} req/s in all (a {pause_ms} ms pause before each "
       f"request of a connection); access tokens live {ttl} s; an injected upstream 500 every "
       f"{env['SOAK_FAIL_EVERY']} requests; token endpoint fault every "
       f"{env['SOAK_TOKEN_FAIL_EVERY']} calls (0 = none).", ""]
out.append("| instance | RSS MB start | middle | end | open fds start | middle | end "
           "| threads start | end |")
out.append("|---|---|---|---|---|---|---|---|---|")
for j, name in enumerate(names):
    s, m, e = samples["start"][j], samples.get("middle", samples["end"])[j], samples["end"][j]
    out.append(f"| {name} | {s['rss_mb']:.1f} | {m['rss_mb']:.1f} | {e['rss_mb']:.1f} "
               f"| {s['fds']} | {m['fds']} | {e['fds']} | {s['threads']} | {e['threads']} |")
out.append("")
out.append("| interval | requests | req/s | p50 ms a/b/c | p99 ms a/b/c | max ms "
           "| injected 500s (seen/sent) | other non-200 | socket errors | RSS MB a/b/c |")
out.append("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    out.append(f"| {r['interval']} | {r['requests']} | {r['rps']:.1f} "
               f"| {' / '.join(f'{v:.1f}' for v in r['p50_ms'])} "
               f"| {' / '.join(f'{v:.1f}' for v in r['p99_ms'])} | {r['max_ms']:.0f} "
               f"| {r['faults_seen']} / {r['faults_injected']} "
               f"| {sum(r['unexpected'].values())} | {r['socket_errors']} "
               f"| {' / '.join(f'{v:.1f}' for v in r['rss_mb'])} |")
out.append("")
gap_text = (f"gaps between refreshes min {min(gaps):.0f} s, median {statistics.median(gaps):.0f} s, "
            f"max {max(gaps):.0f} s" if gaps else "no second refresh")
out.append(f"Token family: {oauth['grants']} grants (the first at start-up), {gap_text}; "
           f"{expired_during} access tokens reached their expiry during the run; requests refused "
           f"for an expired token: {api['expiredToken']}, for an unknown token: "
           f"{api['unknownToken']}, without a token: {api['missingToken']}; redundant refreshes "
           f"(less than {max(redundant_below, 0)} s after the previous one): {len(redundant)}; "
           f"refresh token reused within the leeway: {oauth['reuseInLeeway']}; revocations: "
           f"{oauth['revocations']}; token calls {oauth['tokenCalls']} (injected faults "
           f"{oauth['injectedFaults']}).")
log_lines = {}
for name in names:
    path = os.path.join(env["SOAK_LOGS"], f"serve-{name}.log")
    text = open(path, errors="replace").read() if os.path.exists(path) else ""
    log_lines[name] = (len(re.findall(r"\bWARN\b", text)), len(re.findall(r"\bERROR\b", text)))
out.append("Log lines WARN/ERROR: " + ", ".join(f"{n} {w}/{e}" for n, (w, e) in log_lines.items())
           + " (injected faults are logged as upstream errors).")
failures = []
unexpected_total = sum(sum(r["unexpected"].values()) for r in rows)
if unexpected_total:
    merged = {}
    for r in rows:
        for k, n in r["unexpected"].items():
            merged[k] = merged.get(k, 0) + n
    failures.append(f"{unexpected_total} answers neither 200 nor an injected fault: {merged}")
if sum(r["socket_errors"] for r in rows):
    failures.append("socket errors")
if sum(r["faults_seen"] for r in rows) > sum(r["faults_injected"] for r in rows):
    failures.append("more upstream 500s than the stand-in injected")
if api["expiredToken"] or api["unknownToken"] or api["missingToken"]:
    failures.append("requests reached the source without a valid token")
if oauth["revocations"] or oauth["revoked"]:
    failures.append("the token family was revoked")
if redundant:
    failures.append(f"{len(redundant)} redundant refreshes")
if any(r["requests"] == 0 for r in rows):
    failures.append("an interval completed no request")
out.append("")
out.append("Verdict: " + ("ok" if not failures else "FAILED: " + "; ".join(failures)))
print("\n".join(out))
sys.exit(1 if failures else 0)
PY
