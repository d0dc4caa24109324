# shellcheck shell=bash
# Shared by scripts/bench-proxy.sh, scripts/bench-instructions.sh, scripts/soak.sh and
# scripts/export-scale.sh (sourced, never run): a work directory cleaned up on exit, release builds, the wrk load generator, loopback ports, child processes
# started and stopped by their pid, /proc figures (CPU ticks, resident memory, open file
# descriptors) and the local secrets file `serve --secrets FILE` reads.
#
# Invariant: everything started here listens on and talks to 127.0.0.1 only; every child
# is recorded in CHILD_PIDS and stopped by `stop_children` (the callers' EXIT trap).

CHILD_PIDS=()

# log MESSAGE...: a progress line on stderr (stdout carries the report).
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# print_help SCRIPT: the script's header comment (after the shebang) as its --help.
print_help() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$1"
}

# make_work_dir [keep]: sets `work` to a new temporary directory; on exit every child is
# stopped, the last lines of each $work/*.log are shown when the script failed, and $work
# is removed (kept, and named, when the argument is 1). SIGINT and SIGTERM exit with 130.
make_work_dir() {
  work="$(mktemp -d)"
  KEEP_WORK_DIR="${1:-0}"
  trap _clean_work_dir EXIT
  trap 'exit 130' INT TERM
}

_clean_work_dir() {
  local rc=$?
  stop_children
  if [[ $rc -ne 0 ]]; then
    for f in "$work"/*.log; do
      [[ -f "$f" ]] && { echo "--- last lines of $(basename "$f")" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  if [[ "${KEEP_WORK_DIR:-0}" == 1 ]]; then
    echo "outputs kept in $work" >&2
  else
    rm -rf "$work"
  fi
}

# free_port: a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# spawn VAR LOG CMD...: starts CMD in the background (stdout and stderr to LOG), records
# its pid in CHILD_PIDS and in the variable named VAR.
spawn() {
  local __var="$1" __log="$2"
  shift 2
  "$@" >"$__log" 2>&1 &
  local __pid=$!
  CHILD_PIDS+=("$__pid")
  printf -v "$__var" '%s' "$__pid"
}

# is_our_child PID: PID is alive and its parent is this shell (never signal a pid the
# kernel may have given to another process after ours exited).
is_our_child() {
  local ppid
  ppid=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $2 }') || return 1
  [[ "$ppid" == "$$" ]]
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s, to our own child only; waits for it.
stop_pid() {
  local pid="$1" i
  if is_our_child "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      is_our_child "$pid" || break
      sleep 0.1
    done
    if is_our_child "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  forget_child "$pid"
}

# forget_child PID: drops PID from CHILD_PIDS (after it was waited for).
forget_child() {
  local kept=() p
  for p in ${CHILD_PIDS[@]+"${CHILD_PIDS[@]}"}; do
    [[ "$p" == "$1" ]] || kept+=("$p")
  done
  CHILD_PIDS=(${kept[@]+"${kept[@]}"})
}

# stop_children: stops every child spawn started, newest first.
stop_children() {
  local i pids=(${CHILD_PIDS[@]+"${CHILD_PIDS[@]}"})
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${pids[$i]}"
  done
  CHILD_PIDS=()
}

# build_targets PROFILE ARGS...: cargo build (release or debug) of the given targets;
# prints the directory the binaries are in.
build_targets() {
  local profile="$1"
  shift
  local target_dir="${CARGO_TARGET_DIR:-target}"
  case "$profile" in
    release) cargo build --release --locked --quiet "$@" >&2; echo "$target_dir/release" ;;
    debug) cargo build --locked --quiet "$@" >&2; echo "$target_dir/debug" ;;
    *) echo "unknown profile $profile (release or debug)" >&2; return 2 ;;
  esac
}

# ensure_wrk: installs wrk (Debian package; a maintained HTTP load generator reporting
# latency percentiles through a Lua `done` hook) when it is missing.
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "wrk is not installed: apt-get install -y wrk (Debian/Ubuntu)" >&2
    return 1
  fi
  log "installing wrk (apt-get install -y wrk)"
  if ! apt-get install -y -qq wrk >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq wrk >/dev/null
  fi
  command -v wrk >/dev/null
}

# wait_http URL [SECONDS] [HEADER]: waits until URL answers any HTTP status.
wait_http() {
  local url="$1" seconds="${2:-30}" header="${3:-X-Bench-Probe: 1}" code i
  for ((i = 0; i < seconds * 10; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "$header" "$url" || true)
    [[ "$code" != "000" ]] && return 0
    sleep 0.1
  done
  echo "no answer from $url after ${seconds}s" >&2
  return 1
}

# cpu_ticks PID: user + system CPU time of PID (all threads) in clock ticks.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# fd_count PID: open file descriptors.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# thread_count PID: threads.
thread_count() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

# write_secrets FILE NAME=VALUE...: a `serve --secrets FILE` store (the FileStore format
# of src/secrets/file.rs), mode 0600.
write_secrets() {
  local file="$1"
  shift
  python3 - "$file" "$@" <<'PY'
import json, os, sys, time
path, pairs = sys.argv[1], sys.argv[2:]
now = int(time.time() * 1000)
store = {}
for pair in pairs:
    name, value = pair.split("=", 1)
    store[name] = {"value": value, "version": 1, "lastModified": now}
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as out:
    json.dump(store, out, indent=2)
PY
}

# machine_line: CPU model, cores and load average, for the report header.
machine_line() {
  local model
  model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  printf '%s, nproc %s, load average %s' "${model:-unknown CPU}" "$(nproc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# pin_cpus: with pin=1, 2+ cores and taskset, proxy_cpu=(taskset -c 0) and
# load_cpu=(taskset -c 1): each proxy gets one core, as a Lambda below 1769 MB gets at most
# one vCPU, and never competes with the load side. Otherwise both are empty and pin=0.
pin_cpus() {
  proxy_cpu=()
  load_cpu=()
  if [[ "$pin" == 1 && "$(nproc)" -ge 2 ]] && command -v taskset >/dev/null; then
    proxy_cpu=(taskset -c 0)
    load_cpu=(taskset -c 1)
  else
    pin=0
  fi
}

# start_floor_pair BIN_DIR SIZES [WRAP...]: the Confluence stand-in serving the benchmark
# pages SIZES (on the load CPU; no burst limit (`--rate 0`, also its default) and no
# hourly points quota (`--points-per-hour 0`): its default
# quota of 10 million points an hour, 1 a request plus 1 per object, ran out in the third
# round of a 5-round all-sizes run, and every later request of both proxies was a 429
# until the hour turned), then `pseudoproxy serve` (shipped rules, its OAuth token
# manager refreshing at the stand-in) and the floor proxy (a static token) in front of it,
# on the proxy CPU, with the same flags and secrets in every benchmark. Each proxy runs
# under WRAP... when given (a profiler), with `{proxy}` in it replaced by serve or floor.
# Needs `work` (make_work_dir) and pin_cpus; sets standin_/serve_/floor_ pid and port and
# static_token, and returns once the stand-in answers (the caller waits for the proxies).
start_floor_pair() {
  local bin="$1" pages="$2" arg salt
  shift 2
  local wrap_serve=() wrap_floor=()
  for arg in "$@"; do
    wrap_serve+=("${arg//\{proxy\}/serve}")
    wrap_floor+=("${arg//\{proxy\}/floor}")
  done
  standin_pid="" serve_pid="" floor_pid=""
  standin_port=$(free_port)
  serve_port=$(free_port)
  floor_port=$(free_port)
  static_token="bench-static-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  salt="bench-salt-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"

  log "starting the stand-in on 127.0.0.1:$standin_port (building the $pages pages)"
  spawn standin_pid "$work/standin.log" "${load_cpu[@]}" "$bin/examples/confluence_standin" \
    --listen "127.0.0.1:$standin_port" --items 2000 --users 200 --groups 20 --spaces 50 \
    --static-token "$static_token" --client-id bench-client --client-secret bench-client-secret \
    --refresh-token rt-bench-0 --token-ttl 86400 --bench-pages "$pages" --rate 0 \
    --points-per-hour 0
  wait_http "http://127.0.0.1:$standin_port/_standin/health" 120

  write_secrets "$work/secrets.json" "PSOXY_SALT=$salt" "PSOXY_ENCRYPTION_KEY=bench-key-$salt" \
    CLIENT_ID=bench-client CLIENT_SECRET=bench-client-secret REFRESH_TOKEN=rt-bench-0
  log "starting pseudoproxy serve on 127.0.0.1:$serve_port and floor_proxy on 127.0.0.1:$floor_port"
  spawn serve_pid "$work/serve.log" env -u PSEUDOPROXY_AUTH_TOKEN -u PATH_TO_INSTANCE_CONFIG \
    -u PATH_TO_SHARED_CONFIG -u RULES -u AWS_LAMBDA_FUNCTION_NAME -u AWS_LAMBDA_RUNTIME_API \
    "REFRESH_ENDPOINT=http://127.0.0.1:$standin_port/oauth/token" \
    "${proxy_cpu[@]}" ${wrap_serve[@]+"${wrap_serve[@]}"} "$bin/pseudoproxy" serve \
    --listen "127.0.0.1:$serve_port" --upstream "http://127.0.0.1:$standin_port" \
    --cloud-id acme-cloud-id --secrets "$work/secrets.json"
  spawn floor_pid "$work/floor.log" "${proxy_cpu[@]}" ${wrap_floor[@]+"${wrap_floor[@]}"} \
    "$bin/examples/floor_proxy" --listen "127.0.0.1:$floor_port" \
    --upstream "http://127.0.0.1:$standin_port" --cloud-id acme-cloud-id --token "$static_token"
}
