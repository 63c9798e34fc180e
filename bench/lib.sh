# Shared by the bench scripts (sourced, not run): the work directory and
# its clean-up, the plain origin, waiting for a port, medians and ratios.

# bench_work PREFIX: a work directory in $work that the origin's workers
# (nobody) may read, and $pids, every process started into it, killed
# with it on exit.
bench_work() {
	work=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 755 "$work"
	pids=()
	trap bench_cleanup EXIT
}

bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}

# hello_origin PORT: nginx on 127.0.0.1:PORT answering every request with
# a 6-byte body, in the background (its pid in $pids).
hello_origin() {
	cat >"$work/origin.conf" <<NGX
worker_processes 1;
error_log $work/origin.err;
pid $work/origin.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  server { listen 127.0.0.1:$1 backlog=4096; location / { return 200 "hello\n"; } }
}
NGX
	nginx -c "$work/origin.conf" -g 'daemon off;' &
	pids+=($!)
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
	for _ in $(seq 200); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench: nothing listens on $1" >&2
	return 1
}

# http_prologue MAXCONN: the global and defaults sections the HTTP cases
# configurations share (keep-alive, 30 s timeouts), for Baton and HAProxy.
http_prologue() {
	cat <<CFG
global
    maxconn $1

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s
    option http-keep-alive
CFG
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }
