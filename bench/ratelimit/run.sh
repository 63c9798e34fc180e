#!/usr/bin/env bash
# Rate-limit benchmark (issue 15): Baton and HAProxy with the same
# configuration, a stick table keyed by source address (type ip,
# http-request track-sc0 src, deny 429 over an http_req_rate), loaded by
# bench/cmd/ratelimit from SOURCES loopback addresses (127.1.x.y) taking
# turns, PER_CONN requests on a keep-alive connection per turn, at RATE
# requests/s offered. Prints the rate
# achieved, the 429 share, latency and the proxies' peak memory (PSS), medians over
# ROUNDS alternating runs, with Baton/HAProxy ratios from the same run.
#
#   bench/ratelimit/run.sh
#   SOURCES=10000 RATE=50000 LIMIT=5 PER_CONN=10 DURATION=10s ROUNDS=3 bench/ratelimit/run.sh
#   BASELINE=/tmp/baton-main bench/ratelimit/run.sh   # also another Baton build
set -euo pipefail
cd "$(dirname "$0")/../.."
SOURCES=${SOURCES:-10000}
RATE=${RATE:-50000}
LIMIT=${LIMIT:-5} # requests per 10 s per source before 429
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-256}
PER_CONN=${PER_CONN:-10} # requests per connection (a source's turn)
BASELINE=${BASELINE:-}
P=${PORT:-25080}
O=$P
declare -A PORTS=([baton]=$((P + 1)) [haproxy]=$((P + 2)) [baseline]=$((P + 3)))
proxies="baton haproxy"
[ -n "$BASELINE" ] && proxies="$proxies baseline"

command -v haproxy >/dev/null && command -v nginx >/dev/null || {
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy nginx-light >/dev/null
}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
. bench/lib.sh
bench_work baton-ratelimit
go build -o "$work/baton" ./cmd/baton
go build -o "$work/ratelimit" ./bench/cmd/ratelimit
[ -n "$BASELINE" ] && cp "$BASELINE" "$work/baseline"

cfg() { # port
	http_prologue 9000
	cat <<CFG

frontend fe
    bind 127.0.0.1:$1 backlog 4096
    stick-table type ip size 100k expire 30s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt $LIMIT }
    default_backend origin

backend origin
    server o1 127.0.0.1:$O
CFG
}
for p in $proxies; do cfg "${PORTS[$p]}" >"$work/$p.cfg"; done

hello_origin "$O"
declare -A PID=()
start() { # proxy: (re)start it with an empty table
	case $1 in
	haproxy) haproxy -W -db -f "$work/haproxy.cfg" >/dev/null 2>"$work/haproxy.err" & ;;
	*) "$work/$1" -f "$work/$1.cfg" >/dev/null 2>"$work/$1.err" & ;;
	esac
	PID[$1]=$!
	wait_port "${PORTS[$1]}"
}
stop() {
	kill "${PID[$1]}" 2>/dev/null || true
	wait "${PID[$1]}" 2>/dev/null || true
}
pss_kb() { # proxy's master and workers: proportional set size, so the
	# pages they share (the binary, shared memory) count once
	local t=0
	for q in ${PID[$1]} $(pgrep -P "${PID[$1]}" || true); do
		r=$(awk '/^Pss:/ {print $2}' /proc/$q/smaps_rollup 2>/dev/null || true)
		t=$((t + ${r:-0}))
	done
	echo $t
}

results=$work/results
: >"$results"
for round in $(seq "$ROUNDS"); do
	for p in $proxies; do
		start "$p"
		sleep 0.5
		before=$(pss_kb "$p")
		peak_file=$work/peak
		echo "$before" >"$peak_file"
		( while sleep 0.25; do r=$(pss_kb "$p"); [ "$r" -gt "$(cat "$peak_file")" ] && echo "$r" >"$peak_file"; done ) &
		sampler=$!
		out=$("$work/ratelimit" -target "127.0.0.1:${PORTS[$p]}" -sources "$SOURCES" -rate "$RATE" -d "$DURATION" -workers "$WORKERS" -per-conn "$PER_CONN")
		kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
		peak=$(cat "$peak_file")
		stop "$p"
		echo "round $round $p: $out peak_pss_kb=$peak idle_pss_kb=$before" >&2
		for kv in $out; do echo "$p ${kv%%=*} ${kv#*=}" >>"$results"; done
		echo "$p pss_mb $(awk -v a="$peak" 'BEGIN {printf "%.1f", a / 1024}')" >>"$results"
		echo "$p pss_growth_mb $(awk -v a="$peak" -v b="$before" 'BEGIN {printf "%.1f", (a - b) / 1024}')" >>"$results"
	done
done

val() { awk -v p="$1" -v m="$2" '$1 == p && $2 == m {print $3}' "$results" | median; }
echo
echo "Machine: $(nproc) cores; $SOURCES sources, $RATE req/s offered, limit $LIMIT per 10 s per source, $DURATION, $ROUNDS rounds, medians"
echo "$(haproxy -v | head -1 | cut -d' ' -f1-3); baton $("$work/baton" -v 2>&1 | head -1)"
echo
hdr="| metric | baton | haproxy |"
sep="|---|---|---|"
[ -n "$BASELINE" ] && hdr="$hdr baseline |" sep="$sep---|"
echo "$hdr baton/haproxy |"
echo "$sep---|"
for m in rps limited_pct p50_ms p99_ms errors pss_mb pss_growth_mb; do
	b=$(val baton $m) h=$(val haproxy $m)
	line="| $m | $b | $h |"
	[ -n "$BASELINE" ] && line="$line $(val baseline $m) |"
	echo "$line $(ratio "$b" "$h") |"
done
echo
echo "rps: requests/s achieved (offered $RATE); limited_pct: share answered 429; p50/p99: latency of a sample (ms);"
echo "pss_mb: peak proportional memory (PSS) of the proxy, master and workers summed, during the run; pss_growth_mb: peak minus idle."
