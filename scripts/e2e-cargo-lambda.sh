#!/usr/bin/env bash
# End to end on loopback through the Lambda runtime emulator: `cargo lambda watch` (from
# PyPI, into .venv/) runs the real binary in Lambda mode; a function-URL request for
# /lambda-url/pseudoproxy/wiki/... must come back sanitized from a stub Confluence that
# serves a golden original. Runs when CI=true or PSEUDOPROXY_E2E=1; skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${CI:-}" != "true" && "${PSEUDOPROXY_E2E:-}" != "1" ]]; then
  echo "skipped (set CI=true or PSEUDOPROXY_E2E=1)"
  exit 0
fi

[[ -x .venv/bin/cargo-lambda ]] || { python3 -m venv .venv && .venv/bin/pip install -q cargo-lambda; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
upstream_port=$(free_port)
lambda_port=$(free_port)

cat >"$work/upstream.py" <<'PY'
import http.server, sys
body = open(sys.argv[2], "rb").read()
class Stub(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.headers.get("authorization") == "Bearer e2e-token"
        self.send_response(200 if ok else 401)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body if ok else b'{"message":"no"}')
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Stub).serve_forever()
PY
python3 "$work/upstream.py" "$upstream_port" example-api-responses/original/spaces-page1.json &
pids+=($!)

umask 077
echo '{"PSOXY_SALT":"e2e-salt","PSOXY_ENCRYPTION_KEY":"e2e-key","PSEUDOPROXY_ACCESS_TOKEN":"e2e-token"}' >"$work/secrets.json"

.venv/bin/cargo-lambda lambda watch -P "$lambda_port" --ignore-changes \
  --env-var "TARGET_HOST=http://127.0.0.1:$upstream_port,CONFLUENCE_CLOUD_ID=acme-cloud-id,PSEUDOPROXY_SECRETS_FILE=$work/secrets.json" \
  >"$work/watch.log" 2>&1 &
pids+=($!)

url="http://127.0.0.1:$lambda_port/lambda-url/pseudoproxy/wiki/api/v2/spaces?limit=3&description-format=plain&sort=id"
body=""
# The first request waits for the build (the runtime emulator compiles on demand).
for _ in $(seq 1 60); do
  if body=$(curl -sf -m 600 "$url"); then break; fi
  sleep 5
done
if [[ -z "$body" ]]; then
  echo "no answer from cargo lambda watch"; tail -40 "$work/watch.log"; exit 1
fi
fail() { echo "FAIL: $*"; echo "$body" | head -c 2000; echo; exit 1; }
grep -q '"authorId":"t~' <<<"$body" || fail "account ids not pseudonymized"
grep -q '557058:' <<<"$body" && fail "a raw account id came back"
grep -qi '@acme-widgets.example' <<<"$body" && fail "an email came back"
grep -q 'e2e-salt\|e2e-token' "$work/watch.log" && fail "a secret reached the log"
echo "cargo lambda watch end to end: sanitized data came back"
