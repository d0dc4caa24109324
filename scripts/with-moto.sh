#!/usr/bin/env bash
# Runs CMD... with a moto SSM-compatible server on a free loopback port.
#
# Creates (or reuses) .venv with moto[server], starts moto_server on 127.0.0.1, waits
# until it answers, then runs the command with AWS_ENDPOINT_URL pointing at it, dummy
# credentials, and PSEUDOPROXY_TEST_SSM=1 (the SSM loopback tests run only when it is
# set). moto is always stopped on exit, whatever the command did.
#
#   scripts/with-moto.sh cargo test --test integration ssm
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
moto_spec='moto[server]>=5,<6'

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

if [ ! -x "$venv/bin/moto_server" ]; then
  python="$(command -v python3.11 || command -v python3)"
  echo "with-moto: installing $moto_spec into $venv" >&2
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$moto_spec"
fi

port="$("$venv/bin/python" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp -t moto.XXXXXX.log)"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
stop_moto() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  rm -f "$log"
}
trap stop_moto EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 150); do
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    echo "with-moto: moto_server exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  if "$venv/bin/python" -c "import urllib.request as u
u.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ -z "${ready:-}" ]; then
  echo "with-moto: moto_server did not answer on 127.0.0.1:$port" >&2
  cat "$log" >&2
  exit 1
fi
echo "with-moto: moto on http://127.0.0.1:$port" >&2

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_SSM
export PSEUDOPROXY_TEST_SSM=1
"$@"
