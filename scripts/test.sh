#!/usr/bin/env bash
# The whole test run: static checks with Deno, then the conformance suite on every runtime.
# Each runtime is called by its explicit path in node_modules: inside npm scripts PATH starts
# with node_modules/.bin, where "node" is whichever node alias npm linked last.
set -uo pipefail
cd "$(dirname "$0")/.."

bin=node_modules/.bin
deno=$bin/deno
bun=$bin/bun
node24=node_modules/node24/bin/node
node22=node_modules/node22/bin/node
for tool in "$deno" "$bun" "$node24" "$node22"; do
  [ -x "$tool" ] || { echo "Error: $tool is missing: run npm ci first" >&2; exit 1; }
done

failures=()
step() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then failures+=("$name"); fi
}

step "deno fmt --check" "$deno" fmt --check
step "deno lint" "$deno" lint
step "deno check" "$deno" check mod.ts src tests scripts bench
# shellcheck disable=SC2046 # one argument per export
step "deno doc --lint" "$deno" doc --lint $("$deno" eval \
  'console.log(Object.values(JSON.parse(Deno.readTextFileSync("jsr.json")).exports).join(" "))')
step "doc examples (deno test --doc)" "$deno" test --doc -A --quiet mod.ts src/
step "deno publish --dry-run" "$deno" publish --dry-run --allow-dirty --config jsr.json

summaries=()
conformance() {
  local label=$1
  shift
  echo "== conformance on $label"
  local log
  log=$(mktemp)
  "$@" tests/run.ts 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  summaries+=("$(grep -E '^[a-z]+-[0-9.]*: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || echo "$label: no summary")")
  rm -f "$log"
  [ "$status" -eq 0 ] || failures+=("conformance on $label")
}

conformance deno "$deno" run -A --unstable-no-legacy-abort
conformance bun "$bun"
conformance node24 "$node24"
conformance node22 "$node22"
# The benchmarks at smoke size (tiny N, one round; the figures mean nothing), so they cannot rot.
step "benchmarks, smoke run (npm run bench -- --smoke)" "$node24" bench/main.ts --smoke

echo
echo "== conformance summary"
printf '%s\n' "${summaries[@]}"
# Every runtime must have run the same cases: passed + skipped is the same everywhere.
totals=$(printf '%s\n' "${summaries[@]}" | sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \3/' |
  awk '{ print $1 + $2 + $3 }' | sort -u | wc -l)
[ "$totals" -eq 1 ] || failures+=("same case count on every runtime")
printf '%s\n' "${summaries[@]}" | sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed.*$/\1 \2/' |
  awk '{ p += $1; f += $2 } END { printf "total: %d passed, %d failed\n", p, f + '"${#failures[@]}"' }'
if [ ${#failures[@]} -gt 0 ]; then
  echo "Failed steps: ${failures[*]}" >&2
  exit 1
fi
echo "All checks passed"
