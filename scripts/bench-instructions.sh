#!/usr/bin/env bash
# Instructions per request (docs/performance.md, "Request path against its floor"; issue
# 17): the companion of scripts/bench-proxy.sh that counts instead of timing. The same
# stand-in, the same `pseudoproxy serve` and floor proxy (examples/floor_proxy.rs), with
# the same flags and secrets, the same content-search pages; but the two proxies run under
# valgrind's callgrind, and one keep-alive connection sends each exactly --requests
# requests after a warm-up. Prints a Markdown table of the instructions (Ir) per request
# of each proxy and their ratio, optionally serve's top functions by inclusive cost, and
# writes the figures as JSON.
#
#   scripts/bench-instructions.sh                      # 2k page, 2000 requests each
#   scripts/bench-instructions.sh --sizes 2k,60k --requests 500 --top 15
#   options: --profile release|debug  --sizes 2k,60k,6m  --requests N  --warmup N
#            --top N  --encoding gzip|identity  --no-pin  --json FILE
#
# Why count instructions: on a shared VM wall-clock latency moves with the neighbours'
# load, while the instructions a proxy executes for a request are repeatable to a fraction
# of a percent, run after run. They are a cross-check of where the work goes and whether a
# change made the request path cheaper, not the latency target itself (that is p50/p99
# against the floor, scripts/bench-proxy.sh): they ignore cache misses, system calls,
# waits and scheduling.
#
# How: each proxy answers --warmup requests (start-up, connection set-up, lazy
# initialisation and the first-use paths are thus excluded), then `callgrind_control
# --zero` resets its counters, the client sends exactly --requests requests on one
# keep-alive connection (every answer must be 200), and `callgrind_control --dump` writes
# the counters: Ir per request = the dump's total (all threads: tokio workers, blocking
# pool, log writer) / requests. The counters are zeroed rather than started with
# `--collect-atstart=no`, because callgrind_control can zero and dump but cannot switch
# collection on, and instrumentation stays on from the start so that the call graph (for
# --top) is complete. Under valgrind the proxies are 50-100x slower (the 2k page with 1000
# requests per proxy takes about half a minute once built); the 60k and 6m pages far longer.
#
# GLIBC_TUNABLES: the proxies run with glibc's `rep stosb` / `rep movsb` thresholds set to
# their maximum, so memset and memcpy use their vector loops at every size. valgrind
# counts each iteration of a `rep`-prefixed string instruction as one instruction, i.e.
# one per byte for `rep stosb`: a large memset (buffer zeroing) would otherwise count as
# tens of thousands of instructions where the CPU spends a few dozen cycles, and swamp the
# comparison.
#
# With 2+ cores the proxies are pinned to CPU 0 and the stand-in and the client to CPU 1,
# as in bench-proxy.sh (this also gives the proxies the same single tokio worker thread).
# Loopback only; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

profile=release
sizes=2k
requests=2000
warmup=200
top=0
encoding=gzip
pin=1
startup_timeout=300 # seconds; a proxy under callgrind starts 50-100x slower
json_out="${CARGO_TARGET_DIR:-target}/bench-instructions/results.json"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --top) top="$2"; shift 2 ;;
    --encoding) encoding="$2"; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --json) json_out="$2"; shift 2 ;;
    -h | --help) print_help "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$encoding" == gzip || "$encoding" == identity ]] || { echo "--encoding gzip|identity" >&2; exit 2; }
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || { echo "--requests N: a positive whole number" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "--warmup N: a whole number" >&2; exit 2; }
[[ "$top" =~ ^[0-9]+$ ]] || { echo "--top N: a whole number" >&2; exit 2; }
for tool in valgrind callgrind_control; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian/Ubuntu: apt-get install -y valgrind)" >&2; exit 1; }
done

make_work_dir

log "building ($profile): pseudoproxy, floor_proxy, confluence_standin"
bin_dir=$(build_targets "$profile" --bin pseudoproxy --example floor_proxy --example confluence_standin)

pin_cpus

# Every byte count from 0 to SIZE_MAX stays below the thresholds: no `rep stosb/movsb`.
tunables="glibc.cpu.x86_rep_stosb_threshold=0xffffffffffffffff:glibc.cpu.x86_rep_movsb_threshold=0xffffffffffffffff"
mkdir -p "$work/callgrind"
# vgdb's FIFOs (callgrind_control talks to the proxies through them) live in $work too.
vgdb_prefix="$work/vgdb"
callgrind=(valgrind --tool=callgrind --vgdb=yes "--vgdb-prefix=$vgdb_prefix"
  --separate-threads=no --separate-recs=2)

start_floor_pair "$bin_dir" "$sizes" env "GLIBC_TUNABLES=$tunables" "${callgrind[@]}" \
  "--callgrind-out-file=$work/callgrind/{proxy}.%p.out"
log "stand-in ready (pid $standin_pid)"
wait_http "http://127.0.0.1:$serve_port/" "$startup_timeout" "X-Psoxy-Health-Check: true"
wait_http "http://127.0.0.1:$floor_port/_floor_probe" "$startup_timeout"
log "proxies ready under callgrind (serve pid $serve_pid, floor pid $floor_pid)"

mkdir -p "$(dirname "$json_out")"
log "counting: sizes $sizes, $warmup warm-up + $requests counted requests per proxy and size, $encoding"
BENCH_SIZES="$sizes" BENCH_REQUESTS="$requests" BENCH_WARMUP="$warmup" BENCH_TOP="$top" \
  BENCH_ENCODING="$encoding" BENCH_PIN="$pin" BENCH_PROFILE="$profile" BENCH_JSON="$json_out" \
  BENCH_TUNABLES="$tunables" CG_DIR="$work/callgrind" VGDB_PREFIX="$vgdb_prefix" \
  STATIC_TOKEN="$static_token" STANDIN_URL="http://127.0.0.1:$standin_port" \
  SERVE_URL="http://127.0.0.1:$serve_port" FLOOR_URL="http://127.0.0.1:$floor_port" \
  SERVE_PID="$serve_pid" FLOOR_PID="$floor_pid" MACHINE="$(machine_line)" \
  VALGRIND="$(valgrind --version)" \
  COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+dirty')" \
  "${load_cpu[@]}" python3 - <<'PY'
import collections, glob, gzip, http.client, json, os, re, subprocess, sys, time, urllib.parse

env = os.environ
sizes = [s.strip() for s in env["BENCH_SIZES"].split(",") if s.strip()]
n_requests, n_warmup, n_top = int(env["BENCH_REQUESTS"]), int(env["BENCH_WARMUP"]), int(env["BENCH_TOP"])
use_gzip = env["BENCH_ENCODING"] == "gzip"
pinned = env["BENCH_PIN"] == "1"
cg_dir = env["CG_DIR"]
urls = {"floor": env["FLOOR_URL"], "pseudoproxy": env["SERVE_URL"]}
pids = {"floor": int(env["FLOOR_PID"]), "pseudoproxy": int(env["SERVE_PID"])}
EXPAND = "history,history.lastUpdated,version,space,ancestors"
accept = {"Accept-Encoding": "gzip"} if use_gzip else {}


def log(message):
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def page_path(size):
    cql = f"type%20%3D%20page%20AND%20space%20%3D%20BENCH{size.upper()}"
    return f"/wiki/rest/api/content/search?cql={cql}&expand={EXPAND}&limit=25"


class Client:
    """One keep-alive connection; `get` returns (status, wire bytes, decoded body)."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)

    def get(self, path, headers):
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        enc = response.getheader("Content-Encoding")
        return response.status, len(raw), gzip.decompress(raw) if enc == "gzip" else raw

    def close(self):
        self.conn.close()


def run(client, path, count, what):
    """Exactly `count` requests, one after the other; every answer must be 200."""
    for i in range(count):
        try:
            status, _, body = client.get(path, accept)
        except (OSError, http.client.HTTPException) as error:
            sys.exit(f"bench-instructions: {what}: request {i + 1} of {count} failed: {error!r}")
        if status != 200:
            sys.exit(f"bench-instructions: {what}: request {i + 1} of {count} answered "
                     f"HTTP {status}: {body[:200]!r}")


def callgrind_control(pid, *args):
    done = subprocess.run(["callgrind_control", f"--vgdb-prefix={env['VGDB_PREFIX']}", *args,
                           str(pid)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or re.search(r"Error|No active callgrind", done.stdout + done.stderr):
        sys.exit(f"bench-instructions: callgrind_control {' '.join(args)} {pid} failed: "
                 f"{(done.stdout + done.stderr).strip()[:400]}")


def dump_files(proxy):
    return set(glob.glob(os.path.join(cg_dir, f"{proxy.replace('pseudoproxy', 'serve')}.*.out.*")))


def read_dump(path):
    """(total Ir, {function: self Ir}, {caller: {callee: inclusive Ir of the calls}})."""
    names, self_ir = {}, collections.Counter()
    calls = collections.defaultdict(collections.Counter)
    events, npos, ir_col, total = None, 1, 0, None
    fn, callee, in_call = None, None, False

    def name(spec):
        m = re.match(r"\((\d+)\)(?: (.*))?$", spec)
        if not m:
            return spec
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names[m.group(1)]

    with open(path) as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not line:
                continue
            head = line[0]
            if head.isdigit() or head in "+-*":
                if events is None:
                    continue
                cols = line.split()
                value = int(cols[npos + ir_col]) if len(cols) > npos + ir_col else 0
                if in_call:
                    calls[fn][callee] += value
                    in_call = False
                else:
                    self_ir[fn] += value
            elif line.startswith("fn="):
                fn = name(line[3:])
            elif line.startswith("cfn="):
                callee = name(line[4:])
            elif line.startswith("calls="):
                in_call = True
            elif line.startswith("events:"):
                events = line.split()[1:]
                ir_col = events.index("Ir")
            elif line.startswith("positions:"):
                npos = len(line.split()) - 1
            elif line.startswith(("totals:", "summary:")):
                total = int(line.split()[1 + ir_col])
    if total is None:
        total = sum(self_ir.values())
    return total, self_ir, calls


# Frames every request passes through, which contain (nearly) all of its work and so say
# nothing about where it goes: thread start-up, the tokio scheduler and blocking pool, and
# the generic future and service wrappers of the HTTP server stack.
PLUMBING = re.compile(
    r"^(start_thread|clone3?|_start|main|__libc_start_\w+"
    r"|std::(rt|thread|panicking|panic|sys::backtrace|sys::thread)::.*|<std::sys::thread::.*"
    r"|core::ops::function::FnOnce::call_once.*|<core::panic::unwind_safe::AssertUnwindSafe<.*"
    r"|tokio::runtime::(context|scheduler|task|blocking|park)::.*|<tokio::runtime::blocking::task::.*"
    r"|<core::future::poll_fn::PollFn<.*|<core::pin::Pin<.*|<futures_util::future::.*"
    r"|<tracing::instrument::Instrumented<.*"
    r"|axum::serve::.*|<axum::routing::route::RouteFuture<.*|<axum::util::MapIntoResponseFuture<.*"
    r"|<hyper_util::server::.*|<hyper_util::service::oneshot::.*|<hyper::server::.*"
    r"|hyper::proto::h1::dispatch::Dispatcher<.*|<tower::util::oneshot::.*)$")
LEVEL = re.compile(r"'\d+$")


def top_functions(self_ir, calls, n):
    """The n costliest functions by inclusive cost, plumbing left out: [(inclusive, self,
    name)], and how many plumbing frames were left out.

    callgrind names the second and deeper activations of a function that is already on the
    stack `name'2` (--separate-recs=2), so `name` itself is only ever the outermost
    activation: its inclusive cost (its own instructions plus every call it makes, deeper
    recursion included) counts each instruction once, even through mutual recursion or
    generic functions that share a name. Self cost is summed over all levels."""
    own = collections.Counter()
    for f, v in self_ir.items():
        own[LEVEL.sub("", f)] += v
    rows, skipped = [], 0
    for f in set(self_ir) | set(calls):
        if LEVEL.search(f):
            continue
        if PLUMBING.match(f):
            skipped += 1
            continue
        rows.append((self_ir[f] + sum(v for g, v in calls[f].items() if g != f), own[f], f))
    rows.sort(key=lambda r: -r[0])
    return rows[:n], skipped


def count(proxy, size, path):
    """Warm-up, zero, exactly n_requests requests, dump: (Ir total, dump files, seconds)."""
    client = Client(urls[proxy])
    try:
        run(client, path, n_warmup, f"{proxy} {size} warm-up")
        callgrind_control(pids[proxy], "--zero")
        before = dump_files(proxy)
        t0 = time.monotonic()
        run(client, path, n_requests, f"{proxy} {size}")
        seconds = time.monotonic() - t0
        callgrind_control(pids[proxy], f"--dump=bench-{size}")
    finally:
        client.close()
    deadline = time.monotonic() + 120
    while True:
        new = sorted(dump_files(proxy) - before)
        complete = [f for f in new if "\ntotals:" in open(f).read()[-4096:]] if new else []
        if new and len(complete) == len(new):
            break
        if time.monotonic() > deadline:
            sys.exit(f"bench-instructions: no complete callgrind dump from {proxy} for {size}")
        time.sleep(0.5)
    total = 0
    for f in new:  # one file per thread if --separate-threads=yes; one in all otherwise
        total += read_dump(f)[0]
    return total, new, seconds


def fetch_once(base, path, headers):
    client = Client(base)
    try:
        return client.get(path, headers)
    finally:
        client.close()


# Every proxy answers every page, and serve's answer is sanitized, before anything is
# counted (as in bench-proxy.sh).
checks, failures = {}, []
for size in sizes:
    path = page_path(size)
    status, _, up_body = fetch_once(env["STANDIN_URL"], path,
                                    {"Authorization": "Bearer " + env["STATIC_TOKEN"]})
    row = {"upstream_bytes": len(up_body)}
    if status != 200:
        failures.append(f"stand-in {size}: HTTP {status}")
    for proxy, base in urls.items():
        status, wire, body = fetch_once(base, path, accept)
        row[f"{proxy}_wire_bytes"], row[f"{proxy}_body_bytes"] = wire, len(body)
        if status != 200:
            failures.append(f"{proxy} {size}: HTTP {status}: {body[:200]!r}")
        elif proxy == "pseudoproxy" and (b"t~" not in body or b"Person " in body):
            failures.append(f"pseudoproxy {size}: the answer does not look sanitized")
    checks[size] = row
if failures:
    sys.exit("bench-instructions: " + "; ".join(failures))

started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
rows = []
for size in sizes:
    path = page_path(size)
    row = {"size": size, "requests": n_requests, "warmup": n_warmup, **checks[size]}
    for proxy in ("floor", "pseudoproxy"):
        log(f"{size} {proxy}: {n_warmup} warm-up + {n_requests} counted requests")
        total, files, seconds = count(proxy, size, path)
        row[f"{proxy}_ir"] = total
        row[f"{proxy}_ir_per_request"] = total / n_requests
        row[f"{proxy}_seconds"] = round(seconds, 1)
        log(f"{size} {proxy}: {total / n_requests:,.0f} Ir/request ({seconds:.0f} s under callgrind)")
        if proxy == "pseudoproxy" and n_top > 0:
            self_ir, calls = collections.Counter(), collections.defaultdict(collections.Counter)
            for f in files:  # per-thread files (if any) merged
                _, s, c = read_dump(f)
                self_ir.update(s)
                for caller, callees in c.items():
                    calls[caller].update(callees)
            ranked, skipped = top_functions(self_ir, calls, n_top)
            row["serve_top"] = [{"function": f, "inclusive_ir_per_request": inc / n_requests,
                                 "self_ir_per_request": own / n_requests,
                                 "share_of_total": inc / total if total else None}
                                for inc, own, f in ranked]
            row["serve_top_plumbing_left_out"] = skipped
    f_ir, s_ir = row["floor_ir_per_request"], row["pseudoproxy_ir_per_request"]
    row["ratio_serve_to_floor"] = s_ir / f_ir if f_ir else None
    rows.append(row)


def cell(text, limit=150):
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("|", "\\|")


out = [f"Instructions per request: {started}, commit {env['COMMIT']}, {env['BENCH_PROFILE']} build, "
       f"{env['MACHINE']}",
       f"{env['VALGRIND']} callgrind, GLIBC_TUNABLES={env['BENCH_TUNABLES']}; per proxy and page "
       f"{n_warmup} warm-up requests, then counters zeroed and exactly {n_requests} requests on "
       f"one keep-alive connection; Accept-Encoding: {'gzip' if use_gzip else 'identity'}; "
       + ("proxies pinned to CPU 0, stand-in and client to CPU 1" if pinned else "no CPU pinning"),
       "",
       "| page | requests counted | Ir/request floor | Ir/request serve | serve / floor |",
       "|---|---|---|---|---|"]
for r in rows:
    ratio = "—" if r["ratio_serve_to_floor"] is None else f"{r['ratio_serve_to_floor']:.3f}"
    out.append(f"| {r['size']} | {r['requests']} | {r['floor_ir_per_request']:,.0f} "
               f"| {r['pseudoproxy_ir_per_request']:,.0f} | {ratio} |")
out.append("")
for r in rows:
    out.append(f"{r['size']}: upstream page {r['upstream_bytes']} B; floor answers "
               f"{r['floor_body_bytes']} B ({r['floor_wire_bytes']} B on the wire), serve "
               f"{r['pseudoproxy_body_bytes']} B ({r['pseudoproxy_wire_bytes']} B on the wire)")
for r in rows:
    if not r.get("serve_top"):
        continue
    out.append("")
    out.append(f"serve, {r['size']} page: top {len(r['serve_top'])} functions by inclusive "
               f"instructions per request (all threads; inclusive: the outermost activations "
               f"with everything they call; self: the function's own instructions; "
               f"{r['serve_top_plumbing_left_out']} frames of thread start-up, the tokio "
               f"scheduler and the HTTP server's future wrappers left out)")
    out.append("")
    out.append("| # | inclusive Ir/request | share | self Ir/request | function |")
    out.append("|---|---|---|---|---|")
    for i, t in enumerate(r["serve_top"], 1):
        share = "—" if t["share_of_total"] is None else f"{t['share_of_total'] * 100:.1f} %"
        out.append(f"| {i} | {t['inclusive_ir_per_request']:,.0f} | {share} "
                   f"| {t['self_ir_per_request']:,.0f} | {cell(t['function'])} |")
print("\n".join(out))
with open(env["BENCH_JSON"], "w") as handle:
    json.dump({"meta": {"started": started, "commit": env["COMMIT"], "profile": env["BENCH_PROFILE"],
                        "machine": env["MACHINE"], "valgrind": env["VALGRIND"],
                        "glibc_tunables": env["BENCH_TUNABLES"], "requests": n_requests,
                        "warmup": n_warmup, "encoding": "gzip" if use_gzip else "identity",
                        "pinned": pinned},
               "rows": rows}, handle, indent=2)
print(f"\nfigures written to {env['BENCH_JSON']}")
PY
