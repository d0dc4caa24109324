#!/usr/bin/env bash
# Short fuzzing run: every cargo-fuzz target in fuzz/ for SECONDS each (default 30), so
# five targets stay within about two and a half minutes of fuzzing. Any panic fails the script.
#
#   scripts/fuzz.sh [SECONDS]
#
# Installs what it needs (the nightly toolchain, cargo-fuzz) when absent. The seed corpora
# are generated here from the project's rules, tests and examples into fuzz/corpus/
# (gitignored); findings land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
targets=(rules_load jsonpath_compile gate sanitize privacy_rewrite)

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

corpus=fuzz/corpus
rm -rf "$corpus"
mkdir -p "${targets[@]/#/$corpus/}"

# rules_load: every rules file of the project.
n=0
while IFS= read -r file; do
  n=$((n + 1))
  cp "$file" "$corpus/rules_load/seed-$n.yaml"
done < <(find rules tests/data -name '*.yaml' | sort)

# jsonpath_compile: every quoted JSONPath in those files, one per seed.
n=0
while IFS= read -r path; do
  n=$((n + 1))
  printf '%s' "$path" > "$corpus/jsonpath_compile/seed-$n"
done < <(find rules tests/data -name '*.yaml' -exec grep -ho '"\$[^"]*"' {} + | sed 's/^"//; s/"$//' | sort -u)

# gate: `METHOD PATH?QUERY` for every example request, plus refused spellings.
n=0
while IFS= read -r url; do
  n=$((n + 1))
  printf 'GET %s' "$url" > "$corpus/gate/seed-$n"
done < <(sed -n 's/^ *- url: *//p' example-api-responses/examples.yaml)
printf 'GET /ex/confluence/acme/wiki/api/v2/%%2e%%2e/spaces' > "$corpus/gate/hostile-1"
printf 'POST /oauth/token/accessible-resources?x=1' > "$corpus/gate/hostile-2"

# sanitize: one byte choosing the endpoint, then an example response; every pairing.
endpoints=$(grep -c '^  - pathTemplate:' rules/confluence.yaml)
for file in example-api-responses/original/*.json; do
  for ((i = 0; i < endpoints; i++)); do
    { printf "\\x$(printf %02x "$i")"; cat "$file"; } > "$corpus/sanitize/$(basename "$file" .json)-$i"
  done
done

# privacy_rewrite: an original, NUL, then a response or error body that echoes it.
n=0
for file in example-api-responses/original/*.json; do
  n=$((n + 1))
  { printf '557058:2f1c9e7a-0b1d-4c3e\0'; cat "$file"; } > "$corpus/privacy_rewrite/seed-$n"
done
printf 'ana@acme.example\0{"message":"no user ana@acme.example","_links":{"next":"/x?id=ana%%40acme.example"}}' \
  > "$corpus/privacy_rewrite/echo-1"

cargo +nightly fuzz build --sanitizer none --debug-assertions
for target in "${targets[@]}"; do
  printf '\n--> fuzz %s for %ss (%s seeds)\n' "$target" "$seconds" "$(ls "$corpus/$target" | wc -l)"
  cargo +nightly fuzz run --sanitizer none --debug-assertions "$target" "$corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1
done
echo "fuzzing: no target crashed"
