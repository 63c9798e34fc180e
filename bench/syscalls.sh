#!/usr/bin/env bash
# System calls per request on the keep-alive path: Baton's worker and
# HAProxy (one thread, so that one process holds every call) behind the
# same configuration and the same nginx origin, counted with perf's
# syscall tracepoints while wrk runs (Debian's linux-perf package).
#
#   bench/syscalls.sh                     # this tree's Baton and HAProxy
#   BASELINE=29c8e2f bench/syscalls.sh    # also Baton built at a revision
#   DURATION=5s CONNS=64 PORT=15080 bench/syscalls.sh
#
# perf's tracing slows the proxies: the requests/s it prints are not a
# speed figure (bench/run.sh gives those); the calls per request are.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
P=${PORT:-15080}
BASELINE=${BASELINE:-}
command -v perf >/dev/null || { echo "syscalls: perf is missing (apt-get install linux-perf)" >&2; exit 2; }

. bench/lib.sh
bench_work baton-syscalls

go build -o "$work/baton" ./cmd/baton
if [ -n "$BASELINE" ]; then
	mkdir "$work/base-src"
	git -C "$root" archive "$BASELINE" | tar -x -C "$work/base-src"
	(cd "$work/base-src" && go build -o "$work/baseline" ./cmd/baton)
fi

O=$((P + 1))
hello_origin "$O"

cfg() { # port
	cat <<CFG
global
    maxconn 4000
    nbthread 1

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend ka
    bind 127.0.0.1:$1
    default_backend origin

backend origin
    server o1 127.0.0.1:$O
CFG
}

events=syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_ctl

measure() { # name port pid-of-the-process-serving
	local name=$1 port=$2 pid=$3 out reqs
	perf stat -x, -e "$events" -p "$pid" -o "$work/perf.$name" -- sleep "$(( ${DURATION%s} + 1 ))" &
	local perfpid=$!
	out=$(wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$port/")
	wait "$perfpid"
	reqs=$(echo "$out" | awk '/requests in/ {print $1}')
	printf '%s (%s requests):' "$name" "$reqs"
	awk -F, -v r="$reqs" '/syscalls:/ { sub("syscalls:sys_enter_", "", $3); if ($1 > 0) { printf " %s %.2f", $3, $1 / r; t += $1 } } END { printf " | total %.2f per request\n", t / r }' "$work/perf.$name"
}

wait_port "$O"
n=0
for name in baton baseline haproxy; do
	port=$((P + 10 + n))
	n=$((n + 1))
	case $name in
	baseline) [ -n "$BASELINE" ] || continue ;&
	baton)
		cfg "$port" | sed '/nbthread/d' >"$work/$name.cfg"
		"$work/$name" -f "$work/$name.cfg" >"$work/$name.log" 2>&1 &
		master=$!
		pids+=("$master")
		wait_port "$port"
		serving=$(pgrep -P "$master" | head -1) # the worker
		;;
	haproxy)
		cfg "$port" >"$work/haproxy.cfg"
		haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
		master=$!
		pids+=("$master")
		wait_port "$port"
		serving=$master
		;;
	esac
	measure "$name" "$port" "$serving"
	kill "$master"
	wait "$master" 2>/dev/null || true
done
