#!/usr/bin/env bash
# Request-path benchmark (docs/performance.md, "Request path against its floor"; issue 17):
# `pseudoproxy serve` (shipped rules, sanitizing on, OAuth token manager, audit line, gzip)
# and the floor proxy (examples/floor_proxy.rs: receive, call upstream, parse, serialize,
# answer) side by side, in one run, in front of the same local Confluence stand-in
# (examples/confluence_standin), driven by wrk with fixed 2 KB, 60 KB and 6 MB
# content-search pages at concurrency 1, 16 and 64. Prints a Markdown table of
# throughput, p50 and p99 latency and their ratios to the floor (target: <= 1.2x at p50
# and p99 for every size), plus the proxies' CPU time per request (from /proc, for
# scripts/cost-model.py), and writes the figures as JSON.
#
#   scripts/bench-proxy.sh                 # full run: 15 s per cell after a 3 s warm-up
#   scripts/bench-proxy.sh --quick         # CI: 3 s per cell, concurrency 1 and 4
#   scripts/bench-proxy.sh --sizes 2k --rounds 7 --duration 5   # paired rounds (noisy host)
#   options: --profile release|debug  --duration S  --warmup S  --sizes 2k,60k,6m
#            --concurrency 1,16,64  --encoding gzip|identity  --no-pin  --json FILE
#            --rounds N
#
# --rounds N measures every cell once per round, N rounds one after the other, floor and
# serve back to back within a round (the order alternating), and reports per cell the
# median over the rounds of each proxy's figures and the median of the per-round ratios,
# with their range: on a shared host a neighbour's burst then lands in one round of a
# cell, not on one proxy's whole cell; a cell's rounds lie one pass over the grid apart
# (about 45 s for --sizes 2k with 5 s cells, 2 minutes for every size), so a burst
# shorter than a pass reaches at most two of them.
#
# Both proxies allocate with mimalloc (their #[global_allocator]). The --steady-malloc
# option of earlier runs (glibc's trim and mmap thresholds fixed by GLIBC_TUNABLES, against
# glibc's fault-and-trim cycle on the floor's ~300 KB gzip state) went with glibc's malloc:
# the variable does not reach mimalloc.
#
# With 2+ cores the proxy under test runs on CPU 0 and the stand-in and wrk on CPU 1
# (taskset), so the proxies get one core each — as a Lambda below 1769 MB gets at most
# one vCPU — and never compete with the load generator. Loopback only; every process
# started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

profile=release
duration=15
warmup=3
sizes=2k,60k,6m
concurrency=1,16,64
encoding=gzip
pin=1
quick=0
rounds=1
json_out="${CARGO_TARGET_DIR:-target}/bench-proxy/results.json"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; duration=3; warmup=1; concurrency=1,4; shift ;;
    --profile) profile="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --encoding) encoding="$2"; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --json) json_out="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    -h | --help) print_help "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$encoding" == gzip || "$encoding" == identity ]] || { echo "--encoding gzip|identity" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds N: a positive whole number" >&2; exit 2; }

make_work_dir

ensure_wrk
log "building ($profile): pseudoproxy, floor_proxy, confluence_standin"
bin_dir=$(build_targets "$profile" --bin pseudoproxy --example floor_proxy --example confluence_standin)

pin_cpus
start_floor_pair "$bin_dir" "$sizes"
wait_http "http://127.0.0.1:$serve_port/" 60 "X-Psoxy-Health-Check: true"
wait_http "http://127.0.0.1:$floor_port/_floor_probe" 60

cat >"$work/report.lua" <<'LUA'
-- Prints wrk's summary as one JSON line (latencies in microseconds).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
LUA

mkdir -p "$(dirname "$json_out")"
log "running: sizes $sizes, concurrency $concurrency, ${duration}s per cell (warm-up ${warmup}s), $rounds round(s), $encoding"
BENCH_SIZES="$sizes" BENCH_CONC="$concurrency" BENCH_DURATION="$duration" BENCH_WARMUP="$warmup" \
  BENCH_ENCODING="$encoding" BENCH_ROUNDS="$rounds" BENCH_PIN="$pin" BENCH_QUICK="$quick" BENCH_PROFILE="$profile" \
  BENCH_JSON="$json_out" BENCH_LUA="$work/report.lua" STATIC_TOKEN="$static_token" \
  STANDIN_URL="http://127.0.0.1:$standin_port" SERVE_URL="http://127.0.0.1:$serve_port" \
  FLOOR_URL="http://127.0.0.1:$floor_port" SERVE_PID="$serve_pid" FLOOR_PID="$floor_pid" \
  STANDIN_PID="$standin_pid" MACHINE="$(machine_line)" \
  COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+dirty')" \
  python3 - <<'PY'
import gzip, json, os, resource, statistics, subprocess, sys, time, urllib.request

env = os.environ
sizes = [s.strip() for s in env["BENCH_SIZES"].split(",") if s.strip()]
concs = [int(c) for c in env["BENCH_CONC"].split(",") if c.strip()]
duration, warmup = int(env["BENCH_DURATION"]), int(env["BENCH_WARMUP"])
rounds = int(env["BENCH_ROUNDS"])
use_gzip = env["BENCH_ENCODING"] == "gzip"
pinned, quick = env["BENCH_PIN"] == "1", env["BENCH_QUICK"] == "1"
clk = os.sysconf("SC_CLK_TCK")
urls = {"floor": env["FLOOR_URL"], "pseudoproxy": env["SERVE_URL"]}
pids = {"floor": int(env["FLOOR_PID"]), "pseudoproxy": int(env["SERVE_PID"])}
standin_pid = int(env["STANDIN_PID"])
wrk_prefix = ["taskset", "-c", "1"] if pinned else []
EXPAND = "history,history.lastUpdated,version,space,ancestors"


def page_path(size):
    cql = f"type%20%3D%20page%20AND%20space%20%3D%20BENCH{size.upper()}"
    return f"/wiki/rest/api/content/search?cql={cql}&expand={EXPAND}&limit=25"


def ticks(pid):
    with open(f"/proc/{pid}/stat") as stat:
        data = stat.read()
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def fetch(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw, enc = response.status, response.read(), response.headers.get("Content-Encoding")
    except urllib.error.HTTPError as error:
        status, raw, enc = error.code, error.read(), error.headers.get("Content-Encoding")
    body = gzip.decompress(raw) if enc == "gzip" else raw
    return status, len(raw), body


# Every proxy answers every page, and serve's answer is sanitized (pseudonyms present,
# names gone) before anything is timed.
accept = {"Accept-Encoding": "gzip"} if use_gzip else {}
checks, failures = {}, []
for size in sizes:
    path = page_path(size)
    status, up_wire, up_body = fetch(env["STANDIN_URL"] + path,
                                     {"Authorization": "Bearer " + env["STATIC_TOKEN"]})
    row = {"upstream_bytes": len(up_body), "status": {}}
    if status != 200:
        failures.append(f"stand-in {size}: HTTP {status}")
    for proxy, base in urls.items():
        status, wire, body = fetch(base + path, accept)
        row["status"][proxy] = status
        row[f"{proxy}_wire_bytes"] = wire
        row[f"{proxy}_body_bytes"] = len(body)
        if status != 200:
            failures.append(f"{proxy} {size}: HTTP {status}: {body[:200]!r}")
    status, wire, body = fetch(urls["pseudoproxy"] + path, accept)
    if b"t~" not in body or b"Person " in body:
        failures.append(f"pseudoproxy {size}: the answer does not look sanitized")
    checks[size] = row
if failures:
    sys.exit("bench-proxy: " + "; ".join(failures))


def run_wrk(url, conc, seconds):
    threads = 1 if pinned else max(1, min(conc, 2))
    cmd = wrk_prefix + ["wrk", f"-t{threads}", f"-c{conc}", f"-d{seconds}s", "--timeout", "60s",
                        "-s", env["BENCH_LUA"]]
    if use_gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    cmd.append(url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 180)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [l for l in done.stdout.splitlines() if l.startswith("{")]
    if done.returncode != 0 or not lines:
        print(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}", file=sys.stderr)
        return None
    result = json.loads(lines[-1])
    result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def measure(proxy, path, conc, seconds):
    url = urls[proxy] + path
    pid = pids[proxy]
    if warmup > 0:
        run_wrk(url, conc, warmup)
    cpu0, load0, t0 = ticks(pid), ticks(standin_pid), time.monotonic()
    result = run_wrk(url, conc, seconds)
    cpu1, load1, t1 = ticks(pid), ticks(standin_pid), time.monotonic()
    if result is None:
        return None
    requests = result["requests"]
    wall = t1 - t0
    seconds_run = result["duration_us"] / 1e6
    proxy_cpu_s = (cpu1 - cpu0) / clk
    load_cpu_s = (load1 - load0) / clk + result["wrk_cpu_s"]
    return {
        "proxy": proxy, "concurrency": conc, "requests": requests,
        "seconds": round(seconds_run, 3),
        "rps": requests / seconds_run if seconds_run > 0 else 0.0,
        "p50_ms": result["p50_us"] / 1e3, "p90_ms": result["p90_us"] / 1e3,
        "p99_ms": result["p99_us"] / 1e3, "mean_ms": result["mean_us"] / 1e3,
        "max_ms": result["max_us"] / 1e3,
        "socket_errors": result["connect"] + result["read"] + result["write"] + result["timeout"],
        "non_2xx": result["status"],
        "cpu_ms_per_req": proxy_cpu_s * 1e3 / requests if requests else None,
        "proxy_cpu_utilization": proxy_cpu_s / wall if wall > 0 else None,
        "load_cpu_utilization": load_cpu_s / wall if wall > 0 else None,
    }


cells, problems = [], []
started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
load_before = open("/proc/loadavg").read().split()[:3]
# Rounds outermost: a cell's rounds lie one pass over the grid apart, spread over the
# whole run, so a neighbour's burst shorter than a pass reaches at most two of them.
# Which proxy goes first alternates from cell to cell and, for each cell, from round to
# round.
grid = [(size, conc) for size in sizes for conc in concs]
for round_, (position, (size, conc)) in [(r, cell) for r in range(rounds) for cell in enumerate(grid)]:
    path = page_path(size)
    floor_first = (round_ + position) % 2 == 0
    order = ["floor", "pseudoproxy"] if floor_first else ["pseudoproxy", "floor"]
    for proxy in order:
        cell = measure(proxy, path, conc, duration)
        if quick and (cell is None or cell["requests"] == 0):
            cell = measure(proxy, path, conc, duration * 3)  # slow (debug) builds
        if cell is None or cell["requests"] == 0:
            problems.append(f"{proxy} {size} c={conc}: no requests completed")
            continue
        if cell["socket_errors"] or cell["non_2xx"]:
            problems.append(f"{proxy} {size} c={conc}: {cell['socket_errors']} socket "
                            f"errors, {cell['non_2xx']} non-2xx answers")
        cell["size"] = size
        cell["round"] = round_
        cell["upstream_bytes"] = checks[size]["upstream_bytes"]
        cells.append(cell)
        print(f"  r{round_ + 1}/{rounds} {size:>4} c={conc:<3} {proxy:<11} {cell['rps']:9.1f} req/s  "
              f"p50 {cell['p50_ms']:8.2f} ms  p99 {cell['p99_ms']:8.2f} ms  "
              f"CPU {cell['cpu_ms_per_req'] or 0:7.3f} ms/req"
              + (f"  ERRORS: {cell['non_2xx']} non-2xx" if cell["non_2xx"] else ""), file=sys.stderr)
load_after = open("/proc/loadavg").read().split()[:3]


def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def find(size, conc, proxy):
    """The cell's figures: with rounds, the median of each over the rounds."""
    runs = [c for c in cells if c["size"] == size and c["concurrency"] == conc and c["proxy"] == proxy]
    if not runs:
        return None
    merged = dict(runs[0])
    for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_req", "load_cpu_utilization"):
        merged[key] = median_of([c[key] for c in runs])
    merged["socket_errors"] = sum(c["socket_errors"] for c in runs)
    merged["non_2xx"] = sum(c["non_2xx"] for c in runs)
    return merged


def ratios(size, conc, key):
    """serve / floor of `key`, one per round where both were measured."""
    out = []
    for r in range(rounds):
        pair = {c["proxy"]: c for c in cells
                if c["size"] == size and c["concurrency"] == conc and c["round"] == r}
        f, p = pair.get("floor"), pair.get("pseudoproxy")
        if f and p and f[key]:
            out.append(p[key] / f[key])
    return out


def fmt(value, digits=2):
    return "—" if value is None else f"{value:.{digits}f}"


out = []
out.append(f"Request path vs floor: {started}, commit {env['COMMIT']}, {env['BENCH_PROFILE']} "
           f"build, {env['MACHINE']}")
out.append(f"load average before {' '.join(load_before)}, after {' '.join(load_after)}; "
           f"{duration} s per cell after a {warmup} s warm-up; wrk with "
           f"Accept-Encoding: {'gzip' if use_gzip else 'identity'}; "
           + ("proxies pinned to CPU 0, stand-in and wrk to CPU 1" if pinned else "no CPU pinning")
           + (f"; {rounds} paired rounds per cell: each figure is the median over the rounds, "
              "each ratio the median of the per-round ratios (range in brackets)" if rounds > 1 else ""))
out.append("")
out.append("| page | upstream bytes | serve answer bytes (wire) | floor answer bytes (wire) |")
out.append("|---|---|---|---|")
for size in sizes:
    c = checks[size]
    out.append(f"| {size} | {c['upstream_bytes']} | {c['pseudoproxy_body_bytes']} "
               f"({c['pseudoproxy_wire_bytes']}) | {c['floor_body_bytes']} ({c['floor_wire_bytes']}) |")
out.append("")
out.append("| page | conc | floor req/s | floor p50 ms | floor p99 ms | serve req/s | serve p50 ms "
           "| serve p99 ms | p50 × floor | p99 × floor | req/s × floor | CPU ms/req floor "
           "| CPU ms/req serve | load-side CPU | ≤ 1.2× |")
out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
missed = 0
for size in sizes:
    for conc in concs:
        f, p = find(size, conc, "floor"), find(size, conc, "pseudoproxy")
        if not f or not p:
            out.append(f"| {size} | {conc} | " + " | ".join(["—"] * 13) + " |")
            continue
        per_round = {key: ratios(size, conc, key) for key in ("p50_ms", "p99_ms", "rps")}
        r50, r99, rr = (median_of(per_round[key]) for key in ("p50_ms", "p99_ms", "rps"))

        def shown(value, key):
            spread = per_round[key]
            if rounds == 1 or len(spread) < 2:
                return fmt(value)
            return f"{fmt(value)} [{min(spread):.2f}–{max(spread):.2f}]"

        load = max(f["load_cpu_utilization"] or 0, p["load_cpu_utilization"] or 0)
        errors = f["socket_errors"] + f["non_2xx"] + p["socket_errors"] + p["non_2xx"]
        ok = r50 is not None and r99 is not None and r50 <= 1.2 and r99 <= 1.2
        verdict = "ERRORS" if errors else ("ok" if ok else "MISSED")
        missed += verdict != "ok"
        out.append(f"| {size} | {conc} | {fmt(f['rps'], 1)} | {fmt(f['p50_ms'])} | {fmt(f['p99_ms'])} "
                   f"| {fmt(p['rps'], 1)} | {fmt(p['p50_ms'])} | {fmt(p['p99_ms'])} | {shown(r50, 'p50_ms')} "
                   f"| {shown(r99, 'p99_ms')} | {fmt(rr)} | {fmt(f['cpu_ms_per_req'], 3)} "
                   f"| {fmt(p['cpu_ms_per_req'], 3)} | {load * 100:.0f} % | {verdict} |")
out.append("")
out.append("CPU ms/req: user + system time of the proxy process over the measured run (/proc/PID/stat)"
           " divided by the requests completed. Load-side CPU: the stand-in's and wrk's CPU time"
           " over the wall time (near 100 % of one core means the load side, not the proxy, may"
           " have limited the throughput of that cell).")
print("\n".join(out))
with open(env["BENCH_JSON"], "w") as handle:
    json.dump({"meta": {"started": started, "commit": env["COMMIT"], "profile": env["BENCH_PROFILE"],
                        "machine": env["MACHINE"], "duration_s": duration, "warmup_s": warmup,
                        "encoding": "gzip" if use_gzip else "identity", "pinned": pinned,
                        "rounds": rounds,
                        "load_before": load_before, "load_after": load_after},
               "pages": checks, "cells": cells}, handle, indent=2)
print(f"\nfigures written to {env['BENCH_JSON']} (scripts/cost-model.py reads them)")
# The stand-in runs without rate limits here; a 429 from it would make a cell measure
# refusals, not proxies, so any is named (the cells are marked ERRORS already).
try:
    with urllib.request.urlopen(env["STANDIN_URL"] + "/_standin/stats", timeout=30) as response:
        refused = json.load(response)["api"]["rateLimited"]
except (OSError, ValueError, KeyError, TypeError) as error:
    problems.append(f"the stand-in's counters could not be read: {error}")
else:
    if refused:
        problems.append(f"the stand-in answered {refused} requests with 429 (its rate limit)")
if problems:
    sys.exit("bench-proxy: " + "; ".join(problems))
PY
