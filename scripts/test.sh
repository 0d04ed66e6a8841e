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

# Everything this run prints is kept, to be scanned for secrets at the end; so are the logs of the
# real proxies the cases start (tests/support/proxy_logs.ts).
log=$(mktemp)
proxy_logs=$(mktemp -d)
export KOGNIC_TEST_PROXY_LOGS=$proxy_logs
trap 'rm -rf "$log" "$proxy_logs"' EXIT
exec > >(tee "$log") 2>&1

failures=()
step() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then failures+=("$name"); fi
}

step "deno fmt --check" "$deno" fmt --check
step "deno lint" "$deno" lint
step "deno check" "$deno" check mod.ts src tests scripts examples bench
# Imports point down the layers and never across shells (docs/architecture.md).
step "layer check" "$node24" scripts/layers.ts
# shellcheck disable=SC2046 # one argument per export
step "deno doc --lint" "$deno" doc --lint $("$deno" eval \
  'console.log(Object.values(JSON.parse(Deno.readTextFileSync("deno.json")).exports).join(" "))')
step "doc examples (deno test --doc)" "$deno" test --doc -A --quiet mod.ts src/
# Both JSR manifests publish: deno.json (what plain `deno publish` reads) and jsr.json (JSR's
# own; tests/conformance/package_test.ts keeps the two the same).
step "deno publish --dry-run" "$deno" publish --dry-run --allow-dirty
step "deno publish --dry-run --config jsr.json" "$deno" publish --dry-run --allow-dirty --config jsr.json
# The edge entry's size, minified and gzipped: a ratchet that keeps it from growing silently.
# docs/edge-size.md keeps the ledger of what each step added or won back, and why.
# With it, what a createClient program loads up front (code splitting, static imports only): a
# ratchet too.
step "edge bundle size" "$node24" scripts/size.ts --max 8079 --closure-max 13917
# Every code block of README.md, CONTRIBUTING.md and docs/: TypeScript type-checked against the
# exports, shell and JSON parsed, the journeys' examples run on their runtimes against the test
# server of @kognic/auth/testing (CONTRIBUTING.md, "Documentation code blocks").
step "documentation code blocks" "$node24" scripts/check_docs.ts

# The keyring cases (SPEC §9) need a Secret Service: when the tools are installed (.ci/run
# installs gnome-keyring, libsecret-tools and dbus) start a private D-Bus session with an
# unlocked gnome-keyring for the whole run, export its address and KOGNIC_AUTH_TEST_KEYRING=1;
# tests/run.ts then adds the "keyring" capability. A desktop session's own keyring is never
# used (the cases write and delete the "default" profile). Without the tools the keyring cases
# are reported as not applicable.
start_keyring() {
  command -v dbus-daemon >/dev/null && command -v gnome-keyring-daemon >/dev/null &&
    command -v secret-tool >/dev/null || return 0
  keyring_home=$(mktemp -d)
  # A session bus without service activation: a call that comes before our daemon is ready
  # must not start another gnome-keyring (with the real HOME and a locked keyring).
  cat >"$keyring_home/bus.conf" <<'XML'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
XML
  local address pid
  { read -r address && read -r pid; } < <(dbus-daemon --config-file="$keyring_home/bus.conf" \
    --fork --print-address=1 --print-pid=1)
  [ -n "$address" ] || return 0
  dbus_pid=$pid
  export DBUS_SESSION_BUS_ADDRESS=$address KOGNIC_AUTH_TEST_KEYRING=1
  # An unlocked "login" keyring needs a non-empty password on stdin.
  printf 'kognic-test-keyring' | HOME=$keyring_home XDG_DATA_HOME=$keyring_home/data \
    gnome-keyring-daemon --unlock --components=secrets --foreground >/dev/null 2>&1 &
  keyring_pid=$!
  for _ in $(seq 50); do
    if printf probe | secret-tool store --label=probe service kognic-auth-test-probe username probe 2>/dev/null; then
      secret-tool clear service kognic-auth-test-probe username probe
      echo "== keyring: gnome-keyring in a private D-Bus session"
      return 0
    fi
    sleep 0.1
  done
  unset KOGNIC_AUTH_TEST_KEYRING
  echo "== keyring: gnome-keyring did not start; keyring cases will be skipped"
}
stop_keyring() {
  [ -n "${keyring_pid:-}" ] && kill "$keyring_pid" 2>/dev/null
  [ -n "${dbus_pid:-}" ] && kill "$dbus_pid" 2>/dev/null
  [ -n "${keyring_home:-}" ] && rm -rf "$keyring_home"
  return 0
}
trap 'stop_keyring; rm -rf "$log" "$proxy_logs"' EXIT
unset DBUS_SESSION_BUS_ADDRESS KOGNIC_AUTH_TEST_KEYRING
start_keyring

summaries=()
conformance() {
  local label=$1
  shift
  echo "== conformance on $label"
  local out
  out=$(mktemp)
  "$@" 2>&1 | tee "$out"
  local status=${PIPESTATUS[0]}
  summaries+=("$(grep -E '^[a-z-]+-[0-9.]*: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1 || echo "$label: no summary")")
  rm -f "$out"
  [ "$status" -eq 0 ] || failures+=("conformance on $label")
}

conformance deno "$deno" run -A --unstable-no-legacy-abort tests/run.ts
conformance bun "$bun" tests/run.ts
conformance node24 "$node24" tests/run.ts
conformance node22 "$node22" tests/run.ts
# workerd (Cloudflare's runtime) through Miniflare, driven by Node 24.
conformance workerd "$node24" tests/workerd/run.ts
# Vercel's Edge Runtime (the edge-runtime package), driven by Node 24 the same way.
conformance edge-runtime "$node24" tests/edge-runtime/run.ts
# The benchmarks at smoke size (tiny N, one round; the figures mean nothing), so they cannot rot.
step "benchmarks, smoke run (npm run bench -- --smoke)" "$node24" bench/main.ts --smoke

# The bounded soak of the Reliability table: a minute of load, figures printed.
step "soak (60 s on node24)" "$node24" scripts/soak.ts "${KOGNIC_SOAK_SECONDS:-60}"

# A fleet of processes sharing one token store (docs/scaling-out.md): the benchmark at smoke size,
# and the soak on Redis with the server restarted and the leaseholder killed (60 s under CI, 15 s
# elsewhere). Both fail on a count that does not hold (token requests, failed calls), never on time.
if command -v redis-server >/dev/null; then
  step "fleet benchmark, smoke run" "$node24" bench/fleet.ts --smoke
  fleet_seconds=${KOGNIC_FLEET_SOAK_SECONDS:-$([ "${CI:-}" = true ] && echo 60 || echo 15)}
  step "fleet soak on Redis (${fleet_seconds} s)" "$node24" bench/fleet.ts --soak --seconds="$fleet_seconds"
elif [ "${CI:-}" = true ]; then
  failures+=("fleet benchmark and soak: redis-server is missing under CI")
else
  step "fleet benchmark, smoke run (file store only)" "$node24" bench/fleet.ts --smoke --stores=file
  echo "== fleet soak on Redis: not applicable, needs redis-server (Debian package redis-server)"
fi

# Secret hygiene over the whole run: the test server's client secret (as it is, hex-encoded and in
# the Basic header), the marker inside every token it issues and the proxy tests' passwords must
# appear nowhere in what the suite printed (the telemetry the otel cases export included: they
# print it all), nor in what the real proxies logged.
proxy_log_count=$(find "$proxy_logs" -type f | wc -l)
echo "== secret scan of all output and $proxy_log_count proxy logs"
if [ "$proxy_log_count" -eq 0 ] && [ "${CI:-}" = true ]; then
  failures+=("secret scan: no proxy log was kept")
fi
# tee writes the log behind this script: wait until it has caught up with a marker line.
marker="secret scan marker $$"
echo "$marker"
for _ in $(seq 50); do grep -qF "$marker" "$log" && break; sleep 0.1; done
grep -qF "$marker" "$log" || failures+=("secret scan: the log did not catch up")
read_const() { grep -ohE "const $1 = \"[^\"]+\"" "$2" | sed -E 's/.*"(.*)"/\1/'; }
secret=$(read_const CANARY_SECRET tests/support/kognic_server.ts)
canaries=(
  "$secret"
  "$(printf '%s' "$secret" | od -An -tx1 | tr -d ' \n')"
  "$(printf '%s:%s' "$(read_const TEST_CLIENT_ID tests/support/kognic_server.ts)" "$secret" | base64 -w0)"
  "$(read_const TOKEN_CANARY tests/support/kognic_server.ts)"
  "$(read_const PROXY_CANARY tests/conformance/proxy_test.ts)"
  # What the otel cases put in query strings and headers: the telemetry they print must not hold it.
  "$(read_const QUERY_CANARY tests/conformance/otel_test.ts)"
  "$(read_const HEADER_CANARY tests/conformance/otel_test.ts)"
)
# The proxy passwords: as they are, percent-encoded (as they go in a proxy URL) and in the Basic
# Proxy-Authorization header of each user name the cases use (a wrong password is the right one
# with a prefix, so the first two forms find it too). The cases check the proxies' logs as well.
proxy_canary=$(read_const PROXY_CANARY tests/conformance/proxy_test.ts)
proxy_password=$(read_const PROXY_PASSWORD tests/conformance/network_test.ts)
tinyproxy_password=$(read_const TINYPROXY_PASSWORD tests/conformance/network_test.ts)
for password in "$proxy_canary" "$proxy_password" "$tinyproxy_password"; do
  canaries+=(
    "$password"
    "$("$node24" -p 'encodeURIComponent(process.argv[1])' "$password")"
    "$(printf 'kognic:%s' "$password" | base64 -w0)"
    "$(printf 'CORP\\kognic:%s' "$password" | base64 -w0)"
  )
done
for canary in "${canaries[@]}"; do
  if [ ${#canary} -lt 8 ]; then
    failures+=("secret scan: a canary was not found")
  elif grep -qF -- "$canary" "$log"; then
    echo "Error: the output contains the canary $canary" >&2
    failures+=("secret scan")
  elif grep -rqF -- "$canary" "$proxy_logs"; then
    echo "Error: a proxy's log contains the canary $canary" >&2
    failures+=("secret scan of the proxy logs")
  fi
done

echo
echo "== conformance summary"
printf '%s\n' "${summaries[@]}"
# Every runtime must have run the same cases. Deno, Bun and both Nodes have the same capabilities,
# so their passed, failed and skipped counts must be the same (a keyring that one of them could
# not reach would show); workerd and edge-runtime lack files, sockets and subprocesses, so only
# their totals count.
# A runtime without a summary has no counts and fails both checks.
counts=$(printf '%s\n' "${summaries[@]}" |
  sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/;t;s/.*/none/')
[ "$(echo "$counts" | head -n 4 | sort -u | wc -l)" -eq 1 ] || failures+=("same counts on Deno, Bun and Node")
[ "$(echo "$counts" | awk '$1 == "none" { print "none"; next } { print $1 + $2 + $3 }' | sort -u | grep -cv none)" -eq 1 ] &&
  ! echo "$counts" | grep -q none || failures+=("same case count on every runtime")
printf '%s\n' "${summaries[@]}" | sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed.*$/\1 \2/' |
  awk '{ p += $1; f += $2 } END { printf "total: %d passed, %d failed\n", p, f + '"${#failures[@]}"' }'
if [ ${#failures[@]} -gt 0 ]; then
  echo "Failed steps: ${failures[*]}" >&2
  exit 1
fi
echo "All checks passed"
