#!/bin/sh
# run.sh [PROXY...]: runs `baton reload-test` against Baton, HAProxy and
# nginx (or the proxies named), each reloaded RELOADS times (default 20)
# every INTERVAL (default 500ms) under mixed traffic, and prints one table.
# SOAK=1 makes it 1000 reloads (not for CI). TLS=1 speaks TLS to the
# proxies (the same ECDSA P-256 certificate for all) and counts handshakes.
# H2=1 speaks HTTP/2 (with TLS=1 by ALPN h2, else with prior knowledge)
# and counts refused streams and GOAWAYs.
# See README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
proxies=${*:-baton haproxy nginx}
reloads=${RELOADS:-20}
interval=${INTERVAL:-500ms}
clients=${CLIENTS:-new=2,busy=2,idle=8,upload=2,download=2}
if [ "${SOAK:-0}" = 1 ]; then
	reloads=${SOAK_RELOADS:-1000}
fi

# Install what is missing, and only that.
missing=
for p in $proxies; do
	case "$p" in
	haproxy) command -v haproxy >/dev/null || missing="$missing haproxy" ;;
	nginx) command -v nginx >/dev/null || missing="$missing nginx-light" ;;
	baton) ;;
	*) echo "run.sh: unknown proxy $p (want baton, haproxy, nginx)" >&2; exit 2 ;;
	esac
done
if [ -n "$missing" ]; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update
	# shellcheck disable=SC2086
	$sudo apt-get install -y $missing
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/baton-reload-bench.XXXXXX")
echo "work directory: $work" >&2
# nginx's workers run as nobody: they must reach their temporary files
# (proxy_temp_path) below the work directory, which mktemp made 0700.
chmod 755 "$work"
(cd "$root" && go build -o "$work/bin/baton" ./cmd/baton && go build -o "$work/bin/freeport" ./bench/reload/freeport)

tlsflags=
export TLS=${TLS:-0} H2=${H2:-0}
h2flags=
[ "$H2" = 1 ] && h2flags=--h2
if [ "$TLS" = 1 ]; then
	mkdir -p "$work/tls"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=reload-test -addext subjectAltName=DNS:reload-test \
		-keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" 2>/dev/null
	cat "$work/tls/cert.pem" "$work/tls/key.pem" >"$work/tls/site.pem"
	tlsflags="--tls --tls-servername reload-test --tls-ca $work/tls/cert.pem"
fi

pids=
cleanup() {
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

# wait_for FILE: until the proxy created its socket or pid file (10 s).
wait_for() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "run.sh: $1 did not appear; see $(dirname "$1")/proxy.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

results=
for p in $proxies; do
	dir=$work/$p
	mkdir -p "$dir"
	frontend=127.0.0.1:$("$work/bin/freeport")
	# A placeholder backend: the tester's setup reload points the proxy at
	# its backend "a" before any traffic.
	"$here/render.sh" "$p" "$dir" "$frontend" 127.0.0.1:9
	case "$p" in
	haproxy)
		haproxy -W -db -f "$dir/haproxy.cfg" -S "$dir/master.sock" >"$dir/proxy.log" 2>&1 &
		echo $! >"$dir/master.pid"
		pids="$pids $!"
		wait_for "$dir/master.sock"
		;;
	nginx)
		nginx -p "$dir" -c "$dir/nginx.cfg" -g 'daemon off;' >"$dir/proxy.log" 2>&1 &
		pids="$pids $!"
		wait_for "$dir/nginx.pid"
		;;
	baton)
		"$work/bin/baton" -f "$dir/baton.cfg" -S "$dir/master.sock" -p "$dir/master.pid" >"$dir/proxy.log" 2>&1 &
		pids="$pids $!"
		wait_for "$dir/master.sock"
		;;
	esac
	echo "== $p: $reloads reloads every $interval on $frontend" >&2
	status=0
	"$work/bin/baton" reload-test --target "$frontend" \
		--reload "'$here/flip.sh' $p '$dir' $frontend" \
		--reloads "$reloads" --interval "$interval" --clients "$clients" $tlsflags $h2flags \
		--format kv --verbose >"$dir/summary.kv" 2>"$dir/report.txt" || status=$?
	if [ ! -s "$dir/summary.kv" ]; then
		echo "run.sh: reload-test against $p failed (exit $status):" >&2
		cat "$dir/report.txt" >&2
		echo "proxy=$p error=exit_$status" >"$dir/summary.kv"
	fi
	sed -n '1,12p' "$dir/report.txt" >&2
	results="$results $dir/summary.kv"
	# Stop this proxy before the next one runs, so they do not share CPU.
	pid=${pids##* }
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pids=${pids% *}
done

echo
printf '%-8s %9s %7s %6s %6s %8s %11s %11s %11s %11s %8s' \
	proxy requests failed stale races pinned "switch med" "after cmd" "switch max" "old seen" reloads
[ "$H2" = 1 ] && printf ' %8s %6s %8s %8s' refused conns "goaway" "2-phase"
[ "$TLS" = 1 ] && printf ' %10s %8s %6s' handshakes resumed "full*"
printf ' %s\n' result
for f in $results; do
	p=$(basename "$(dirname "$f")")
	awk -v p="$p" -v n="$reloads" -v tls="$TLS" -v h2="$H2" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if ("error" in v) { printf "%-8s %s\n", p, "tester " v["error"]; next }
		printf "%-8s %9s %7s %6s %6s %8s %9sms %9sms %9sms %9sms %8s", p, v["requests"], v["failed"], v["stale"],
			v["races"], v["pinned"], v["switch_median_ms"], v["switch_after_cmd_median_ms"], v["switch_max_ms"], v["oldseen_max_ms"], n
		if (h2 == 1) printf " %8s %6s %8s %8s", v["refused_streams"], v["h2_conns"], v["h2_goaway_conns"], v["h2_two_phase"]
		if (tls == 1) printf " %10s %8s %6s", v["tls_handshakes"], v["tls_resumed"], v["tls_full_refused"]
		printf " %s\n", (v["pass"] == "true" ? "PASS" : "FAIL")
	}' "$f"
done
if [ "$H2" = 1 ]; then
	echo "requests are streams; refused: REFUSED_STREAM or above a GOAWAY's last stream ID (retried);"
	echo "goaway: connections that got a GOAWAY; 2-phase: of them, those whose first GOAWAY said 2^31-1"
fi
if [ "$TLS" = 1 ]; then
	echo "full*: full handshakes although the client offered a session (a reload cost the resumption)"
fi
echo "switch med: from the reload command's start (it renders the file with sh and sed, then signals);"
echo "after cmd: from its return, the proxy's own part (HAProxy and Baton get SIGUSR2, nginx -s reload)"
# Baton's master logs when each new generation began accepting, counted
# from when the master began the reload: the switch without the reload
# command's own processes (sh, sed, mv and the baton CLI), which the
# "switch" columns include for every proxy.
if [ -s "$work/baton/proxy.log" ]; then
	sed -n 's/.*generation accepted \([0-9.]*\)\(m\{0,1\}\)s after the reload began.*/\1 \2/p' "$work/baton/proxy.log" |
		awk '{ ms = ($2 == "m") ? $1 : $1 * 1000; print ms }' | sort -n |
		awk '{ a[NR] = $1 } END { if (NR) printf "baton: new generation accepting, from the master starting the reload: median %.1f ms, max %.1f ms (%d reloads, master log)\n", a[int((NR + 1) / 2)], a[NR], NR }'
fi
echo
echo "per-reload details: $work/*/report.txt" >&2
