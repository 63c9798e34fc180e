#!/usr/bin/env bash
# Runs the HTTP caching test suite of the npm package http-cache-tests
# (https://cache-tests.fyi: an origin server and a client runner, both in
# node) through Baton and HAProxy 2.6 with the same cache section, and
# prints how many of its tests each passes. A measurement, not a CI test:
# it downloads the package with npm into a temporary directory.
#
#   bench/cache-conformance.sh                  # both proxies
#   PROXIES=baton bench/cache-conformance.sh    # Baton only
#   OUT=/tmp/hct bench/cache-conformance.sh     # keep the JSON results there
#   PORT=28200 bench/cache-conformance.sh       # origin on 28200, proxies on 28201, 28202
#
# Needs node and npm (Debian: apt-get install nodejs npm) and haproxy.
set -euo pipefail

cd "$(dirname "$0")/.."
PROXIES=${PROXIES:-"haproxy baton"}
PORT=${PORT:-18200}
VERSION=${VERSION:-0.4.5}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
. bench/lib.sh
bench_work baton-cache

for tool in node npm; do
	command -v $tool >/dev/null || { echo "cache-conformance: $tool is missing (apt-get install nodejs npm)" >&2; exit 1; }
done
(cd "$work" && npm install --silent --no-audit --no-fund "http-cache-tests@$VERSION" >/dev/null)
suite=$work/node_modules/http-cache-tests

go build -o "$work/baton" ./cmd/baton

# The origin.
(cd "$suite" && exec env npm_config_protocol=http npm_config_port=$PORT npm_config_pidfile="$work/server.pid" \
	node server/server.mjs >"$work/origin.log" 2>&1) &
pids+=($!)

# The same cache section for both proxies.
cfg() {
	cat <<EOF
defaults
  mode http
  timeout client 10s
  timeout server 10s
  timeout connect 5s
frontend fe
  bind 127.0.0.1:$1
  http-request cache-use c
  http-response cache-store c
  default_backend be
backend be
  server origin 127.0.0.1:$PORT
cache c
  total-max-size 64
  max-object-size 1048576
  max-age 3600
  process-vary on
EOF
}

wait_port "$PORT"

n=0
for proxy in $PROXIES; do
	n=$((n + 1))
	port=$((PORT + n))
	cfg $port >"$work/$proxy.cfg"
	case $proxy in
	haproxy) haproxy -f "$work/$proxy.cfg" >"$work/$proxy.log" 2>&1 & ;;
	baton) "$work/baton" -f "$work/$proxy.cfg" >"$work/$proxy.log" 2>&1 & ;;
	*) echo "cache-conformance: unknown proxy $proxy" >&2; exit 2 ;;
	esac
	pid=$!
	pids+=($pid)
	wait_port $port
	(cd "$suite" && env npm_config_base="http://127.0.0.1:$port" npm_package_config_id= \
		node --no-warnings cli.mjs >"$OUT/$proxy.json")
	kill $pid
	node -e '
		const r = require(process.argv[1]); let pass = 0, total = 0
		for (const v of Object.values(r)) { total++; if (v === true) pass++ }
		console.log(`${process.argv[2]}: ${pass} of ${total} tests pass`)' "$OUT/$proxy.json" "$proxy"
done
echo "results: $OUT/*.json (test id: true, or [kind, message])"
